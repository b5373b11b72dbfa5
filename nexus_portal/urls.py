from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from common.views import health

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),
    path("schedulerapi/", include("centres.scheduler_urls")),  # public, TTP-compatible
]
urlpatterns += i18n_patterns(
    path("", include("centres.urls")),
    path("accounts/", include("common.urls")),
    path("my/", include("enrolment.urls")),
    path("my/", include("interviews.applicant_urls")),
    path("officer/", include("interviews.urls")),
    path("admin/", admin.site.urls),  # common.admin_site.AdminSite: verified staff only
    prefix_default_language=True,
)
