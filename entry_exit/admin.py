from django.contrib import admin

from common.admin_site import ReadOnlyAdmin
from entry_exit.models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: the access log is appended by the look-up only and never changed."""

    list_display = ["sequence", "at", "user", "purpose", "criteria_kind"]
    list_filter = ["purpose", "criteria_kind"]
    list_select_related = ["user"]
