"""Signing in (password, then for staff a one-time code) and the applicant's account.

The sign-in forms take the lock-out into account in ``clean()``: a locked identity is
refused before any password or code is checked, so locked attempts cost nothing and count
for nothing; a wrong password or code counts one failure; a right one clears the count.
Every other form that asks for the current password counts into the same lock-out.

The account forms make their change in ``save()``: the rows in one transaction with an
audit row (identifiers only, never an address or a name), the e-mail after the commit.
Forms that send e-mail spend from a ``RateLimit`` budget in ``clean()``; a spent budget
is a form error with code ``rate_limited`` (the views answer 429).
"""

import logging
from functools import partial

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.audit import audit_record
from common.mail import mail_send
from common.permissions import needs_second_factor, totp_devices
from common.ratelimit import OTP_CODE, SIGN_IN, RateLimit, client_ip
from common.tokens import account_confirm_token, email_change_token, uidb64
from enrolment.models import Applicant

logger = logging.getLogger(__name__)
User = get_user_model()

LOCKED_OUT = _("Too many failed attempts. Try again in 15 minutes.")
NO_DEVICE = _(
    "Your account needs a one-time code to sign in, but no authenticator app is set up "
    "for it. Contact your administrator."
)
UNCONFIRMED = _(
    "Confirm your e-mail address first. Open the link in the e-mail we sent you when you "
    "signed up, or ask for a new link."
)
TOO_MANY_REQUESTS = _("You have made too many requests. Wait an hour, then try again.")
WRONG_PASSWORD = _("This is not your current password. Enter it again.")
EMAIL_TAKEN = _(
    "Another account already uses this e-mail address, so we cannot move yours to it. "
    "Your e-mail address has not changed."
)
# Django's validators describe themselves; one plain paragraph, in the page's language.
PASSWORD_HELP = lazy(lambda: " ".join(password_validation.password_validators_help_texts()), str)()
FORM_ERRORS_ID = "form-errors"

# E-mail budgets: every e-mail sent counts, success or not; a spent budget refuses (429).
# Per client address for the anonymous forms, so one visitor cannot flood anyone's inbox;
# password resets also per address asked for, whoever asks.
ACCOUNT_MAIL = RateLimit("account-mail", limit=10, window=60 * 60)  # sign-up, new link
RESET_BY_IP = RateLimit("password-reset-ip", limit=10, window=60 * 60)
RESET_BY_EMAIL = RateLimit("password-reset-email", limit=5, window=60 * 60)
EMAIL_CHANGE_MAIL = RateLimit("email-change", limit=5, window=60 * 60)  # per account


def normalize_email(value: str) -> str:
    """An applicant's address as we keep it, also their username: stripped, casefolded."""
    return value.strip().casefold()


def _lock_identity(username: str) -> str:
    return User.normalize_username(username).strip().casefold()


def awaiting_confirmation(user) -> bool:
    """Signed up, address not confirmed yet.

    Not an account an administrator switched off: that one has signed in before, is
    staff, or has a username of its own; confirming must never switch it back on.
    """
    return (
        not user.is_active
        and user.last_login is None
        and user.get_username() == normalize_email(user.email)
        and not needs_second_factor(user)
    )


def email_in_use(email: str, *, exclude=None) -> bool:
    users = User.objects.filter(Q(username=email) | Q(email__iexact=email))
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def user_language(user) -> str:
    """The language to write to ``user`` in: the applicant's choice, else the page's."""
    try:
        return user.applicant.preferred_language
    except ObjectDoesNotExist:
        return translation.get_language()


def _spend(*budgets: tuple[RateLimit, tuple[str, ...]]) -> None:
    """Count one e-mail against every budget, or refuse, counting nothing, if one is spent."""
    if any(limit.is_locked(*identity) for limit, identity in budgets):
        raise ValidationError(TOO_MANY_REQUESTS, code="rate_limited")
    for limit, identity in budgets:
        limit.fail(*identity)


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


def _mail(prefix: str, *, user, to: str, language: str, **context) -> None:
    mail_send(
        template_prefix=f"common/emails/{prefix}",
        context={"user": user, "site_url": settings.SITE_URL, **context},
        to=[to],
        language=language,
    )


def confirmation_mail_send(user_id: int, language: str) -> None:
    user = User.objects.get(pk=user_id)
    token = account_confirm_token.make_token(user)
    _mail(
        "sign_up_confirm",
        user=user,
        to=user.email,
        language=language,
        uid=uidb64(user),
        token=token,
    )


def _password_input(autocomplete: str, **attrs) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete, **attrs})


class DescribedErrorsMixin:
    """Ties form-wide errors to every input with aria-describedby.

    Django already does this for a field's own errors and help text; an error about the
    whole form (wrong password, locked out) is announced with each input too.
    """

    def full_clean(self):
        super().full_clean()
        if self.non_field_errors():
            for name, field in self.fields.items():
                ids = [FORM_ERRORS_ID, self[name].aria_describedby]
                field.widget.attrs["aria-describedby"] = " ".join(i for i in ids if i)


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

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean(self):
        cleaned_data = super().clean()
        self.validate_passwords()
        email = cleaned_data.get("email", "")
        candidate = User(
            username=email,
            email=email,
            first_name=cleaned_data.get("first_name", ""),
            last_name=cleaned_data.get("last_name", ""),
        )
        self.validate_password_for_user(candidate, "password1")
        if not self.errors:
            _spend((ACCOUNT_MAIL, (client_ip(self.request),)))
        return cleaned_data

    def save(self) -> None:
        """Sign up, or answer for the account that already has the address.

        1. No account has it: a new inactive account, and a link to confirm it.
        2. An account is waiting for confirmation at it: the newest sign-up replaces its
           names and password (the earlier one may not have been the address's owner; its
           link dies with the old password) and gets a new link.
        3. Any other account has it: a message to the address saying so; nothing changes.

        The page that follows is the same in all three, so it tells no one which it was.
        """
        data = self.cleaned_data
        email = data["email"]
        language = translation.get_language()
        with transaction.atomic():
            existing = (
                User.objects.select_for_update()
                .filter(Q(username=email) | Q(email__iexact=email))
                .order_by("pk")
                .first()
            )
            if existing is None:
                user = User(
                    username=email,
                    email=email,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    is_active=False,
                )
                self.set_password_and_save(user, commit=False)
                try:
                    with transaction.atomic():
                        user.save()
                except IntegrityError:  # the same address, signing up at the same moment
                    existing = User.objects.select_for_update().get(username=email)
                else:
                    audit_record(actor=None, action="account.signed_up", target=user)
                    transaction.on_commit(partial(confirmation_mail_send, user.pk, language))
                    return
            if awaiting_confirmation(existing):
                existing.first_name = data["first_name"]
                existing.last_name = data["last_name"]
                self.set_password_and_save(existing, commit=False)
                existing.save(update_fields=["first_name", "last_name", "password"])
                audit_record(actor=None, action="account.signed_up_again", target=existing)
                transaction.on_commit(partial(confirmation_mail_send, existing.pk, language))
            else:
                transaction.on_commit(
                    partial(
                        _mail,
                        "sign_up_exists",
                        user=existing,
                        to=existing.email,
                        language=user_language(existing),
                    )
                )


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

    def save(self) -> bool:
        """Switch the account on; False if another request already did."""
        with transaction.atomic():
            changed = User.objects.filter(pk=self.user.pk, is_active=False).update(is_active=True)
            if changed:
                audit_record(actor=self.user, action="account.confirmed", target=self.user)
        self.user.is_active = True
        return bool(changed)


class ResendForm(DescribedErrorsMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors:
            _spend((ACCOUNT_MAIL, (client_ip(self.request),)))
        return cleaned_data

    def save(self) -> None:
        """A new link for an account waiting for confirmation; nothing for any other."""
        language = translation.get_language()
        for user in User.objects.filter(username=self.cleaned_data["email"], is_active=False):
            if awaiting_confirmation(user):
                transaction.on_commit(partial(confirmation_mail_send, user.pk, language))


# Account: passwords ---------------------------------------------------------------------


class _NewPasswordMixin:
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


class ChangePasswordForm(_NewPasswordMixin, DescribedErrorsMixin, auth_forms.PasswordChangeForm):
    def __init__(self, user, *args, request, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request
        self.fields["old_password"].label = _("Current password")

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        _check_current_password(self.request, self.user, password)
        return password


class ResetRequestForm(DescribedErrorsMixin, auth_forms.PasswordResetForm):
    """Django's reset request, rate-limited, and its e-mail in the account's language.

    Django mails only active accounts with a usable password, and the page after is the
    same whether the address has an account or not.
    """

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["email"].label = _("E-mail address")
        self.fields["email"].widget.attrs["spellcheck"] = "false"

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors:
            _spend(
                (RESET_BY_IP, (client_ip(self.request),)),
                (RESET_BY_EMAIL, (normalize_email(cleaned_data["email"]),)),
            )
        return cleaned_data

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context["user"]
        try:
            _mail(
                "password_reset",
                user=user,
                to=context["email"],
                language=user_language(user),
                uid=context["uid"],
                token=context["token"],
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

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors:
            _spend((EMAIL_CHANGE_MAIL, (str(self.user.pk),)))
        return cleaned_data

    def save(self) -> None:
        """A link to the new address, and a notice to the current one.

        Whether another account has the new address is told only once the link is
        opened, that is to someone who reads that mailbox.
        """
        user, new_email = self.user, self.cleaned_data["new_email"]
        language = user_language(user)
        token = email_change_token(user, new_email)
        with transaction.atomic():
            audit_record(actor=user, action="account.email_change_requested", target=user)
            transaction.on_commit(
                partial(
                    _mail, "email_change_confirm", user=user, to=new_email, language=language,
                    token=token,
                )
            )  # fmt: skip
            transaction.on_commit(
                partial(_mail, "email_change_notice", user=user, to=user.email, language=language)
            )


class EmailConfirmForm(forms.Form):
    """The button on the page the e-mail change link opens; no fields."""

    def __init__(self, user, new_email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.new_email = new_email

    def clean(self):
        if email_in_use(self.new_email, exclude=self.user):
            raise ValidationError(EMAIL_TAKEN, code="taken")
        return self.cleaned_data

    def save(self) -> bool:
        """Move the account to the new address; False (and a form error) if it is taken.

        An applicant's username is their address, so it moves too; a staff username
        stays what it is.
        """
        user = self.user
        username_follows = user.get_username() == normalize_email(user.email)
        try:
            with transaction.atomic():
                user.email = self.new_email
                if username_follows:
                    user.username = self.new_email
                user.save(update_fields=["email", "username"])
                audit_record(actor=user, action="account.email_changed", target=user)
        except IntegrityError:  # taken by a sign-up since clean()
            user.refresh_from_db()
            self.add_error(None, ValidationError(EMAIL_TAKEN, code="taken"))
            return False
        return True


class LanguageForm(forms.ModelForm):
    class Meta:
        model = Applicant
        fields = ["preferred_language"]
        labels = {"preferred_language": _("Language for e-mails and letters")}
        widgets = {"preferred_language": forms.RadioSelect}

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.initial_language = self.instance.preferred_language

    def save(self, commit=True) -> Applicant:
        applicant = self.instance
        new = self.cleaned_data["preferred_language"]
        with transaction.atomic():
            applicant.save(update_fields=["preferred_language"])
            if new != self.initial_language:
                audit_record(
                    actor=self.actor,
                    action="account.language_changed",
                    target=applicant,
                    old=self.initial_language,
                    new=new,
                )
        return applicant
