"""The admin site: verified staff only, and no sign-in form of its own.

``OTPAdminSite`` refuses any user whose session is not OTP-verified. Its own login page
would take a password and a code with none of our rate limiting, so the admin sends
everyone to the portal's sign-in (or, once the password is in, to the code step) instead.
"""

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django_otp.admin import OTPAdminSite

from common.permissions import is_verified, needs_second_factor


class AdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)  # OTPAdminSite defaults to "otpadmin"; keep the admin: URLs

    def login(self, request, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return super().login(request, extra_context)  # redirects to the admin index
        user = request.user
        if user.is_authenticated and needs_second_factor(user) and not is_verified(user):
            return redirect_to_login(next_url, login_url=reverse("common:verify"))
        return redirect_to_login(next_url)
