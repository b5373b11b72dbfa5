from django.contrib import admin

from entry_exit.models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read-only: the access log is appended by the look-up only and never changed."""

    list_display = ["sequence", "at", "user", "purpose", "criteria_kind"]
    list_filter = ["purpose", "criteria_kind"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
