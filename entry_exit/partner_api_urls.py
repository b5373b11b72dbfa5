"""The partner endpoint, under ``/api/partner/`` (not API v1): see ``partner_api``."""

from django.urls import path

from entry_exit.partner_api import PartnerBatchView

app_name = "partner_api"

urlpatterns = [
    path("entry-exit/batches/", PartnerBatchView.as_view(), name="entry_exit_batches"),
]
