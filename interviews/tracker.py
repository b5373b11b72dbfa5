"""The applicant's whole path, step by step: what is done, where they are now, what is to
come. A selector for the dashboard's tracker (``application_path``), beside the one
sentence of ``interviews.standing``.

Each path has its own steps (docs/workflow.md; MISSION.md "The interview workflow"):

- airport: approval → book → CBSA interview at the airport enrolment centre → the CBSA
  shares it with CBP → CBP, walk-in, at a preclearance area → membership;
- joint: approval → book → the joint CBSA and CBP interview → membership;
- split site: approval → book → CBSA at the Canadian site → share → CBP at its US
  counterpart, named → membership;
- no path yet (nothing booked): approval → book → interview → membership.

Under Enrollment on Arrival the airport path has no share step for the applicant: the
CBP part may follow the CBSA part at once. Reads the application with its
``membership``, ``interview`` (``cbsa_centre__counterpart``, ``events``) and
``appointments`` (``slot__centre__counterpart``): prefetch them for a list. Nothing is
written and nothing is asked of the clock but ``now``.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Appointment
from bookings.wording import local_date, local_when
from centres.models import Centre
from enrolment.models import Application
from interviews.models import Agency, Interview

S = Interview.State
P = Application.Path

# The steps, by key.
APPROVAL, BOOK, CBSA, SHARE, CBP, JOINT, INTERVIEW, MEMBERSHIP = (
    "approval", "book", "cbsa", "share", "cbp", "joint", "interview", "membership",
)  # fmt: skip

# Where a step stands. Each is said in words on the page, never by colour alone.
DONE, CURRENT, REVIEW, STOPPED, TO_COME, NOT_REACHED = (
    "done", "current", "review", "stopped", "to_come", "not_reached",
)  # fmt: skip
# The states the page marks ``aria-current="step"``: where the applicant is now.
HERE = frozenset({CURRENT, REVIEW, STOPPED})


def state_label(state: str) -> str:
    labels = {
        DONE: _("Done"),
        CURRENT: _("Current step"),
        REVIEW: _("Under review"),
        STOPPED: _("Stopped here"),
        TO_COME: _("To come"),
        NOT_REACHED: _("Not reached"),
    }
    return labels[state]


@dataclass(frozen=True)
class PathStep:
    key: str
    title: str
    state: str
    label: str  # the state in words, in the language of the moment it was read
    detail: str = ""

    @property
    def is_here(self) -> bool:
        return self.state in HERE


@dataclass(frozen=True)
class Renewal:
    """The membership being renewed: its expiry and any benefit extension."""

    number: str
    expires_on: date
    benefits_extended_until: date | None
    auto_renewed: bool


@dataclass(frozen=True)
class PathTracker:
    path: str  # "" before the first booking
    steps: tuple[PathStep, ...]
    renewal: Renewal | None = None

    @property
    def current(self) -> PathStep | None:
        return next((step for step in self.steps if step.is_here), None)


def _keys(path: str) -> tuple[str, ...]:
    if path == P.AIRPORT:
        if settings.ENROLMENT_ON_ARRIVAL:
            return (APPROVAL, BOOK, CBSA, CBP, MEMBERSHIP)
        return (APPROVAL, BOOK, CBSA, SHARE, CBP, MEMBERSHIP)
    if path == P.SPLIT_SITE:
        return (APPROVAL, BOOK, CBSA, SHARE, CBP, MEMBERSHIP)
    if path == P.JOINT:
        return (APPROVAL, BOOK, JOINT, MEMBERSHIP)
    return (APPROVAL, BOOK, INTERVIEW, MEMBERSHIP)


def _agency_step(path: str, agency: str) -> str:
    """The step an agency's outcome (a referral, a refusal) belongs to."""
    if path == P.JOINT:
        return JOINT
    if path in (P.AIRPORT, P.SPLIT_SITE):
        return CBP if agency == Agency.CBP else CBSA
    return INTERVIEW


def _step_of_state(path: str, state: str, *, booked: bool) -> str:
    """The step an enrolment in ``state`` is at (not a terminal one)."""
    if state == S.AWAITING_INTERVIEW:
        if not booked:
            return BOOK
        return _agency_step(path, Agency.CBSA)
    if state == S.NO_SHOW:
        return BOOK
    if state == S.CBSA_PASSED:
        if path == P.JOINT:
            return JOINT
        return CBP if SHARE not in _keys(path) else SHARE
    if state == S.SHARED_WITH_CBP:
        return CBP
    if state == S.CBP_PASSED:
        return JOINT
    return BOOK


def _last_event(enrolment: Interview, to_state: str):
    events = [e for e in enrolment.events.all() if e.to_state == to_state]
    return max(events, key=lambda e: (e.created_at, e.pk)) if events else None


def _where_and_how(
    application: Application, enrolment: Interview | None, *, booked: bool
) -> tuple[str, str]:
    """The step the applicant is at, and how it stands there (CURRENT, REVIEW, STOPPED, or
    DONE when every step is)."""
    path = application.path
    if application.status == Application.Status.PENDING:
        return APPROVAL, CURRENT
    state = enrolment.state if enrolment else S.AWAITING_INTERVIEW
    if state == S.ENROLLED:
        return MEMBERSHIP, DONE
    if enrolment is not None and state == S.UNDER_REVIEW:
        return _agency_step(path, enrolment.review_agency), REVIEW
    if enrolment is not None and state == S.REFUSED:
        event = _last_event(enrolment, S.REFUSED)
        return _agency_step(path, event.agency if event else Agency.CBSA), STOPPED
    if enrolment is not None and state == S.EXPIRED:
        event = _last_event(enrolment, S.EXPIRED)
        source = event.from_state if event else S.AWAITING_INTERVIEW
        return _step_of_state(path, source, booked=False), STOPPED
    return _step_of_state(path, state, booked=booked), CURRENT


def _appointment_text(appointment: Appointment) -> str:
    centre = appointment.slot.centre
    return _("%(when)s (%(zone)s), at %(centre)s.") % {
        "when": local_when(appointment.slot.starts_at, centre),
        "zone": centre.zone_name,
        "centre": centre.display_name,
    }


def _counterpart(enrolment: Interview | None, latest: Appointment | None) -> Centre | None:
    """The US site of the applicant's split-site pair: of the centre where the CBSA part
    passed, else of the centre booked."""
    centre = enrolment.cbsa_centre if enrolment and enrolment.cbsa_centre_id else None
    if centre is None and latest is not None:
        centre = latest.slot.centre
    return centre.counterpart if centre is not None and centre.counterpart_id else None


class _Facts:
    """What the step texts need to know about the application, read once."""

    def __init__(self, application: Application, now: datetime):
        self.application = application
        self.path = application.path
        self.enrolment: Interview | None = getattr(application, "interview", None)
        self.state = self.enrolment.state if self.enrolment else S.AWAITING_INTERVIEW
        appointments = sorted(application.appointments.all(), key=lambda a: a.created_at)
        self.active = next((a for a in appointments if a.status in Appointment.ACTIVE), None)
        self.latest = appointments[-1] if appointments else None
        self.missed = next(
            (a for a in reversed(appointments) if a.status == Appointment.Status.NO_SHOW), None
        )
        # The appointment the interview step is about: the active one, else the one held.
        self.interviewed = self.active or next(
            (a for a in reversed(appointments) if a.status == Appointment.Status.ATTENDED), None
        )
        self.now = now
        self.counterpart = _counterpart(self.enrolment, self.latest)


def _title(key: str, facts: _Facts) -> str:
    path = facts.path
    centre = facts.interviewed.slot.centre if facts.interviewed else None
    if key == APPROVAL:
        return _("Conditional approval of your application")
    if key == BOOK:
        if path == P.JOINT:
            return _("Book your joint CBSA and CBP interview")
        return _("Book your CBSA interview") if path else _("Book your interview")
    if key == CBSA:
        if centre is not None:
            return _("CBSA interview at %(centre)s") % {"centre": centre.display_name}
        if path == P.SPLIT_SITE:
            return _("CBSA interview at the Canadian split-site centre")
        return _("CBSA interview at a Canadian airport enrolment centre")
    if key == SHARE:
        return _("The CBSA shares your interview with CBP")
    if key == CBP:
        if path == P.SPLIT_SITE:
            if facts.counterpart is not None:
                return _("CBP interview at %(centre)s") % {"centre": facts.counterpart.display_name}
            return _("CBP interview at the US centre paired with your Canadian centre")
        return _("CBP interview, walk-in, at a Canadian airport preclearance area")
    if key == JOINT:
        if centre is not None:
            return _("Joint CBSA and CBP interview at %(centre)s") % {"centre": centre.display_name}
        return _("Joint CBSA and CBP interview at a US land-border centre")
    if key == INTERVIEW:
        return _("Interview with the CBSA and CBP")
    return _("NEXUS membership")


def _detail(key: str, state: str, facts: _Facts) -> str:
    """What the applicant should know about this step, as it stands."""
    if state == REVIEW:
        return _(
            "Your file was referred for further review. You do not need to do anything "
            "now; we will e-mail you when there is a decision."
        )
    if state == STOPPED:
        if facts.state == S.REFUSED:
            return _("Your enrolment was refused. You will receive a letter explaining why.")
        return _("Your conditional approval expired before this step.")
    if key == APPROVAL:
        return _("Your application is being reviewed.") if state == CURRENT else ""
    if key == BOOK:
        if state == DONE and facts.interviewed is not None:
            return _appointment_text(facts.interviewed)
        if state == CURRENT and facts.missed is not None:
            return _("You missed your interview on %(when)s. Book a new one.") % {
                "when": local_when(facts.missed.slot.starts_at, facts.missed.slot.centre)
            }
        if state == CURRENT:
            return _("Choose a centre and a time.")
        return ""
    if key in (CBSA, JOINT, INTERVIEW) and state == CURRENT:
        if facts.state == S.CBSA_PASSED:
            return _("The CBSA part is done. The CBP officer completes your interview.")
        if facts.state == S.CBP_PASSED:
            return _("The CBP part is done. The CBSA officer completes your interview.")
        active = facts.active
        if active is not None and active.status == Appointment.Status.CHECKED_IN:
            return _("You are checked in. An officer will see you soon.")
        if active is not None and active.slot.starts_at <= facts.now:
            return _("Its outcome will show here once the officer has recorded it.")
        return _("Come to your appointment with your passport and your other documents.")
    if key == SHARE:
        if state == CURRENT:
            return _("Nothing to do: we will e-mail you once it is shared.")
        if state == TO_COME:
            return _("The CBSA shares your interview with CBP after the CBSA part.")
        return ""
    if key == CBP and state in (CURRENT, TO_COME):
        if facts.path == P.SPLIT_SITE:
            counterpart = facts.counterpart
            if counterpart is None:
                return _("Just across the border from your Canadian centre.")
            return _(
                "%(centre)s, %(city)s, %(region)s: the US centre just across the border from "
                "your Canadian centre."
            ) % {
                "centre": counterpart.display_name,
                "city": counterpart.display_city,
                "region": counterpart.region,
            }
        return _(
            "No appointment: walk in at any Canadian airport preclearance area before your "
            "next flight to the United States."
        )
    if key == MEMBERSHIP:
        membership = facts.enrolment.membership if facts.enrolment else None
        if state == DONE and membership is not None:
            return _("Membership number %(number)s, valid until %(date)s.") % {
                "number": membership.number,
                "date": local_date(membership.expires_on),
            }
        if state == TO_COME:
            return _("Your membership begins once both the CBSA and CBP parts are done.")
    return ""


def _renewal(application: Application) -> Renewal | None:
    membership = application.membership
    if application.kind != Application.Kind.RENEWAL or membership is None:
        return None
    return Renewal(
        number=membership.number,
        expires_on=membership.expires_on,
        benefits_extended_until=membership.benefits_extended_until,
        auto_renewed=membership.auto_renewed,
    )


def application_path(
    application: Application, *, now: datetime | None = None
) -> PathTracker | None:
    """The steps of ``application``'s path, each done, current (or under review, or
    stopped there) or to come; None for a withdrawn application (no path to follow)."""
    if application.status == Application.Status.WITHDRAWN:
        return None
    facts = _Facts(application, now or timezone.now())
    where, how = _where_and_how(application, facts.enrolment, booked=facts.active is not None)
    keys = _keys(facts.path)
    position = keys.index(where) if where in keys else 0
    steps = []
    for index, key in enumerate(keys):
        if how == DONE or index < position:
            state = DONE
        elif index == position:
            state = how
        else:
            state = NOT_REACHED if how == STOPPED else TO_COME
        steps.append(
            PathStep(key, _title(key, facts), state, state_label(state), _detail(key, state, facts))
        )
    return PathTracker(facts.path, tuple(steps), _renewal(application))
