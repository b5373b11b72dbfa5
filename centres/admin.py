from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from centres.models import Centre, Closure, ExtraCapacity, OpeningRule, Slot, StaffProfile
from centres.selectors import centres_of_staff, is_programme_admin
from centres.services import (
    CapacityError,
    capacity_change_check,
    capacity_change_delete,
    capacity_change_save,
    centre_slots_generate,
)
from common.admin_site import ReadOnlyAdmin

# The centre filter of a list: only the centres of the rows it lists (a centre
# administrator's own), not every centre in the country.
CENTRE_FILTER = ("centre", admin.RelatedOnlyFieldListFilter)


class CentreScopedAdmin(admin.ModelAdmin):
    """A centre administrator sees and edits only their own centres' rows."""

    centre_lookup = "centre"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_programme_admin(request.user):
            return queryset
        return queryset.filter(**{f"{self.centre_lookup}__in": centres_of_staff(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "centre" and not is_programme_admin(request.user):
            kwargs["queryset"] = centres_of_staff(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Centre)
class CentreAdmin(CentreScopedAdmin):
    list_display = [
        "display_name",
        "kind",
        "city",
        "region",
        "country",
        "time_zone",
        "takes_appointments",
    ]
    list_filter = ["kind", "country", "takes_appointments", "is_active"]
    search_fields = ["name", "name_fr", "short_name", "short_name_fr", "city", "ttp_location_id"]
    actions = ["generate_slots"]
    centre_lookup = "pk"
    # The French forms beside the English ones; blank means "the same as in English".
    fieldsets = [
        (None, {"fields": ["name", "short_name", "kind", "country", "has_cbsa", "has_cbp"]}),
        (
            _("Address"),
            {
                "fields": [
                    "address",
                    "address_additional",
                    "city",
                    "region",
                    "postal_code",
                    "phone",
                ]
            },
        ),
        (
            _("In French"),
            {
                "description": _(
                    "Where the centre has a French form. Leave a field blank when it is "
                    "the same in both languages (a US centre's name, most street names)."
                ),
                "fields": [
                    "name_fr",
                    "short_name_fr",
                    "address_fr",
                    "address_additional_fr",
                    "city_fr",
                ],
            },
        ),
        (
            None,
            {
                "fields": [
                    "time_zone",
                    "takes_appointments",
                    "ttp_location_id",
                    "ttp_location_code",
                    "counterpart",
                    "airport",
                    "is_active",
                ]
            },
        ),
    ]

    @admin.display(description=_("name"), ordering="name")
    def display_name(self, centre):
        return centre.display_name  # the administrator's language, like the rest of the page

    @admin.action(description=_("Generate slots up to the horizon"))
    def generate_slots(self, request, queryset):
        total = 0
        for centre in queryset:
            total += centre_slots_generate(centre=centre).created
        self.message_user(
            request,
            ngettext("%(count)d slot created.", "%(count)d slots created.", total)
            % {"count": total},
        )


class CapacityChangeForm(forms.ModelForm):
    """Refuses, as a form error, a change that would strand booked appointments."""

    def _post_clean(self):
        # django-stubs leave out this private method of BaseModelForm.
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            capacity_change_check(obj=self.instance)
        except CapacityError as exc:
            self.add_error(None, exc.message)


class CapacityChangeAdmin(CentreScopedAdmin):
    """Every save and delete goes through the capacity services (slots regenerated)."""

    form = CapacityChangeForm
    list_filter = [CENTRE_FILTER]
    # A plain list of the centres in scope (34 at most), not Select2's autocomplete: its
    # box has no accessible name (axe), and a list needs no script.

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bulk deletes would bypass the services
        return actions

    def save_model(self, request, obj, form, change):
        capacity_change_save(obj=obj, actor=request.user)

    def delete_model(self, request, obj):
        capacity_change_delete(obj=obj, actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "POST" and obj is not None:
            try:
                capacity_change_check(obj=obj, delete=True)
            except CapacityError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
                opts = self.model._meta
                return HttpResponseRedirect(
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                )
        return super().delete_view(request, object_id, extra_context)


@admin.register(OpeningRule)
class OpeningRuleAdmin(CapacityChangeAdmin):
    list_display = [
        "centre",
        "weekday",
        "opens_at",
        "closes_at",
        "slot_minutes",
        "booths",
        "valid_from",
        "valid_until",
    ]


@admin.register(Closure)
class ClosureAdmin(CapacityChangeAdmin):
    list_display = ["centre", "first_day", "last_day", "reason", "note"]
    list_filter = [CENTRE_FILTER, "reason"]


@admin.register(ExtraCapacity)
class ExtraCapacityAdmin(CapacityChangeAdmin):
    list_display = ["centre", "first_day", "last_day", "extra_booths", "note"]


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin, CentreScopedAdmin):
    """Slots are generated from the rules; here they can only be looked at."""

    # One start time, the centre's local one, labelled so (no UTC column, no UTC days).
    list_display = ["centre", "local_start", "capacity", "booked"]
    list_filter = [CENTRE_FILTER]
    list_select_related = ["centre"]

    @admin.display(description=_("starts at (centre's local time)"), ordering="starts_at")
    def local_start(self, slot):
        local = slot.local_start()
        return f"{local:%Y-%m-%d %H:%M} ({slot.centre.zone_name})"


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    """Roles and centre assignments: for programme administrators only."""

    list_display = ["user", "role"]
    list_filter = ["role", "centres"]
    search_fields = ["user__username", "user__last_name"]
    filter_horizontal = ["centres"]
    raw_id_fields = ["user"]

    def has_module_permission(self, request):
        return is_programme_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_programme_admin(request.user)

    def has_add_permission(self, request):
        return is_programme_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_programme_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_programme_admin(request.user)
