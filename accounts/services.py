"""The account: signing up, confirming, passwords, e-mail address and language.

Every change here is one transaction with an audit row (identifiers only, never an
address or a name); its e-mail goes after the commit (``transaction.on_commit``). A
service that sends e-mail first spends it from a ``RateLimit`` budget; a spent budget
refuses with ``AccountError`` code ``rate_limited`` (the views answer 429).

The forms check the input before any of this runs: passwords, the current password and
its lock-out, an address that already is the account's.
"""

from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts.tokens import account_confirm_token, email_change_token, uidb64
from common.actors import Actor
from common.audit import audit_record
from common.errors import ApplicationError
from common.mail import mail_send
from common.permissions import needs_second_factor
from common.ratelimit import RateLimit
from enrolment.models import Applicant

if TYPE_CHECKING:
    from django.contrib.auth.models import User  # the model get_user_model() returns
else:
    User = get_user_model()

TOO_MANY_REQUESTS = _("You have made too many requests. Wait an hour, then try again.")
EMAIL_TAKEN = _(
    "Another account already uses this e-mail address, so we cannot move yours to it. "
    "Your e-mail address has not changed."
)

# E-mail budgets: every e-mail sent counts, success or not; a spent budget refuses (429).
# Per client address for the anonymous requests, so one visitor cannot flood anyone's
# inbox; password resets also per address asked for, whoever asks.
ACCOUNT_MAIL = RateLimit("account-mail", limit=10, window=60 * 60)  # sign-up, new link
RESET_BY_IP = RateLimit("password-reset-ip", limit=10, window=60 * 60)
RESET_BY_EMAIL = RateLimit("password-reset-email", limit=5, window=60 * 60)
EMAIL_CHANGE_MAIL = RateLimit("email-change", limit=5, window=60 * 60)  # per account


class AccountError(ApplicationError):
    """A refusal of an account service (``rate_limited``, ``taken``)."""


def normalize_email(value: str) -> str:
    """An applicant's address as we keep it, also their username: stripped, casefolded."""
    return value.strip().casefold()


def awaiting_confirmation(user: User) -> bool:
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


def email_in_use(email: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(Q(username=email) | Q(email__iexact=email))
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def user_language(user: User) -> str:
    """The language to write to ``user`` in: the applicant's choice, else the page's."""
    try:
        return user.applicant.preferred_language
    except ObjectDoesNotExist:
        return translation.get_language()


def mail_budget_spend(*budgets: tuple[RateLimit, tuple[str, ...]]) -> None:
    """Count one e-mail against every budget, or refuse, counting nothing, if one is spent."""
    if any(limit.is_locked(*identity) for limit, identity in budgets):
        # "forbidden" for the kind; the code is what makes it a 429.
        raise AccountError(str(TOO_MANY_REQUESTS), code="rate_limited", kind="forbidden")
    for limit, identity in budgets:
        limit.fail(*identity)


def _mail(prefix: str, *, user: User, to: str, language: str, **context: str) -> None:
    mail_send(
        template_prefix=f"accounts/emails/{prefix}",
        context={"user": user, "site_url": settings.SITE_URL, **context},
        to=[to],
        language=language,
    )


def _confirmation_mail_send(user_id: int, language: str) -> None:
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


def password_reset_mail_send(*, user: User, to: str, uid: str, token: str) -> None:
    """The reset link Django made for ``user``, in the account's language."""
    _mail("password_reset", user=user, to=to, language=user_language(user), uid=uid, token=token)


# Sign-up and confirmation ---------------------------------------------------------------


@sensitive_variables("password")
def account_sign_up(
    *, email: str, first_name: str, last_name: str, password: str, client_ip: str
) -> None:
    """Sign up, or answer for the account that already has the address.

    1. Spend one e-mail from the client address's budget, or refuse (``rate_limited``).
    2. No account has the address: a new inactive account, and a link to confirm it.
    3. An account is waiting for confirmation at it: the newest sign-up replaces its
       names and password (the earlier one may not have been the address's owner; its
       link dies with the old password) and gets a new link.
    4. Any other account has it: a message to the address saying so; nothing changes.

    The page that follows is the same in 2 to 4, so it tells no one which it was, and so
    is the work before it: 4 hashes the password too (most of a sign-up's time), and
    every case sends its one e-mail after the commit, the same way. The link goes in the
    page's language, the message in 4 in the account's.
    """
    mail_budget_spend((ACCOUNT_MAIL, (client_ip,)))
    email = normalize_email(email)
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
                first_name=first_name,
                last_name=last_name,
                is_active=False,
            )
            user.set_password(password)
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:  # the same address, signing up at the same moment
                existing = User.objects.select_for_update().get(username=email)
            else:
                audit_record(actor=None, action="account.signed_up", target=user)
                transaction.on_commit(partial(_confirmation_mail_send, user.pk, language))
                return
        if awaiting_confirmation(existing):
            existing.first_name = first_name
            existing.last_name = last_name
            existing.set_password(password)
            existing.save(update_fields=["first_name", "last_name", "password"])
            audit_record(actor=None, action="account.signed_up_again", target=existing)
            transaction.on_commit(partial(_confirmation_mail_send, existing.pk, language))
        else:
            # Thrown away: without it this answer came ten times sooner than a sign-up's
            # and told who has an account (Django's ModelBackend hashes for an unknown
            # username for the same reason).
            make_password(password)
            transaction.on_commit(
                partial(
                    _mail,
                    "sign_up_exists",
                    user=existing,
                    to=existing.email,
                    language=user_language(existing),
                )
            )


def account_confirm(*, user: User) -> bool:
    """Switch the account on; False if another request already did.

    The caller has checked the link and the password chosen at sign-up.
    """
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
        if changed:
            audit_record(actor=user, action="account.confirmed", target=user)
    user.is_active = True
    return bool(changed)


def account_confirmation_resend(*, email: str, client_ip: str) -> None:
    """A new link for an account waiting for confirmation; nothing for any other.

    The e-mail is spent from the client address's budget whether or not one is sent, so
    the answer tells no one whether the address has an account.
    """
    mail_budget_spend((ACCOUNT_MAIL, (client_ip,)))
    language = translation.get_language()
    for user in User.objects.filter(username=normalize_email(email), is_active=False):
        if awaiting_confirmation(user):
            transaction.on_commit(partial(_confirmation_mail_send, user.pk, language))


# Passwords (Django's forms check them; their save() calls these) ------------------------


@sensitive_variables("password")
def account_password_change(*, user: User, password: str) -> User:
    """The signed-in account's new password (Django's view keeps this session signed in)."""
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit_record(actor=user, action="account.password_changed", target=user)
    return user


@sensitive_variables("password")
def account_password_reset(*, user: User, password: str) -> User:
    """The new password chosen on a reset link's page."""
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit_record(actor=user, action="account.password_reset", target=user)
    return user


# E-mail address and language ------------------------------------------------------------


def account_email_change_request(*, user: User, new_email: str) -> None:
    """A link to the new address, and a notice to the current one.

    1. Spend one e-mail from the account's budget, or refuse (``rate_limited``).
    2. Record the request; after the commit, mail the link to ``new_email`` and the
       notice to the current address, both in the account's language.

    Whether another account has the new address is told only once the link is opened,
    that is to someone who reads that mailbox.
    """
    mail_budget_spend((EMAIL_CHANGE_MAIL, (str(user.pk),)))
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


def _taken() -> AccountError:
    return AccountError(str(EMAIL_TAKEN), code="taken", kind="conflict")


def account_email_change_confirm(*, user: User, new_email: str) -> None:
    """Move the account to ``new_email``, or refuse (``taken``) if another account has it.

    An applicant's username is their address, so it moves too; a staff username stays
    what it is. A sign-up taking the address at the same moment trips the unique
    username, and ``user`` is then read back as it is.
    """
    if email_in_use(new_email, exclude=user):
        raise _taken()
    username_follows = user.get_username() == normalize_email(user.email)
    try:
        with transaction.atomic():
            user.email = new_email
            if username_follows:
                user.username = new_email
            user.save(update_fields=["email", "username"])
            audit_record(actor=user, action="account.email_changed", target=user)
    except IntegrityError:  # taken by a sign-up since the check
        user.refresh_from_db()
        raise _taken() from None


def applicant_language_change(*, applicant: Applicant, language: str, actor: Actor) -> Applicant:
    """Save the language for the applicant's e-mails and letters; audit it if it changed."""
    with transaction.atomic():
        old = (
            Applicant.objects.select_for_update()
            .values_list("preferred_language", flat=True)
            .get(pk=applicant.pk)
        )
        applicant.preferred_language = language
        applicant.save(update_fields=["preferred_language"])
        if language != old:
            audit_record(
                actor=actor,
                action="account.language_changed",
                target=applicant,
                old=old,
                new=language,
            )
    return applicant
