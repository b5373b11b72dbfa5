"""A staff session that has passed only the password step reaches the code step and the
public pages, nothing else.

Staff (``needs_second_factor``) are signed in by the password step and verified by the
code step. In between, ``login_required`` would let them through to every page that asks
only for a signed-in user: the applicant pages, linking an application to the staff
account. This middleware, after django-otp's ``OTPMiddleware`` (which tells whether the
session is verified), closes that gap in one place, deny by default:

1. Anyone else (signed out, applicants, verified staff): the view decides, as before.
2. An unverified staff session reaches only the views named in ``OPEN_VIEWS`` (the code
   step, signing out, the language switch, the public pages anyone signed out sees) and
   the API views, which answer for themselves (``common.api.IsAuthenticatedVerified``
   refuses with 403; the public ones serve anyone).
3. Any other page sends them to the code step, coming back there afterwards, without
   running the view: a POST stores nothing.

Static files never get here: WhiteNoise serves them before any of this runs. A path no
URL matches is a 404 as for anyone.
"""

from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from rest_framework.views import APIView

from common.permissions import is_verified, needs_second_factor

# URL names (``namespace:name``). A page left out of here is closed to a half-signed-in
# session, which only costs its owner the code step.
OPEN_VIEWS = frozenset(
    {
        # The code step itself, and the ways out of it.
        "common:verify",
        "common:sign_out",
        "set_language",
        "health",
        # Public pages.
        "centres:list",
        "centres:detail",
        "common:sign_in",
        "common:sign_up",
        "common:sign_up_sent",
        "common:confirm",
        "common:confirm_resend",
        "common:confirm_resend_sent",
        "common:password_reset",
        "common:password_reset_done",
        "common:password_reset_confirm",
        "common:password_reset_complete",
    }
)


def half_signed_in(user) -> bool:
    """Signed in with the password, and the code step still to do."""
    return needs_second_factor(user) and not is_verified(user)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not half_signed_in(request.user):
            return None
        if request.resolver_match.view_name in OPEN_VIEWS:
            return None
        view_class = getattr(view_func, "cls", None)  # DRF's as_view() sets it
        if isinstance(view_class, type) and issubclass(view_class, APIView):
            return None
        return redirect_to_login(request.get_full_path(), login_url=reverse("common:verify"))
