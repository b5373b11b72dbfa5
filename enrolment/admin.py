from django.contrib import admin

from enrolment.models import Applicant, Application, Membership


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "preferred_language"]
    search_fields = ["user__first_name", "user__last_name", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["number", "applicant", "kind", "status", "path", "submitted_at"]
    list_filter = ["kind", "status", "path"]
    search_fields = ["number"]
    raw_id_fields = ["applicant", "membership"]
    readonly_fields = ["path"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["number", "applicant", "issued_on", "expires_on", "auto_renewed"]
    search_fields = ["number"]
    raw_id_fields = ["applicant"]
