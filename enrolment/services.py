"""Every write in the enrolment app.

Linking a portal account to the application the agencies already hold: the applicant
proves the application is theirs with its number and their date of birth (both on the
conditional-approval letter). Wrong guesses count against a per-account lock-out, and
every miss looks the same: it never says which of the two was wrong, nor that the file
is another account's.

The renewal-benefit extension (``membership_benefits_sweep``, a daily job).
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.audit import audit_record
from common.errors import ApplicationError
from common.outbox import outbox_put
from common.permissions import needs_second_factor
from common.ratelimit import RateLimit
from enrolment.models import Applicant, Application, Membership

logger = logging.getLogger(__name__)

LINK_APPLICATION = RateLimit("link-application")


def _locked() -> ApplicationError:
    return ApplicationError(
        _("Too many attempts. Try again in 15 minutes."), code="locked", kind="too_many"
    )


def _miss(identity: tuple[str, ...]) -> ApplicationError:
    """Count a miss (outside any transaction: while Redis is down the count is a database
    row, which the refusal must not roll back); the error to raise for it."""
    if LINK_APPLICATION.fail(*identity):
        return _locked()
    return ApplicationError(
        _(
            "We could not find an application with this number and date of birth. Check "
            "both against your conditional-approval letter."
        ),
        code="no_match",
        kind="invalid",
    )


def application_number_normalize(number: str) -> str:
    return "".join(number.split()).upper()


def application_link(*, user: User, number: str, date_of_birth: date) -> Application:
    """Link ``user`` to the applicant whose application ``number`` is, if the date of
    birth matches; every application of that applicant comes with it.

    1. A staff account (any that needs the code step) is refused before anything is
       looked up or counted: staff accounts never hold an application.
    2. A locked account is refused (``locked``) without a look-up.
    3. The number and date of birth of a file this account already holds: said so
       (``already_linked``); it is theirs.
    4. An account that already holds another person's file is refused
       (``account_taken``), whatever was entered: the answer says nothing about it.
    5. Every other miss (an unknown number, a wrong date of birth, a file another
       account holds) is the same miss: counted against the lock, and the same answer
       (``no_match``), so a right date of birth is never confirmed to someone who may not
       know it.
    6. The link is a conditional update; a file another account linked meanwhile is a
       miss as in 5.
    """
    if needs_second_factor(user):
        raise ApplicationError(
            _(
                "A staff account cannot be linked to an application. Sign in with your "
                "personal account to link yours."
            ),
            code="staff_account",
            kind="forbidden",
        )
    identity = (str(user.pk),)
    if LINK_APPLICATION.is_locked(*identity):
        raise _locked()
    application = (
        Application.objects.select_related("applicant")
        .filter(number=application_number_normalize(number))
        .first()
    )
    # The application, if the date of birth is its applicant's; else None.
    matched = (
        application
        if application is not None and application.applicant.date_of_birth == date_of_birth
        else None
    )
    if matched is not None and matched.applicant.user_id == user.pk:
        raise ApplicationError(
            _("This application is already linked to your account."),
            code="already_linked",
            kind="conflict",
        )
    if Applicant.objects.filter(user=user).exists():
        raise ApplicationError(
            _(
                "Your account is already linked to another person's file. Sign in with "
                "that person's account, or contact the NEXUS help line."
            ),
            code="account_taken",
            kind="conflict",
        )
    if matched is None or matched.applicant.user_id is not None:
        raise _miss(identity)
    applicant = matched.applicant
    with transaction.atomic():
        # Conditional: two accounts linking the same file at once cannot both win.
        linked = Applicant.objects.filter(pk=applicant.pk, user__isnull=True).update(
            user=user, preferred_language=(get_language() or "en")[:2]
        )
        if linked:
            audit_record(
                actor=user,
                action="application.linked",
                target=applicant,
                application=matched.pk,
            )
    if not linked:
        raise _miss(identity)
    LINK_APPLICATION.clear(*identity)
    return matched


# --- The renewal-benefit extension --------------------------------------------------------

BENEFITS_MAIL = "mail.membership_benefits"
# The longest a renewal applied for in time keeps the benefits past the expiry date.
BENEFITS_EXTENSION_YEARS = 5


@dataclass(frozen=True)
class RenewalOutcomes:
    """When a renewal is over is the interview workflow's to say, the app above this one:
    it registers, at start-up (``interviews.apps``), the lookup from an application to its
    interview's state and the states that end a renewal, with the audit's word for each.
    Until then (this app on its own) no renewal is over before it is withdrawn."""

    state_lookup: str = "pk"
    words: Mapping[str, str] = field(default_factory=dict)


_renewal_outcomes = [RenewalOutcomes()]


def renewal_outcomes_register(outcomes: RenewalOutcomes) -> None:
    _renewal_outcomes[0] = outcomes


def _renewal_over() -> RenewalOutcomes:
    return _renewal_outcomes[0]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _renewals_under_way() -> QuerySet[Application]:
    """Renewals of the outer membership applied for before its expiry date and not over:
    not withdrawn, and not refused, expired or completed (a renewal without an enrolment
    yet, still being reviewed or awaiting its interview, is under way)."""
    return (
        Application.objects.filter(
            kind=Application.Kind.RENEWAL,
            membership=OuterRef("pk"),
            submitted_at__date__lt=OuterRef("expires_on"),
        )
        .exclude(status=Application.Status.WITHDRAWN)
        .exclude(**{f"{_renewal_over().state_lookup}__in": list(_renewal_over().words)})
    )


def _extension_ends(today: date) -> Q:
    """A running extension ends: auto-renewed, past its five years, or no renewal under way."""
    ended = Q(auto_renewed=True) | Q(benefits_extended_until__lt=today)
    # A Q: Q | Exists takes any conditional expression, the stubs' Q.__or__ only a Q.
    return ended | ~Exists(_renewals_under_way())  # type: ignore[return-value]


def _end_reason(membership: Membership, today: date) -> str:
    """Why an extension ends, for the audit row: a code, never personal data."""
    if membership.auto_renewed:
        return "auto_renewed"
    assert membership.benefits_extended_until is not None  # a running extension
    if membership.benefits_extended_until < today:
        return "limit_reached"
    renewal = (
        Application.objects.filter(
            kind=Application.Kind.RENEWAL,
            membership=membership,
            submitted_at__date__lt=membership.expires_on,
        )
        .order_by("-submitted_at", "-pk")
        .first()
    )
    if renewal is None:
        return "no_renewal"
    if renewal.status == Application.Status.WITHDRAWN:
        return "withdrawn"
    outcomes = _renewal_over()
    if outcomes.words:
        state = (
            Application.objects.filter(pk=renewal.pk)
            .values_list(outcomes.state_lookup, flat=True)
            .first()
        )
        if state is not None and state in outcomes.words:
            return outcomes.words[state]
    return "no_renewal"


@dataclass(frozen=True)
class BenefitsSweep:
    extended: int
    ended: int


def membership_benefits_sweep(*, today: date) -> BenefitsSweep:
    """Apply and end renewal-benefit extensions (daily job); safe to run twice at once.

    A member who applied to renew before the membership's expiry date keeps their
    benefits past it while the renewal is under way, for at most five years: until
    ``expires_on`` + five years. Auto-renewed memberships get no extension.

    1. Extensions start on the expiry date (before it the membership is valid anyway, and
       a renewal completed in time needs none). Each is set by a conditional update
       (still unset, same expiry date, a renewal still under way), so of two runs at once
       one changes the row and the other finds nothing to do; only the one that changed it
       writes the audit row and records the e-mail (its outbox key names the membership
       and the date: one message, however often the sweep runs).
    2. An extension ends when the renewal is refused, withdrawn or expires, the membership
       is auto-renewed, or its five years are over — again by a conditional update on the
       value read, with one audit row. A completed renewal ends it itself
       (``interviews.services.workflow._complete`` gives the new expiry date).
    """
    years = BENEFITS_EXTENSION_YEARS
    ended = 0
    running = Membership.objects.filter(benefits_extended_until__isnull=False).filter(
        _extension_ends(today)
    )
    for membership in running.order_by("pk"):
        extended_until = membership.benefits_extended_until
        assert extended_until is not None  # running: the filter above
        with transaction.atomic():
            changed = (
                Membership.objects.filter(
                    pk=membership.pk, benefits_extended_until=membership.benefits_extended_until
                )
                .filter(_extension_ends(today))
                .update(benefits_extended_until=None)
            )
            if changed != 1:
                continue  # the renewal completed, or another run ended it first
            audit_record(
                actor=None,
                action="membership.benefits_extension_ended",
                target=membership,
                until=extended_until.isoformat(),
                reason=_end_reason(membership, today),
            )
            ended += 1

    extended = 0
    # The five-year limit, coarsely in the database (one day's slack for 29 February),
    # exactly below.
    earliest = add_years(today, -years) - timedelta(days=1)
    due = Membership.objects.filter(
        benefits_extended_until__isnull=True,
        auto_renewed=False,
        expires_on__lte=today,
        expires_on__gte=earliest,
    ).filter(Exists(_renewals_under_way()))
    for membership in due.order_by("pk"):
        until = add_years(membership.expires_on, years)
        if until < today:
            continue
        with transaction.atomic():
            # The expiry date read is part of the condition: a renewal completed meanwhile
            # has moved it (and its extension must not come back).
            changed = (
                Membership.objects.filter(
                    pk=membership.pk,
                    benefits_extended_until__isnull=True,
                    auto_renewed=False,
                    expires_on=membership.expires_on,
                )
                .filter(Exists(_renewals_under_way()))
                .update(benefits_extended_until=until)
            )
            if changed != 1:
                continue
            audit_record(
                actor=None,
                action="membership.benefits_extended",
                target=membership,
                until=until.isoformat(),
            )
            outbox_put(
                topic=BENEFITS_MAIL,
                key=f"membership.benefits_extended:{membership.pk}:{until.isoformat()}",
                membership=membership.pk,
                until=until.isoformat(),
            )
            extended += 1
    if extended or ended:
        logger.info("benefit extensions: %s applied, %s ended", extended, ended)
    return BenefitsSweep(extended=extended, ended=ended)
