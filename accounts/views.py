"""Signing in and out, and the applicant's account: sign-up, confirmation, passwords,
e-mail address and language. ``accounts/forms.py`` checks the input,
``accounts/services.py`` makes the change and sends the e-mail; these views only route and
answer."""

from functools import wraps
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from accounts.forms import (
    NO_DEVICE,
    ChangePasswordForm,
    ConfirmForm,
    EmailChangeForm,
    EmailConfirmForm,
    LanguageForm,
    ResendForm,
    ResetRequestForm,
    SetNewPasswordForm,
    SignInForm,
    SignUpForm,
    VerifyForm,
)
from accounts.services import (
    AccountError,
    account_confirm,
    account_confirmation_resend,
    account_email_change_confirm,
    account_email_change_request,
    account_sign_up,
    applicant_language_change,
    awaiting_confirmation,
)
from accounts.tokens import account_confirm_token, email_change_read
from centres.models import StaffProfile
from centres.selectors import staff_profile_of
from common.inputs import has_control_characters
from common.permissions import is_verified, needs_second_factor, totp_devices
from common.ratelimit import client_ip

if TYPE_CHECKING:
    from django.forms import BaseForm
    from django.views.generic import FormView

User = get_user_model()


def set_language(request):
    """Django's language switch, with a ``next`` that a header can carry: one with a
    control character (a NUL byte) is no page, as an off-site one is, and the switch goes
    back to where the visitor came from instead."""
    for method in ("GET", "POST"):
        values = getattr(request, method)
        if has_control_characters(values.get("next", "")):
            values = values.copy()
            del values["next"]
            setattr(request, method, values)
    return i18n_views.set_language(request)


@require_GET
def health(request):
    """Liveness and database reachability, for the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _safe_next(request) -> str:
    """The ``next`` page if it is a path on this site, else "". A path, not a bare word
    (``redirect()`` would look ``next=abc`` up as a URL name), and one a ``Location``
    header can carry (no control character)."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if (
        url.startswith("/")
        and not has_control_characters(url)
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return ""


# Where each staff role starts its work (URL names: this app points at none of them).
LANDING_BY_ROLE: dict[str, str] = {
    StaffProfile.Role.CBSA_OFFICER: "interviews:day_list",
    StaffProfile.Role.CBP_OFFICER: "interviews:day_list",
    StaffProfile.Role.CENTRE_ADMIN: "capacity:centres",
    StaffProfile.Role.PROGRAMME_ADMIN: "figures:dashboard",
    StaffProfile.Role.ENTRY_EXIT_ANALYST: "entry_exit:home",
    StaffProfile.Role.ENTRY_EXIT_OPERATOR: "entry_exit:home",
}


def _landing_url(user) -> str:
    """Where someone lands after signing in or confirming, when no page asked for them:
    staff at their work (an officer on the console), an administrator without a role
    where staff always have, applicants on their dashboard."""
    if needs_second_factor(user):
        profile = staff_profile_of(user)
        if profile is not None and profile.role in LANDING_BY_ROLE:
            return reverse(LANDING_BY_ROLE[profile.role])
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    return reverse("enrolment:dashboard")


def _status(form) -> int:
    """429 when a lock-out or an e-mail budget refused the form, else 200."""
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    return 429 if codes & {"locked", "rate_limited"} else 200


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@never_cache
def sign_in(request):
    """Step 1: username and password. Staff then go to the code step, others are done."""
    next_url = _safe_next(request)
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        user = form.get_user()
        auth_login(request, user)
        request.session.pop(DEVICE_ID_SESSION_KEY, None)  # every sign-in asks for a new code
        destination = next_url or _landing_url(user)
        if needs_second_factor(user):
            return redirect_to_login(destination, login_url=reverse("common:verify"))
        return redirect(destination)
    context = {
        "form": form,
        "next": next_url,
        "unconfirmed": form.has_error(NON_FIELD_ERRORS, code="unconfirmed"),
    }
    return render(request, "accounts/sign_in.html", context, status=_status(form))


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@never_cache
def verify(request):
    """Step 2, for staff: a code from the TOTP device an administrator set up for them."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    next_url = _safe_next(request) or _landing_url(user)
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
        "accounts/verify.html",
        {"form": form, "next": next_url, "has_device": has_device, "no_device_message": NO_DEVICE},
        status=_status(form),
    )


@require_POST
def sign_out(request):
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect(settings.LOGIN_REDIRECT_URL)


def _account_view(view):
    """Signed in, and staff past the code step too: these pages change how one signs in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if needs_second_factor(user) and not is_verified(user):
            return redirect_to_login(request.get_full_path(), login_url=reverse("common:verify"))
        return view(request, *args, **kwargs)

    return wrapper


def _data(request):
    return request.POST if request.method == "POST" else None


# Sign-up and confirmation ---------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
@never_cache
def sign_up(request):
    if request.user.is_authenticated:
        return redirect(_landing_url(request.user))
    form = SignUpForm(data=_data(request))
    if form.is_valid():
        data = form.cleaned_data
        try:
            account_sign_up(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
                client_ip=client_ip(request),
            )
        except AccountError as error:
            form.add_refusal(error)
        else:
            return redirect("common:sign_up_sent")
    return render(request, "accounts/sign_up.html", {"form": form}, status=_status(form))


@require_GET
def sign_up_sent(request):
    return render(request, "accounts/sign_up_sent.html")


def _user_from_uidb64(uidb64: str):
    try:
        return User._default_manager.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, User.DoesNotExist, ValidationError):
        return None


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@never_cache
def confirm(request, uidb64, token):
    """The link in the sign-up e-mail: the password, then the account is on and signed in."""
    user = _user_from_uidb64(uidb64)
    if not (
        user is not None
        and awaiting_confirmation(user)
        and account_confirm_token.check_token(user, token)
    ):
        return render(request, "accounts/confirm_invalid.html", {"form": ResendForm()})
    form = ConfirmForm(user, request, data=_data(request))
    if form.is_valid():
        account_confirm(user=user)
        auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(request, _("Your e-mail address is confirmed. You are signed in."))
        return redirect(_landing_url(user))
    context = {"form": form, "account_email": user.email}
    return render(request, "accounts/confirm.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@never_cache
def confirm_resend(request):
    form = ResendForm(data=_data(request))
    if form.is_valid():
        try:
            account_confirmation_resend(
                email=form.cleaned_data["email"], client_ip=client_ip(request)
            )
        except AccountError as error:
            form.add_refusal(error)
        else:
            return redirect("common:confirm_resend_sent")
    return render(request, "accounts/confirm_resend.html", {"form": form}, status=_status(form))


@require_GET
def confirm_resend_sent(request):
    return render(request, "accounts/confirm_resend_sent.html")


# Password reset (Django's views, our forms, templates and e-mail) -----------------------


# The mixin goes before one of Django's form views, whose form_invalid() it extends: its
# base for the type checker, none at run time.
if TYPE_CHECKING:
    _FormViewBase = FormView[BaseForm]
else:
    _FormViewBase = object


class _StatusMixin(_FormViewBase):
    http_method_names = ["get", "post"]

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = _status(form)
        return response


@method_decorator(never_cache, name="dispatch")
class PasswordResetView(_StatusMixin, auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("common:password_reset_done")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    http_method_names = ["get"]
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(_StatusMixin, auth_views.PasswordResetConfirmView):
    form_class = SetNewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("common:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    http_method_names = ["get"]
    template_name = "accounts/password_reset_complete.html"


# The signed-in account ------------------------------------------------------------------


def _applicant(user):
    try:
        return user.applicant
    except ObjectDoesNotExist:
        return None


def _account_page(request, language_form=None, status=200):
    applicant = _applicant(request.user)
    if applicant is not None and language_form is None:
        language_form = LanguageForm(initial={"preferred_language": applicant.preferred_language})
    return render(request, "accounts/account.html", {"language_form": language_form}, status=status)


@_account_view
@require_GET
@never_cache
def account(request):
    return _account_page(request)


@_account_view
@require_POST
@never_cache
def language_change(request):
    applicant = _applicant(request.user)
    if applicant is None:
        raise Http404
    form = LanguageForm(request.POST, initial={"preferred_language": applicant.preferred_language})
    if form.is_valid():
        applicant_language_change(
            applicant=applicant,
            language=form.cleaned_data["preferred_language"],
            actor=request.user,
        )
        messages.success(request, _("Your preferred language is saved."))
        return redirect("common:account")
    return _account_page(request, language_form=form)


@method_decorator(never_cache, name="dispatch")
class PasswordChangeView(_StatusMixin, auth_views.PasswordChangeView):
    """Django's view (it keeps this session signed in, and signs out all others)."""

    form_class = ChangePasswordForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("common:account")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)  # saves through the form, see ChangePasswordForm
        messages.success(self.request, _("Your password is changed."))
        return response


password_change = _account_view(PasswordChangeView.as_view())


@_account_view
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@never_cache
def email_change(request):
    form = EmailChangeForm(request.user, request, data=_data(request))
    if form.is_valid():
        try:
            account_email_change_request(
                user=request.user, new_email=form.cleaned_data["new_email"]
            )
        except AccountError as error:
            form.add_refusal(error)
        else:
            messages.success(
                request,
                _(
                    "We sent a link to your new e-mail address. Open it within 24 hours, while "
                    "signed in, to finish the change. Until then your address stays the same."
                ),
            )
            return redirect("common:account")
    return render(request, "accounts/email_change.html", {"form": form}, status=_status(form))


@_account_view
@require_http_methods(["GET", "POST"])
@never_cache
def email_confirm(request, token):
    """The link sent to the new address: shows the change, and a button to make it."""
    new_email = email_change_read(token, request.user)
    if new_email is None:
        return render(request, "accounts/email_confirm_invalid.html")
    form = EmailConfirmForm(
        request.user, new_email, data=request.POST
    )  # bound: GET shows errors too
    if request.method == "POST" and form.is_valid():
        try:
            account_email_change_confirm(user=request.user, new_email=new_email)
        except AccountError as error:
            form.add_refusal(error)
        else:
            messages.success(request, _("Your e-mail address is changed."))
            return redirect("common:account")
    return render(request, "accounts/email_confirm.html", {"form": form, "new_email": new_email})
