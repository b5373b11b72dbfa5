from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from common.forms import NO_DEVICE, SignInForm, VerifyForm
from common.permissions import is_verified, needs_second_factor, totp_devices


@require_GET
def health(request):
    """Liveness and database reachability, for the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _next_url(request) -> str:
    """Where to go after signing in: ``next`` if it stays on this site, else the default."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _status(form) -> int:
    return 429 if form.has_error(NON_FIELD_ERRORS, code="locked") else 200


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@never_cache
def sign_in(request):
    """Step 1: username and password. Staff then go to the code step, others are done."""
    next_url = _next_url(request)
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        request.session.pop(DEVICE_ID_SESSION_KEY, None)  # every sign-in asks for a new code
        if needs_second_factor(user):
            return redirect_to_login(next_url, login_url=reverse("common:verify"))
        return redirect(next_url)
    return render(
        request, "common/sign_in.html", {"form": form, "next": next_url}, status=_status(form)
    )


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@never_cache
def verify(request):
    """Step 2, for staff: a code from the TOTP device an administrator set up for them."""
    next_url = _next_url(request)
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if is_verified(user) or not needs_second_factor(user):
        return redirect(next_url)
    has_device = totp_devices(user).exists()
    data = request.POST if request.method == "POST" and has_device else None
    form = VerifyForm(user, data=data)
    if form.is_valid():
        request.session.cycle_key()  # a new session id for the raised privilege
        otp_login(request, form.device)
        return redirect(next_url)
    return render(
        request,
        "common/verify.html",
        {"form": form, "next": next_url, "has_device": has_device, "no_device_message": NO_DEVICE},
        status=_status(form),
    )


@require_POST
def sign_out(request):
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect(settings.LOGIN_REDIRECT_URL)
