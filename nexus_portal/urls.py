from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from common.api_urls import not_found_patterns
from common.views import health, set_language
from enrolment import urls as enrolment_urls
from interviews import applicant_urls as interview_applicant_urls

# The applicant's own pages, one namespace: where they stand and the history (read from
# every app, so in ``interviews``), and linking an application (``enrolment``).
my_pages = (interview_applicant_urls.urlpatterns + enrolment_urls.urlpatterns, "enrolment")

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("health/", health, name="health"),
    # The API: outside the language prefix (the language comes from Accept-Language).
    path("api/", include("common.api_urls")),
    path("api/v1/", include("centres.api_urls")),
    path("api/v1/", include("interviews.applicant_api_urls")),
    path("api/v1/", include("bookings.api_urls")),
    path("api/v1/", include("interviews.officer_api_urls")),
    # The Entry/Exit partner's signed batches: not API v1 (entry_exit/partner_api.py).
    path("api/partner/", include("entry_exit.partner_api_urls")),
    # Air carriers' signed PAXLST manifests: not API v1 (entry_exit/manifests/api.py).
    path("api/carrier/", include("entry_exit.manifests.api_urls")),
    path("api/", include(not_found_patterns)),  # keep last among the api/ lines
    path("schedulerapi/", include("bookings.scheduler_urls")),  # public, TTP-compatible
]
urlpatterns += i18n_patterns(
    path("", include("centres.urls")),
    path("accounts/", include("accounts.urls")),
    path("my/", include(my_pages)),
    path("my/", include("bookings.urls")),
    path("officer/", include("interviews.urls")),
    path("programme/webhooks/", include("webhooks.urls")),
    path("programme/figures/", include("figures.urls")),
    path("capacity/", include("capacity.urls")),
    path("entry-exit/reconciliation/", include("entry_exit.reconciliation.urls")),
    path("entry-exit/", include("entry_exit.urls")),
    path("admin/", admin.site.urls),  # common.admin_site.AdminSite: verified staff only
    prefix_default_language=True,
)
