"""The two sign-in steps: password, then (for staff) a one-time code.

Both forms take the lock-out into account in ``clean()``: a locked identity is refused
before any password or code is checked, so locked attempts cost nothing and count for
nothing; a wrong password or code counts one failure; a right one clears the count.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.permissions import needs_second_factor, totp_devices
from common.ratelimit import OTP_CODE, SIGN_IN, client_ip

LOCKED_OUT = _("Too many failed attempts. Try again in 15 minutes.")
NO_DEVICE = _(
    "Your account needs a one-time code to sign in, but no authenticator app is set up "
    "for it. Contact your administrator."
)
FORM_ERRORS_ID = "form-errors"


class _DescribedErrorsMixin:
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


class SignInForm(_DescribedErrorsMixin, AuthenticationForm):
    def _identity(self) -> tuple[str, str]:
        username = get_user_model().normalize_username(self.data.get("username", ""))
        return username.strip().casefold(), client_ip(self.request)

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
        super().confirm_login_allowed(user)
        if needs_second_factor(user) and not totp_devices(user).exists():
            raise ValidationError(NO_DEVICE, code="no_device")


class VerifyForm(_DescribedErrorsMixin, forms.Form):
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
                "autofocus": True,
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
