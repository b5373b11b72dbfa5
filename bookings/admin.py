from django.contrib import admin

from bookings.models import Appointment
from common.admin_site import ReadOnlyAdmin


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: appointments change only through the booking services."""

    list_display = ["application", "step", "slot", "status", "created_at"]
    list_filter = ["status", "step", "slot__centre"]
    search_fields = ["application__number"]
    list_select_related = ["application", "slot__centre"]
