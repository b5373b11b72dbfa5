"""The two-agency interview workflow: every transition of an enrolment.

Each service:
1. locks the application row — the lock booking takes too, so an outcome, a booking and
   a second officer's outcome on the same enrolment are serialised;
2. checks scope: the enrolment must be visible to the officer (else "not found"), the
   move must be for the officer's agency and at one of their centres (else "forbidden");
3. looks the move up in ``interviews.models.TRANSITIONS`` and refuses an illegal one;
4. changes the rows and writes the history row in the same transaction (nothing is
   half-applied), and records the applicant's e-mail in the outbox with them.
"""

import logging
import secrets
from datetime import date, datetime
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import PATH_BOOKING, Appointment, CbpSite, Step
from bookings.services.booking import appointment_webhook_data
from bookings.services.booths import booth_release
from bookings.services.states import appointment_move
from centres.models import Centre, StaffProfile
from centres.selectors import staff_profile_of
from common.actors import Actor, acting_user
from common.audit import audit_record
from enrolment.models import Application, Membership
from interviews.errors import InterviewError
from interviews.models import (
    BOOKABLE_STATES,
    TRANSITIONS,
    Agency,
    EnrolmentEvent,
    Interview,
    Transition,
    transition_for,
)
from interviews.notifications import CBSA_COMPLETE, ENROLLED, enrolment_notify
from interviews.selectors import enrolments_visible_to
from webhooks.models import Event
from webhooks.services import webhook_event

logger = logging.getLogger(__name__)

OUTCOMES = ("pass", "refuse", "refer")
# What the CBSA side shares with CBP: names of the fields, recorded in the history.
SHARED_FIELDS = (
    "application_number",
    "name",
    "date_of_birth",
    "membership_number",
    "cbsa_outcome",
    "cbsa_centre",
    "cbsa_interview_date",
    "cbsa_notes",
)


def _enabled_switches() -> frozenset[str]:
    return frozenset({"ENROLMENT_ON_ARRIVAL"} if settings.ENROLMENT_ON_ARRIVAL else set())


def _lock_enrolment(application: Application) -> Interview:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant__user")
        .get(pk=application.pk)
    )
    enrolment, _created = Interview.objects.get_or_create(application=locked)
    enrolment.application = locked
    return enrolment


def _not_found() -> InterviewError:
    return InterviewError(_("No such enrolment."), code="not_found", kind="not_found")


def _officer(user: Actor, enrolment: Interview) -> tuple[StaffProfile, str]:
    """The acting officer's profile and agency, once the enrolment is known to be theirs
    to see."""
    if not enrolments_visible_to(user).filter(pk=enrolment.pk).exists():
        raise _not_found()
    profile = staff_profile_of(user)
    if profile is None or profile.agency is None:
        raise InterviewError(
            _("Only CBSA and CBP officers record interviews."), code="not_an_officer",
            kind="forbidden",
        )  # fmt: skip
    return profile, profile.agency


def _check_at_centre(profile: StaffProfile, centre: Centre | None) -> None:
    if centre is None or not profile.centres.filter(pk=centre.pk).exists():
        raise InterviewError(
            _("You are not assigned to %(centre)s.") % {"centre": centre or "-"},
            code="not_your_centre",
            kind="forbidden",
        )


def open_actions(enrolment: Interview, agency: str | None) -> frozenset[str]:
    """The moves ``agency`` may make on this enrolment now (``cbsa_pass``,
    ``share_with_cbp``, ``review_clear``…): the interview page offers only these."""
    return frozenset(
        t.action
        for t in TRANSITIONS
        if t.agency == agency
        and transition_for(
            action=t.action, state=enrolment.state, path=enrolment.application.path,
            agency=agency, resume=enrolment.resume_state, enabled=_enabled_switches(),
        ) is not None
    )  # fmt: skip


def _legal(enrolment: Interview, *, action: str, agency: str | None) -> Transition:
    path = enrolment.application.path
    transition = transition_for(
        action=action,
        state=enrolment.state,
        path=path,
        agency=agency,
        resume=enrolment.resume_state,
        enabled=_enabled_switches(),
    )
    if transition is not None:
        return transition
    state = enrolment.get_state_display()
    if (
        action.startswith("cbp_")
        and path in PATH_BOOKING
        and PATH_BOOKING[path].cbp_site != CbpSite.APPOINTMENT
        and enrolment.state in (Interview.State.AWAITING_INTERVIEW, Interview.State.CBSA_PASSED)
    ):
        raise InterviewError(
            _(
                "The CBP part can only be recorded once the CBSA part is complete and "
                "has been shared with CBP."
            ),
            code="not_shared",
        )
    raise InterviewError(
        _("This cannot be done now: the enrolment is at “%(state)s”.") % {"state": state},
        code="illegal_transition",
    )


class _InterviewFields(TypedDict, total=False):
    """The enrolment's own fields a transition sets besides its state."""

    cbsa_centre: Centre
    review_agency: str
    resume_state: str
    shared_at: datetime
    shared_by: User | None


def _apply(
    enrolment: Interview,
    transition: Transition,
    *,
    actor: Actor,
    agency: str = "",
    centre: Centre | None = None,
    appointment: Appointment | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    **fields: Unpack[_InterviewFields],
) -> EnrolmentEvent:
    """Move the enrolment and write its history row; a conditional update refuses a
    move from a state that changed under us (never expected under the lock)."""
    old = enrolment.state
    changes: dict[str, object] = {
        **fields,
        "state": transition.target,
        "updated_at": timezone.now(),
    }
    if not Interview.objects.filter(pk=enrolment.pk, state=old).update(**changes):
        raise InterviewError(
            _("Someone else has just updated this enrolment; please reload it."),
            code="state_changed",
        )
    for name, value in changes.items():
        setattr(enrolment, name, value)
    return EnrolmentEvent.objects.create(
        interview=enrolment,
        action=transition.action,
        from_state=old,
        to_state=transition.target,
        actor=acting_user(actor),
        agency=agency,
        centre=centre,
        appointment=appointment,
        reason=reason,
        details=details or {},
    )


def _interview_appointment(enrolment: Interview) -> Appointment | None:
    """The appointment the interview is held at: checked in, or already interviewed."""
    path = enrolment.application.path
    if path not in PATH_BOOKING:
        return None
    return (
        Appointment.objects.select_related("slot__centre")
        .filter(
            application=enrolment.application,
            step=PATH_BOOKING[path].step,
            status__in=(Appointment.Status.CHECKED_IN, Appointment.Status.ATTENDED),
        )
        .order_by("-slot__starts_at")
        .first()
    )


def _cbp_site(enrolment: Interview, centre: Centre | None) -> Centre:
    """Where a CBP outcome off appointment may be recorded, for this enrolment's path."""
    site = PATH_BOOKING[enrolment.application.path].cbp_site
    if site == CbpSite.PRECLEARANCE:
        if centre is None or centre.kind != Centre.Kind.PRECLEARANCE:
            raise InterviewError(
                _(
                    "The CBP part of an airport enrolment can only be completed at a "
                    "Canadian airport preclearance area."
                ),
                code="wrong_centre",
            )
        return centre
    expected = enrolment.cbsa_centre.counterpart if enrolment.cbsa_centre else None
    if expected is None or (centre is not None and centre != expected):
        raise InterviewError(
            _("The CBP part of a split-site enrolment is done at %(centre)s.")
            % {"centre": expected or "-"},
            code="wrong_centre",
        )
    return expected


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _new_membership_number() -> str:
    while True:
        number = f"{secrets.randbelow(900_000_000) + 100_000_000}"
        if not Membership.objects.filter(number=number).exists():
            return number


def _complete(enrolment: Interview, *, now: datetime) -> Membership:
    """Issue the new membership, or renew the member's (which ends any extension).

    A renewal's new five-year term starts at the old expiry date when the renewal
    completes before it (renewing early loses nothing), or on the completion day when
    it completes later (the term is never backdated).
    """
    application = enrolment.application
    today = timezone.localdate(now)
    years = settings.MEMBERSHIP_TERM_YEARS
    if application.kind == Application.Kind.RENEWAL:
        # A renewal names its membership (``application_renewal_names_its_membership``).
        assert application.membership_id is not None
        membership = Membership.objects.select_for_update().get(pk=application.membership_id)
        membership.expires_on = _add_years(max(membership.expires_on, today), years)
        membership.issued_on = today
        membership.benefits_extended_until = None
        membership.save(update_fields=["expires_on", "issued_on", "benefits_extended_until"])
    else:
        membership = Membership.objects.create(
            applicant=application.applicant,
            number=_new_membership_number(),
            issued_on=today,
            expires_on=_add_years(today, years),
        )
    Interview.objects.filter(pk=enrolment.pk).update(completed_at=now, membership=membership)
    enrolment.completed_at, enrolment.membership = now, membership
    return membership


def _finish(enrolment: Interview, event: EnrolmentEvent, *, now: datetime) -> EnrolmentEvent:
    if event.to_state == Interview.State.ENROLLED:
        _complete(enrolment, now=now)
        enrolment_notify(enrolment, ENROLLED)
        application = enrolment.application
        webhook_event(
            Event.ENROLMENT_COMPLETED,
            key=str(enrolment.pk),
            interview=enrolment.pk,
            path=application.path,
            kind=application.kind,
            cbsa_centre=enrolment.cbsa_centre_id,
            completed_at=now.isoformat(),
        )
    return event


def check_in_refusal(
    appointment: Appointment, *, agency: str | None, now: datetime
) -> InterviewError | None:
    """Why ``agency`` may not check this appointment in now, or None if it may: it must
    be booked, today at its centre, and a CBSA interview for CBSA (either agency checks
    a joint one in). The day list offers the button only when this is None."""
    if agency == Agency.CBP and appointment.step != Step.JOINT:
        return InterviewError(
            _("CBSA officers check applicants in for CBSA interviews."),
            code="wrong_agency",
            kind="forbidden",
        )
    if appointment.status != Appointment.Status.BOOKED:
        return InterviewError(
            _("This appointment cannot be checked in: it is %(status)s.")
            % {"status": appointment.get_status_display().lower()},
            code="appointment_not_booked",
        )
    if timezone.localdate(now, appointment.slot.centre.tz) != appointment.slot.local_start().date():
        return InterviewError(
            _("Applicants can only be checked in on the day of their appointment."),
            code="not_appointment_day",
        )
    return None


def may_record_no_show(appointment: Appointment, *, now: datetime) -> bool:
    """A booked appointment whose time has come may be recorded as missed (the day list
    offers the button only then)."""
    return appointment.status == Appointment.Status.BOOKED and now >= appointment.slot.starts_at


def appointment_check_in(
    *, appointment: Appointment, officer: Actor, now: datetime | None = None
) -> Appointment:
    """Check an applicant in at their appointment, on its local day, at the officer's
    centre (CBSA officers for CBSA appointments; either agency at a joint one)."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = _lock_enrolment(appointment.application)
        profile, agency = _officer(officer, enrolment)
        appointment = Appointment.objects.select_related("slot__centre").get(pk=appointment.pk)
        centre = appointment.slot.centre
        _check_at_centre(profile, centre)
        refusal = check_in_refusal(appointment, agency=agency, now=now)
        if refusal is not None:
            raise refusal
        appointment_move(appointment, "check_in", now=now)
        audit_record(
            actor=officer, action="appointment.checked_in", target=appointment,
            centre=centre.pk, status=appointment.status,
        )  # fmt: skip
    return appointment


def appointment_record_no_show(
    *, appointment: Appointment, officer: Actor, now: datetime | None = None
) -> EnrolmentEvent:
    """Record that the applicant did not come; they may then book again."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = _lock_enrolment(appointment.application)
        profile, agency = _officer(officer, enrolment)
        appointment = Appointment.objects.select_related("slot__centre").get(pk=appointment.pk)
        transition = _legal(enrolment, action="no_show", agency=agency)
        _check_at_centre(profile, appointment.slot.centre)
        if not may_record_no_show(appointment, now=now):
            raise InterviewError(
                _("Only a booked appointment whose time has come can be marked as missed."),
                code="appointment_not_missed",
            )
        appointment_move(appointment, "no_show", now=now)
        return _apply(
            enrolment, transition, actor=officer, agency=agency,
            centre=appointment.slot.centre, appointment=appointment,
        )  # fmt: skip


def appointments_mark_no_shows(*, now: datetime | None = None) -> int:
    """Mark as missed every appointment still booked — never checked in — once its
    centre's local day has ended (hourly job); returns how many. Safe to run twice at once.

    The system has no officer, so ``appointment_record_no_show`` (an officer's act, scoped
    to their agency and centres) is not called; each appointment takes the same steps:
    1. the application lock every transition takes, then the appointment read again: one
       checked in, cancelled or moved meanwhile — or marked by another run — is left;
    2. the system's declared ``no_show`` move from the table (agency None), checked
       against the enrolment's state: an illegal one is logged and left;
    3. the appointment booked → no_show by a conditional update, and the history row
       (no actor, no agency: nobody recorded it; the centre, the appointment) in the same
       transaction. Its booth stays taken, as with an officer's no-show.
    """
    now = now or timezone.now()
    marked = 0
    candidates = Appointment.objects.filter(
        status=Appointment.Status.BOOKED, slot__starts_at__lt=now
    ).select_related("slot__centre", "application")
    for appointment in candidates.order_by("slot__starts_at", "pk"):
        centre = appointment.slot.centre
        if appointment.slot.local_start().date() >= timezone.localdate(now, centre.tz):
            continue  # the centre's day is not over: the applicant may still be seen
        with transaction.atomic():
            enrolment = _lock_enrolment(appointment.application)
            if not Appointment.objects.filter(
                pk=appointment.pk, status=Appointment.Status.BOOKED
            ).exists():
                continue
            try:
                transition = _legal(enrolment, action="no_show", agency=None)
            except InterviewError:
                logger.warning(
                    "appointment %s is booked but enrolment %s cannot take a no-show from %s",
                    appointment.pk, enrolment.pk, enrolment.state,
                )  # fmt: skip
                continue
            if not appointment_move(appointment, "no_show", now=now):
                continue
            _apply(
                enrolment, transition, actor=None, centre=centre, appointment=appointment,
                details={"marked_by": "system"},
            )  # fmt: skip
            marked += 1
    return marked


def interview_record_outcome(
    *,
    application: Application,
    officer: Actor,
    outcome: str,
    centre: Centre | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> EnrolmentEvent:
    """Record the acting officer's agency's outcome: ``pass``, ``refuse`` or ``refer``.

    1. CBSA outcomes, and CBP outcomes of a joint interview, are recorded on the
       checked-in appointment, at its centre.
    2. A CBP outcome off appointment is recorded at ``centre``: any Canadian airport
       preclearance area for the airport path, the split site's US counterpart for
       the split-site path — and only after the share (unless Enrollment on Arrival).
    3. Completing the enrolment issues or renews the membership, in the same
       transaction.
    """
    if outcome not in OUTCOMES:
        raise InterviewError(_("Unknown outcome."), code="invalid_outcome", kind="invalid")
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = _lock_enrolment(application)
        profile, agency = _officer(officer, enrolment)
        transition = _legal(enrolment, action=f"{agency}_{outcome}", agency=agency)
        path = enrolment.application.path
        appointment = None
        if agency == Agency.CBSA or PATH_BOOKING[path].cbp_site == CbpSite.APPOINTMENT:
            appointment = _interview_appointment(enrolment)
            if appointment is None:
                raise InterviewError(
                    _("Check the applicant in at their appointment first."),
                    code="not_checked_in",
                )
            site = appointment.slot.centre
            if centre is not None and centre != site:
                raise InterviewError(
                    _("This interview is held at %(centre)s.") % {"centre": site},
                    code="wrong_centre",
                )
        else:
            site = _cbp_site(enrolment, centre)
        _check_at_centre(profile, site)
        fields: _InterviewFields = {}
        if agency == Agency.CBSA:
            fields["cbsa_centre"] = site
        if outcome == "refer":
            fields["review_agency"] = agency
            fields["resume_state"] = enrolment.state
        if appointment is not None and appointment.status == Appointment.Status.CHECKED_IN:
            appointment_move(appointment, "attend", now=now)
        event = _apply(
            enrolment, transition, actor=officer, agency=agency, centre=site,
            appointment=appointment, reason=notes, details={"outcome": outcome}, **fields,
        )  # fmt: skip
        return _finish(enrolment, event, now=now)


def cbsa_share_with_cbp(
    *, application: Application, officer: Actor, now: datetime | None = None
) -> EnrolmentEvent:
    """The CBSA side shares the interview information with CBP: an explicit act,
    recorded with who, when and which fields."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = _lock_enrolment(application)
        profile, agency = _officer(officer, enrolment)
        if agency != Agency.CBSA:
            raise InterviewError(
                _("Only the CBSA side shares its interview information with CBP."),
                code="wrong_agency",
                kind="forbidden",
            )
        transition = _legal(enrolment, action="share_with_cbp", agency=agency)
        _check_at_centre(profile, enrolment.cbsa_centre)
        event = _apply(
            enrolment, transition, actor=officer, agency=Agency.CBSA,
            centre=enrolment.cbsa_centre, details={"shared": list(SHARED_FIELDS)},
            shared_at=now, shared_by=acting_user(officer),
        )  # fmt: skip
        enrolment_notify(enrolment, CBSA_COMPLETE)
        return event


def review_decide(
    *, application: Application, officer: Actor, clear: bool, notes: str = "",
    now: datetime | None = None,
) -> EnrolmentEvent:  # fmt: skip
    """The referring agency's decision on a referral: cleared (its pass) or refused."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = _lock_enrolment(application)
        _profile, agency = _officer(officer, enrolment)
        action = "review_clear" if clear else "review_refuse"
        under_review = enrolment.state == Interview.State.UNDER_REVIEW
        if under_review and enrolment.review_agency != agency:
            raise InterviewError(
                _("Only the agency that referred the enrolment decides the review."),
                code="wrong_agency",
                kind="forbidden",
            )
        transition = _legal(enrolment, action=action, agency=agency)
        # The decision belongs where the referral was made.
        referral = enrolment.events.filter(to_state=Interview.State.UNDER_REVIEW).last()
        event = _apply(
            enrolment, transition, actor=officer, agency=agency, reason=notes,
            centre=referral.centre if referral else None,
            details={"decision": "cleared" if clear else "refused"},
            review_agency="", resume_state="",
        )  # fmt: skip
        return _finish(enrolment, event, now=now)


def enrolment_rebook(*, enrolment: Interview, actor: Actor) -> EnrolmentEvent:
    """After a missed interview the applicant books again (called by the booking
    service, under its application lock)."""
    transition = _legal(enrolment, action="rebook", agency=None)
    return _apply(enrolment, transition, actor=actor)


class BookingGate:
    """What the workflow tells the booking services (registered with
    ``bookings.services.gate`` by ``interviews.apps``); called under the booking's
    application lock, in its transaction."""

    def under_way(self, application: Application) -> str | None:
        interview = Interview.objects.filter(application=application).first()
        if interview is None or interview.state in BOOKABLE_STATES:
            return None
        return str(interview.get_state_display())

    def booked(self, application: Application, *, actor: Actor) -> None:
        interview = Interview.objects.filter(application=application).first()
        if interview is None:
            # The interview starts with the first booking: officers then find it at once.
            Interview.objects.create(application=application)
        elif interview.state == Interview.State.NO_SHOW:
            enrolment_rebook(enrolment=interview, actor=actor)


def enrolment_expire(*, application: Application, reason: str = "") -> EnrolmentEvent:
    """Conditional approval ran out before the enrolment was complete (periodic job).

    Its active appointments are cancelled and their booths freed in the same
    transaction, so an expired enrolment holds no capacity and cannot be checked in.
    """
    with transaction.atomic():
        enrolment = _lock_enrolment(application)
        transition = _legal(enrolment, action="expire", agency=None)
        active = list(
            Appointment.objects.filter(
                application=enrolment.application, status__in=Appointment.ACTIVE
            ).order_by("slot_id")
        )
        for appointment in active:
            appointment_move(appointment, "expire")
            booth_release(appointment.slot_id)
            audit_record(
                actor=None, action="appointment.cancelled", target=appointment,
                application=enrolment.application_id, slot=appointment.slot_id,
                status=Appointment.Status.CANCELLED, reason="enrolment_expired",
            )  # fmt: skip
            webhook_event(
                Event.APPOINTMENT_CANCELLED,
                key=str(appointment.pk),
                **appointment_webhook_data(appointment),
            )
        return _apply(enrolment, transition, actor=None, reason=reason)
