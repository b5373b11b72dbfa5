"""Signing in (password, then for staff a one-time code) and the applicant's account.

The sign-in forms take the lock-out into account in ``clean()``: a locked identity is
refused before any password or code is checked, so locked attempts cost nothing and count
for nothing; a wrong password or code counts one failure; a right one clears the count.
Every other form that asks for the current password counts into the same lock-out.

The account forms only check their input; the views hand it to ``accounts/services.py``,
which makes the change and sends the e-mail. A service's refusal (a spent e-mail budget,
an address taken meanwhile) comes back as a form-wide error through ``add_refusal()``.
"""

import logging
from typing import TYPE_CHECKING

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import (
    EMAIL_TAKEN,
    RESET_BY_EMAIL,
    RESET_BY_IP,
    AccountError,
    account_password_change,
    account_password_reset,
    awaiting_confirmation,
    email_in_use,
    mail_budget_spend,
    normalize_email,
    password_reset_mail_send,
)
from common.forms import DescribedErrorsMixin
from common.permissions import needs_second_factor, totp_devices
from common.ratelimit import RateLimit, client_ip
from enrolment.models import Applicant

logger = logging.getLogger(__name__)
if TYPE_CHECKING:
    from django.contrib.auth.models import User  # the model get_user_model() returns
else:
    User = get_user_model()

# The lock-outs (common/ratelimit.py): wrong passwords per username and client address,
# wrong codes per staff account.
SIGN_IN = RateLimit("sign-in")
OTP_CODE = RateLimit("otp-code")

LOCKED_OUT = _("Too many failed attempts. Try again in 15 minutes.")
NO_DEVICE = _(
    "Your account needs a one-time code to sign in, but no authenticator app is set up "
    "for it. Contact your administrator."
)
UNCONFIRMED = _(
    "Confirm your e-mail address first. Open the link in the e-mail we sent you when you "
    "signed up, or ask for a new link."
)
WRONG_PASSWORD = _("This is not your current password. Enter it again.")
# Django's validators describe themselves; one plain paragraph, in the page's language.
PASSWORD_HELP = lazy(lambda: " ".join(password_validation.password_validators_help_texts()), str)()


def _lock_identity(username: str) -> str:
    return User.normalize_username(username).strip().casefold()


def _check_current_password(request, user, password: str) -> None:
    """A wrong current password counts as a failed sign-in of the same account, here."""
    identity = (_lock_identity(user.get_username()), client_ip(request))
    if SIGN_IN.is_locked(*identity):
        raise ValidationError(LOCKED_OUT, code="locked")
    if not user.check_password(password):
        if SIGN_IN.fail(*identity):
            raise ValidationError(LOCKED_OUT, code="locked")
        raise ValidationError(WRONG_PASSWORD, code="password_incorrect")
    SIGN_IN.clear(*identity)


def _password_input(autocomplete: str, **attrs) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete, **attrs})


class SignInForm(DescribedErrorsMixin, AuthenticationForm):
    """Applicants sign in with their e-mail address, staff with a username."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address or username")
        # No autofocus (Django sets it): a keyboard user's first Tab must reach the skip
        # link, and a screen reader should start at the top of the page.
        self.fields["username"].widget.attrs.pop("autofocus", None)

    def _identity(self) -> tuple[str, str]:
        return _lock_identity(self.data.get("username", "")), client_ip(self.request)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        # An applicant's username is their casefolded address; staff usernames stay as typed.
        return normalize_email(username) if "@" in username else username

    def clean(self):
        identity = self._identity()
        if SIGN_IN.is_locked(*identity):
            raise ValidationError(LOCKED_OUT, code="locked")
        try:
            cleaned_data = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login" and SIGN_IN.fail(*identity):
                raise ValidationError(LOCKED_OUT, code="locked") from None
            raise
        if self.user_cache is not None:
            SIGN_IN.clear(*identity)
        return cleaned_data

    def confirm_login_allowed(self, user):
        # The backend (AllowAllUsersModelBackend) lets inactive accounts through to here,
        # after their password was checked, so only their owner learns why.
        if awaiting_confirmation(user):
            raise ValidationError(UNCONFIRMED, code="unconfirmed")
        super().confirm_login_allowed(user)
        if needs_second_factor(user) and not totp_devices(user).exists():
            raise ValidationError(NO_DEVICE, code="no_device")


class VerifyForm(DescribedErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("One-time code"),
        help_text=_("The 6-digit code your authenticator app shows for NEXUS Portal."),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device: TOTPDevice | None = None

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())  # "123 456" as some apps show it
        if not (code.isascii() and code.isdigit() and 6 <= len(code) <= 8):
            raise ValidationError(
                _("Enter the code as digits only, for example 123456."), code="format"
            )
        return code

    def clean(self):
        identity = (str(self.user.pk),)
        if OTP_CODE.is_locked(*identity):
            raise ValidationError(LOCKED_OUT, code="locked")
        code = self.cleaned_data.get("code")
        if code is None:
            return self.cleaned_data
        devices = list(totp_devices(self.user))
        if not devices:
            raise ValidationError(NO_DEVICE, code="no_device")
        # django-otp's own throttle (a delay doubling with each wrong code, reset only by
        # a right one) stays on beneath ours; a throttled try is not a guess, so not counted.
        if not any(device.verify_is_allowed()[0] for device in devices):
            raise ValidationError(
                _("Wait a few seconds, then enter the code again."), code="throttled"
            )
        for device in devices:
            # verify_token() locks the device row: one code cannot be used twice at once.
            self.device = verify_token(self.user, device.persistent_id, code)
            if self.device is not None:
                OTP_CODE.clear(*identity)
                return self.cleaned_data
        if OTP_CODE.fail(*identity):
            raise ValidationError(LOCKED_OUT, code="locked")
        raise ValidationError(
            _("This code is not valid. Enter the code your app shows now."), code="invalid"
        )


# Account: sign-up and confirmation ------------------------------------------------------


class SignUpForm(DescribedErrorsMixin, auth_forms.SetPasswordMixin, forms.Form):
    first_name = forms.CharField(
        label=_("Given name(s)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Surname"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("We will send a link to this address to confirm it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=PASSWORD_HELP,
        widget=_password_input("new-password"),
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        help_text=_("Enter the same password again."),
        widget=_password_input("new-password"),
    )

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean(self):
        cleaned_data = super().clean()
        assert cleaned_data is not None  # Django's clean() returns cleaned_data
        self.validate_passwords()
        email = cleaned_data.get("email", "")
        candidate = User(
            username=email,
            email=email,
            first_name=cleaned_data.get("first_name", ""),
            last_name=cleaned_data.get("last_name", ""),
        )
        self.validate_password_for_user(candidate, "password1")
        return cleaned_data


class ConfirmForm(DescribedErrorsMixin, forms.Form):
    """The confirmation link opens this: the password chosen at sign-up, then one button.

    The password proves the person confirming is the one who signed up; without it, an
    account someone else had opened with your address would become yours, with their
    password. And a button, not the link itself, changes things: mail scanners follow
    links.
    """

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("The password you chose when you signed up."),
        widget=_password_input("current-password"),
    )

    def __init__(self, user, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        _check_current_password(self.request, self.user, password)
        return password


class ResendForm(DescribedErrorsMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])


# Account: passwords ---------------------------------------------------------------------

# The mixin goes before Django's SetPasswordForm (or its PasswordChangeForm), whose fields
# and methods it uses: its base for the type checker, none at run time.
if TYPE_CHECKING:
    _SetPasswordFormBase = auth_forms.SetPasswordForm[User]
else:
    _SetPasswordFormBase = object


class _NewPasswordMixin(_SetPasswordFormBase):
    """Our labels and help for Django's two new-password fields; errors on the first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password2"].label = _("Confirm new password")
        self.fields["new_password2"].help_text = _("Enter the same password again.")

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return self.cleaned_data


class SetNewPasswordForm(_NewPasswordMixin, DescribedErrorsMixin, auth_forms.SetPasswordForm):
    """The last step of a password reset."""

    def save(self, commit=True):
        # Django's view saves through here; the change is the service's.
        return account_password_reset(user=self.user, password=self.cleaned_data["new_password1"])


class ChangePasswordForm(_NewPasswordMixin, DescribedErrorsMixin, auth_forms.PasswordChangeForm):
    def __init__(self, user, *args, request, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request
        self.fields["old_password"].label = _("Current password")

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        _check_current_password(self.request, self.user, password)
        return password

    def save(self, commit=True):
        # Django's view saves through here; the change is the service's.
        return account_password_change(user=self.user, password=self.cleaned_data["new_password1"])


class ResetRequestForm(DescribedErrorsMixin, auth_forms.PasswordResetForm):
    """Django's reset request, rate-limited, and its e-mail in the account's language.

    Django mails only active accounts with a usable password, and the page after is the
    same whether the address has an account or not. Django's view mails from ``save()``
    with no service in between, so the e-mail budgets are spent here, in ``clean()``.
    """

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["email"].label = _("E-mail address")
        self.fields["email"].widget.attrs["spellcheck"] = "false"

    def clean(self):
        cleaned_data = super().clean()
        assert cleaned_data is not None  # Django's clean() returns cleaned_data
        if not self.errors:
            try:
                mail_budget_spend(
                    (RESET_BY_IP, (client_ip(self.request),)),
                    (RESET_BY_EMAIL, (normalize_email(cleaned_data["email"]),)),
                )
            except AccountError as error:
                raise ValidationError(error.message, code=error.code) from None
        return cleaned_data

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        try:
            password_reset_mail_send(
                user=user, to=context["email"], uid=context["uid"], token=context["token"]
            )
        except Exception:  # a failure must look like any other answer: logged, not shown
            logger.exception("Failed to send a password reset e-mail to user %s", user.pk)


# Account: e-mail address and language ---------------------------------------------------


class EmailChangeForm(DescribedErrorsMixin, forms.Form):
    new_email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        help_text=_("We will send a link to this address. Your address changes once you open it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=_password_input("current-password"),
    )

    def __init__(self, user, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_new_email(self) -> str:
        email = normalize_email(self.cleaned_data["new_email"])
        if email == normalize_email(self.user.email):
            raise ValidationError(
                _("This is already your e-mail address. Enter a different one."), code="same"
            )
        return email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        _check_current_password(self.request, self.user, password)
        return password


class EmailConfirmForm(DescribedErrorsMixin, forms.Form):
    """The button on the page the e-mail change link opens; no fields."""

    def __init__(self, user, new_email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.new_email = new_email

    def clean(self):
        if email_in_use(self.new_email, exclude=self.user):
            raise ValidationError(EMAIL_TAKEN, code="taken")
        return self.cleaned_data


class LanguageForm(forms.Form):
    # The model's own form field, as a ModelForm would make it, without touching the row.
    preferred_language = Applicant._meta.get_field("preferred_language").formfield(
        label=_("Language for e-mails and letters"), widget=forms.RadioSelect
    )
