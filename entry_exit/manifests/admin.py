from django.contrib import admin

from common.admin_site import ReadOnlyAdmin
from entry_exit.manifests.models import Manifest, ManifestInterchange


@admin.register(ManifestInterchange)
class ManifestInterchangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: interchanges are written by the carriers' import only."""

    list_display = [
        "id",
        "carrier",
        "reference",
        "status",
        "messages",
        "messages_refused",
        "messages_elsewhere",
        "received_at",
    ]
    list_filter = ["status", "carrier"]
    list_select_related = ["batch"]


@admin.register(Manifest)
class ManifestAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: one version of a flight's list, as the carriers' import recorded it."""

    list_display = [
        "id",
        "flight",
        "departure_airport",
        "departed_at",
        "arrival_airport",
        "status",
        "version",
        "passengers",
        "crew",
    ]
    list_filter = ["status", "departure_airport"]
    list_select_related = ["flight"]
