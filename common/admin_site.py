"""The admin site: verified staff only, and no sign-in form of its own.

``OTPAdminSite`` refuses any user whose session is not OTP-verified. Its own login page
would take a password and a code with none of our rate limiting, so the admin sends
everyone to the portal's sign-in (or, once the password is in, to the code step) instead.

Every model admin registered here, Django's own (users, groups) included, also reads its
hostile input as ``common.inputs`` does (``HostileInputAdmin``).
"""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from common.inputs import IdsChoiceField
from common.permissions import is_verified, needs_second_factor

if TYPE_CHECKING:
    from django.db.models import Model


class ReadOnlyAdmin:
    """A model admin that shows rows and never adds, changes or deletes them: what only a
    service writes (slots, appointments, audit rows, the Entry/Exit access log)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The mixin goes before a model admin class (``AdminSite.register`` puts it there), whose
# methods it extends: its base for the type checker, none at run time.
if TYPE_CHECKING:
    _ModelAdminBase = admin.ModelAdmin[Model]
else:
    _ModelAdminBase = object


class HostileInputAdmin(_ModelAdminBase):
    """What Django's admin lets through to a server error, refused instead:

    * a many-to-many choice of ids past 64 bits (its ``pk__in`` look-up fails in the
      database): ``IdsChoiceField`` makes it a form error;
    * ``?_to_field=`` given blank on a change page (looked up as a field named ""): the
      primary key, as when it is absent.
    """

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdsChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        return super().get_object(request, object_id, from_field or None)


class AdminSite(OTPAdminSite):
    # The portal's name, not Django's (templates/admin/base_site.html adds its colours).
    site_header = _("NEXUS Portal administration")
    site_title = _("NEXUS Portal administration")
    index_title = _("What you may manage")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)  # OTPAdminSite defaults to "otpadmin"; keep the admin: URLs

    def register(self, model_or_iterable, admin_class=None, **options):
        base = admin_class or admin.ModelAdmin
        guarded = type(base.__name__, (HostileInputAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, guarded, **options)

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return super().login(request, extra_context)  # redirects to the admin index
        user = request.user
        if user.is_authenticated and needs_second_factor(user) and not is_verified(user):
            return redirect_to_login(next_url, login_url=settings.SECOND_FACTOR_URL)
        return redirect_to_login(next_url)
