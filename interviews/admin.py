from django.contrib import admin

from interviews.models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-only: appointments change only through the booking services."""

    list_display = ["application", "step", "slot", "status", "created_at"]
    list_filter = ["status", "step", "slot__centre"]
    search_fields = ["application__number"]
    list_select_related = ["application", "slot__centre"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
