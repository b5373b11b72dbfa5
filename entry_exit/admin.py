from django.contrib import admin

from common.admin_site import ReadOnlyAdmin
from entry_exit.models import AccessLogEntry, LegalHold, TravellerReport


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: the access log is appended by the look-up only and never changed."""

    list_display = ["sequence", "at", "user", "purpose", "criteria_kind"]
    list_filter = ["purpose", "criteria_kind"]
    list_select_related = ["user"]


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: holds are placed and lifted on the Entry/Exit pages, which keep the
    records' flags in step and audit both."""

    list_display = ["id", "reference", "basis", "placed_at", "placed_by", "lifted_at"]
    list_filter = ["basis", "lift_grounds"]
    list_select_related = ["placed_by"]
    exclude = ["records"]


@admin.register(TravellerReport)
class TravellerReportAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: a report is recorded when it is generated, with its consultation."""

    list_display = ["id", "request_reference", "generated_at", "generated_by", "language"]
    list_filter = ["identity_check", "language"]
    list_select_related = ["generated_by"]
