"""The links in account e-mails: confirming a new account, and confirming a new address.

Both kinds die once used, without storing anything: each is bound to state that using it
changes (the account's ``is_active`` and last sign-in; the account's current address).
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


class AccountConfirmTokenGenerator(PasswordResetTokenGenerator):
    """Like the password-reset token (pk, password hash, last sign-in, address, time),
    under its own salt so neither kind of link opens the other's page, plus ``is_active``:
    confirming flips it and signs the person in, so the link works once. It lasts
    ``PASSWORD_RESET_TIMEOUT``, after which the person asks for a new one."""

    # This salt and EMAIL_CHANGE_SALT keep the former module name (common.tokens), so links
    # already sent still open.
    key_salt = "common.tokens.AccountConfirmTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


account_confirm_token = AccountConfirmTokenGenerator()


def uidb64(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


EMAIL_CHANGE_SALT = "common.tokens.email-change"
EMAIL_CHANGE_MAX_AGE = 24 * 60 * 60  # seconds


def _address_digest(email: str) -> str:
    # The link is signed, not encrypted: it names the new address (it is sent there) but
    # only a digest of the current one, which need not show up in anyone's logs.
    return salted_hmac(EMAIL_CHANGE_SALT, email.casefold()).hexdigest()[:20]


def email_change_token(user, new_email: str) -> str:
    """A signed, timestamped link payload: who, which new address, from which address."""
    return signing.dumps([user.pk, new_email, _address_digest(user.email)], salt=EMAIL_CHANGE_SALT)


def email_change_read(token: str, user) -> str | None:
    """The new address, if ``token`` is this user's, under a day old and still current
    (made while the account had the address it has now), else None."""
    try:
        pk, new_email, digest = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE
        )
    except (signing.BadSignature, ValueError, TypeError):  # expired is a BadSignature
        return None
    if pk != user.pk or not isinstance(new_email, str) or not isinstance(digest, str):
        return None
    if not constant_time_compare(digest, _address_digest(user.email)):
        return None
    return new_email
