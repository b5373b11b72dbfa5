from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from common.api_urls import not_found_patterns
from common.views import health, set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("health/", health, name="health"),
    # The API: outside the language prefix (the language comes from Accept-Language).
    path("api/", include("common.api_urls")),
    path("api/v1/", include("centres.api_urls")),
    path("api/v1/", include("enrolment.api_urls")),
    path("api/v1/", include("interviews.api_urls")),
    path("api/v1/", include("interviews.officer_api_urls")),
    # The Entry/Exit partner's signed batches: not API v1 (entry_exit/partner_api.py).
    path("api/partner/", include("entry_exit.partner_api_urls")),
    # Air carriers' signed PAXLST manifests: not API v1 (entry_exit/manifests/api.py).
    path("api/carrier/", include("entry_exit.manifests.api_urls")),
    path("api/", include(not_found_patterns)),  # keep last among the api/ lines
    path("schedulerapi/", include("interviews.scheduler_urls")),  # public, TTP-compatible
]
urlpatterns += i18n_patterns(
    path("", include("centres.urls")),
    path("accounts/", include("accounts.urls")),
    path("my/", include("enrolment.urls")),
    path("my/", include("interviews.applicant_urls")),
    path("officer/", include("interviews.urls")),
    path("entry-exit/reconciliation/", include("entry_exit.reconciliation.urls")),
    path("entry-exit/", include("entry_exit.urls")),
    path("admin/", admin.site.urls),  # common.admin_site.AdminSite: verified staff only
    prefix_default_language=True,
)
