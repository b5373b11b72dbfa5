"""The carriers' endpoint, under ``/api/carrier/`` (not API v1): see ``api``."""

from django.urls import path

from entry_exit.manifests.api import CarrierManifestView

app_name = "carrier_api"

urlpatterns = [
    path("entry-exit/manifests/", CarrierManifestView.as_view(), name="entry_exit_manifests"),
]
