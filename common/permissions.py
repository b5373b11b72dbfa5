"""Who counts as staff, whether their second factor is done, and the view decorator.

Two definitions, on purpose:

* ``needs_second_factor``: anyone who can see more than their own file must enter a
  TOTP code at sign-in: a staff profile, Django's ``is_staff`` (the admin) or a superuser.
* ``is_staff_member``: who may open staff pages at all: a staff profile or a superuser.
  An ``is_staff`` account with no profile may use the admin it is granted, nothing else.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django_otp.plugins.otp_totp.models import TOTPDevice


def has_staff_profile(user) -> bool:
    try:
        return user.staff_profile is not None
    except ObjectDoesNotExist:
        return False


def is_staff_member(user) -> bool:
    return user.is_authenticated and (user.is_superuser or has_staff_profile(user))


def needs_second_factor(user) -> bool:
    return user.is_authenticated and (user.is_staff or user.is_superuser or has_staff_profile(user))


def totp_devices(user):
    """The user's confirmed TOTP devices: provisioned by an administrator, or the demo data."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True)


def is_verified(user) -> bool:
    """True once this session passed the code step (fails closed without OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def staff_verified_required(view):
    """Staff pages: sign in, then the code step, and anyone else gets a plain 404.

    1. Anonymous: to the sign-in page, coming back here afterwards.
    2. Signed in but not staff: 404, so the page does not reveal that it exists.
    3. Staff whose session has not passed the code step: to the code step.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(user):
            raise Http404
        if not is_verified(user):
            return redirect_to_login(request.get_full_path(), login_url=settings.SECOND_FACTOR_URL)
        return view(request, *args, **kwargs)

    return wrapper
