"""Every move of the workflow table through its service, every undeclared move refused
with nothing changed, and the rules around the moves: check-in, no-show, completion.

Scope (who may see and act) is ``test_workflow_scope.py``; here the officers are the
right ones, so each refusal comes from the transition table or the rule under test.
"""

import datetime
import re
from dataclasses import dataclass

import pytest

from bookings.errors import BookingError
from bookings.models import PATH_BOOKING, Appointment, CbpSite
from bookings.services import appointment_book, appointment_cancel, appointment_reschedule
from centres.models import Centre, Slot
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent
from enrolment.models import Application, Membership
from enrolment.tests.factories import ApplicationFactory, MembershipFactory
from interviews.models import (
    TERMINAL_STATES,
    TRANSITIONS,
    Agency,
    EnrolmentEvent,
    Interview,
    Transition,
    transition_for,
)
from interviews.services import (
    InterviewError,
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    enrolment_expire,
    interview_record_outcome,
    review_decide,
)
from interviews.services.workflow import appointments_mark_no_shows
from interviews.tests.factories import officer, split_site_pair

# A booking or a workflow step refused: either app's error.
REFUSED = (BookingError, InterviewError)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 6, 2, 14, 0, tzinfo=UTC)  # a Monday afternoon
S = Interview.State
AIRPORT, JOINT, SPLIT = (
    Application.Path.AIRPORT, Application.Path.JOINT, Application.Path.SPLIT_SITE
)  # fmt: skip
CBSA, CBP = Agency.CBSA, Agency.CBP


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


# --- a world per path, and the services as moves -------------------------------------------


@dataclass
class World:
    """One application on one path, with the centres and officers its interview needs."""

    path: str
    centre: Centre  # where the appointment is booked and CBSA interviews
    cbp_site: Centre  # where CBP records its part
    cbsa: object
    cbp: object
    application: Application
    slots: int = 0

    @property
    def applicant(self):
        return self.application.applicant.user

    def enrolment(self) -> Interview:
        return Interview.objects.get(application=self.application)

    def appointment(self) -> Appointment:
        """The application's latest appointment."""
        return Appointment.objects.filter(application=self.application).latest("pk")

    def officer(self, agency):
        return self.cbsa if agency == CBSA else self.cbp

    def new_slot(self) -> Slot:
        """The next free slot at the centre this afternoon: 14:30, 15:30, …"""
        self.slots += 1
        starts_at = NOW + datetime.timedelta(minutes=60 * self.slots - 30)
        return SlotFactory(centre=self.centre, starts_at=starts_at)


def _world(path, *, cbp_sees_all=False, **application_fields) -> World:
    """Centres in UTC, a CBSA officer at the booking centre and a CBP officer at the CBP
    site. ``cbp_sees_all`` also assigns the CBP officer to the booking centre and makes them
    a superuser, who sees every enrolment: then the transition table, not scope, answers
    even in states set directly, without the history rows that scope also looks at."""
    if path == AIRPORT:
        centre = CentreFactory(time_zone="UTC")
        cbp_site = CentreFactory(preclearance=True, airport=centre, time_zone="UTC")
    elif path == JOINT:
        centre = cbp_site = CentreFactory(land_border=True, time_zone="UTC")
    else:
        centre, cbp_site = split_site_pair(time_zone="UTC")
    cbp = officer(CBP, *({cbp_site, centre} if cbp_sees_all else {cbp_site}))
    if cbp_sees_all:
        cbp.is_superuser = True
        cbp.save(update_fields=["is_superuser"])
    return World(
        path=path,
        centre=centre,
        cbp_site=cbp_site,
        cbsa=officer(CBSA, centre),
        cbp=cbp,
        application=ApplicationFactory(**application_fields),
    )


def _book(world, slot=None) -> Appointment:
    return appointment_book(
        application=world.application, slot=slot or world.new_slot(), actor=world.applicant
    )


def _check_in(world, agency=CBSA) -> Appointment:
    return appointment_check_in(appointment=world.appointment(), officer=world.officer(agency))


def _move(world, action, agency=None):
    """The service call for one action of the table, ready to run (inputs made now)."""
    application = world.application
    if action == "share_with_cbp":
        return lambda: cbsa_share_with_cbp(application=application, officer=world.cbsa)
    if action == "no_show" and agency is None:  # the hourly job, once the day is over
        appointment = world.appointment()
        next_day = appointment.slot.starts_at + datetime.timedelta(days=1)
        return lambda: appointments_mark_no_shows(now=next_day)
    if action == "no_show":
        appointment = world.appointment()
        later = appointment.slot.starts_at + datetime.timedelta(minutes=5)
        return lambda: appointment_record_no_show(
            appointment=appointment, officer=world.officer(agency), now=later
        )
    if action in ("review_clear", "review_refuse"):
        return lambda: review_decide(
            application=application, officer=world.officer(agency),
            clear=action == "review_clear", notes=f"{action} by {agency}",
        )  # fmt: skip
    if action == "expire":
        return lambda: enrolment_expire(application=application, reason="approval lapsed")
    if action in ("book", "rebook"):
        slot = world.new_slot()
        return lambda: _book(world, slot)
    if action == "check_in":
        return lambda: _check_in(world, agency or CBSA)
    by, outcome = action.split("_")
    return lambda: interview_record_outcome(
        application=application, officer=world.officer(by), outcome=outcome,
        centre=world.cbp_site if by == CBP else None, notes=f"{action} notes",
    )  # fmt: skip


def _do(world, action, agency=None):
    return _move(world, action, agency)()


def _put_in(world, state, *, checked_in=True, review_agency="", resume=""):
    """Book (and check in) through the services, then set ``state`` and the fields that go
    with it directly: the short cut the table tests take to reach any source state."""
    appointment = _book(world)
    if checked_in and state != S.NO_SHOW:
        _check_in(world)
    Interview.objects.get_or_create(application=world.application)
    if state == S.AWAITING_INTERVIEW:
        return
    status = Appointment.Status.NO_SHOW if state == S.NO_SHOW else Appointment.Status.ATTENDED
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    fields = {"state": state}
    cbsa_done = state in (S.CBSA_PASSED, S.SHARED_WITH_CBP, S.ENROLLED, S.REFUSED) or (
        state == S.UNDER_REVIEW and (review_agency == CBSA or resume != S.AWAITING_INTERVIEW)
    )
    if cbsa_done:
        fields["cbsa_centre"] = world.centre
    if S.SHARED_WITH_CBP in (state, resume):
        fields.update(shared_at=NOW - datetime.timedelta(hours=1), shared_by=world.cbsa)
    if state == S.UNDER_REVIEW:
        fields.update(review_agency=review_agency, resume_state=resume)
    Interview.objects.filter(application=world.application).update(**fields)


def _snapshot():
    """Everything a refused move must leave exactly as it was."""
    return {
        "enrolments": list(Interview.objects.order_by("pk").values()),
        "events": list(EnrolmentEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "appointments": list(
            Appointment.objects.order_by("pk").values_list("pk", "status", "slot_id")
        ),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "slots": list(Slot.objects.order_by("pk").values_list("pk", "booked")),
        "audit": AuditEvent.objects.count(),
    }


def _refused(call, code, kind=None) -> BookingError | InterviewError:
    """``call`` raises InterviewError with ``code`` and changes nothing."""
    before = _snapshot()
    with pytest.raises(REFUSED) as error:
        call()
    assert error.value.code == code
    if kind is not None:
        assert error.value.kind == kind
    assert _snapshot() == before
    return error.value


def _referral_source(path, agency) -> str:
    """A state from which ``agency`` may refer an enrolment on ``path`` (no switch)."""
    return next(
        t.source
        for t in TRANSITIONS
        if t.action == f"{agency}_refer" and path in t.paths and not t.setting
    )


def _states_seen(world) -> list[str]:
    return list(world.enrolment().events.values_list("to_state", flat=True))


# --- every declared move ---------------------------------------------------------------------


def _declared_moves():
    for t in TRANSITIONS:
        for path in sorted(t.paths):
            name = f"{path}-{t.action}-{t.agency or 'system'}-{t.source}"
            yield pytest.param(t, path, id=name + (f"-resume-{t.resume}" if t.resume else ""))


@pytest.mark.parametrize(("transition", "path"), list(_declared_moves()))
def test_each_declared_transition_moves_the_enrolment_and_writes_one_history_row(
    transition: Transition, path, settings
):
    t = transition
    if t.setting:
        setattr(settings, t.setting, True)
    world = _world(path)
    review_agency = resume = ""
    if t.action == "review_clear":
        review_agency, resume = t.agency, t.resume
    elif t.action == "review_refuse":
        review_agency, resume = t.agency, _referral_source(path, t.agency)
    _put_in(
        world, t.source, checked_in=t.action not in ("no_show", "rebook"),
        review_agency=review_agency, resume=resume,
    )  # fmt: skip
    appointment = world.appointment()

    _do(world, t.action, t.agency)

    enrolment = world.enrolment()
    assert enrolment.state == t.target
    event = EnrolmentEvent.objects.get(interview=enrolment)  # exactly one row
    assert (event.action, event.from_state, event.to_state) == (t.action, t.source, t.target)
    assert event.agency == (t.agency or "")
    assert event.created_at == NOW
    outcome = t.action.startswith(("cbsa_", "cbp_"))
    at_appointment = outcome and (t.agency == CBSA or path == JOINT)
    if t.action == "rebook":
        assert event.actor == world.applicant
    elif t.action == "expire" or t.agency is None:
        assert event.actor is None
    else:
        assert event.actor == world.officer(t.agency)
    expected_centre = {
        "no_show": world.centre,
        "share_with_cbp": world.centre,
        "rebook": None,
        "expire": None,
    }.get(t.action, world.cbp_site if t.agency == CBP else world.centre)
    if not t.action.startswith("review_"):  # a review is decided where the referral was
        assert event.centre == expected_centre
    expected_reason = {
        "no_show": "",
        "share_with_cbp": "",
        "rebook": "",
        "expire": "approval lapsed",
        "review_clear": f"review_clear by {t.agency}",
        "review_refuse": f"review_refuse by {t.agency}",
    }.get(t.action, f"{t.action} notes")
    assert event.reason == expected_reason
    assert event.appointment == (appointment if at_appointment or t.action == "no_show" else None)

    if outcome and t.action.endswith("_refer"):
        assert (enrolment.review_agency, enrolment.resume_state) == (t.agency, t.source)
    if t.action.startswith("review_"):
        assert (enrolment.review_agency, enrolment.resume_state) == ("", "")
    if t.action == "share_with_cbp":
        assert (enrolment.shared_at, enrolment.shared_by) == (NOW, world.cbsa)
        assert event.details["shared"]
    if t.action == "no_show":
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.NO_SHOW
    if at_appointment:
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.ATTENDED
    if t.action == "rebook":
        assert world.appointment().status == Appointment.Status.BOOKED
        assert world.appointment() != appointment
    if t.target == S.ENROLLED:
        assert enrolment.completed_at == NOW
        assert enrolment.membership.applicant == world.application.applicant
    else:
        assert enrolment.membership is None
        assert not Membership.objects.exists()


def test_the_table_has_no_action_these_tests_do_not_know():
    covered = {(t.action, t.agency) for t in TRANSITIONS}
    assert covered == {
        ("cbsa_pass", CBSA), ("cbsa_refuse", CBSA), ("cbsa_refer", CBSA),
        ("cbp_pass", CBP), ("cbp_refuse", CBP), ("cbp_refer", CBP),
        ("no_show", CBSA), ("no_show", CBP), ("no_show", None), ("rebook", None),
        ("share_with_cbp", CBSA), ("review_clear", CBSA), ("review_clear", CBP),
        ("review_refuse", CBSA), ("review_refuse", CBP), ("expire", None),
    }  # fmt: skip


def test_every_referral_can_be_cleared_and_refused_by_the_agency_that_made_it():
    for t in TRANSITIONS:
        if not t.action.endswith("_refer"):
            continue
        enabled = frozenset({t.setting} - {""})
        for path in t.paths:
            for decision in ("review_clear", "review_refuse"):
                assert transition_for(
                    action=decision, state=S.UNDER_REVIEW, path=path, agency=t.agency,
                    resume=t.source, enabled=enabled,
                ), (t, path, decision)  # fmt: skip


# --- each state, reached purely through the services ----------------------------------------

ROUTES = [
    pytest.param(
        AIRPORT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_pass", None, S.CBSA_PASSED),
            ("share_with_cbp", None, S.SHARED_WITH_CBP),
            ("cbp_pass", None, S.ENROLLED),
        ],
        id="airport-enrolled",
    ),
    pytest.param(
        AIRPORT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("no_show", CBSA, S.NO_SHOW),
            ("rebook", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_refer", None, S.UNDER_REVIEW),
            ("review_clear", CBSA, S.CBSA_PASSED),
            ("share_with_cbp", None, S.SHARED_WITH_CBP),
            ("cbp_refer", None, S.UNDER_REVIEW),
            ("review_refuse", CBP, S.REFUSED),
        ],
        id="airport-missed-referred-twice-refused",
    ),
    pytest.param(
        AIRPORT,
        [("book", None, S.AWAITING_INTERVIEW), ("expire", None, S.EXPIRED)],
        id="airport-expired",
    ),
    pytest.param(
        JOINT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("check_in", CBP, S.AWAITING_INTERVIEW),
            ("cbp_pass", None, S.CBP_PASSED),
            ("cbsa_pass", None, S.ENROLLED),
        ],
        id="joint-cbp-first-enrolled",
    ),
    pytest.param(
        JOINT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_pass", None, S.CBSA_PASSED),
            ("cbp_refer", None, S.UNDER_REVIEW),
            ("review_clear", CBP, S.ENROLLED),
        ],
        id="joint-cbp-referral-cleared",
    ),
    pytest.param(
        JOINT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("no_show", CBP, S.NO_SHOW),
            ("rebook", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_refuse", None, S.REFUSED),
        ],
        id="joint-missed-then-refused",
    ),
    pytest.param(
        JOINT,
        [("book", None, S.AWAITING_INTERVIEW), ("expire", None, S.EXPIRED)],
        id="joint-expired",
    ),
    pytest.param(
        SPLIT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_pass", None, S.CBSA_PASSED),
            ("share_with_cbp", None, S.SHARED_WITH_CBP),
            ("cbp_pass", None, S.ENROLLED),
        ],
        id="split-enrolled",
    ),
    pytest.param(
        SPLIT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("no_show", CBSA, S.NO_SHOW),
            ("rebook", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_refer", None, S.UNDER_REVIEW),
            ("review_refuse", CBSA, S.REFUSED),
        ],
        id="split-missed-referred-refused",
    ),
    pytest.param(
        SPLIT,
        [
            ("book", None, S.AWAITING_INTERVIEW),
            ("check_in", CBSA, S.AWAITING_INTERVIEW),
            ("cbsa_pass", None, S.CBSA_PASSED),
            ("share_with_cbp", None, S.SHARED_WITH_CBP),
            ("expire", None, S.EXPIRED),
        ],
        id="split-shared-then-expired",
    ),
]


@pytest.mark.parametrize(("path", "route"), ROUTES)
def test_the_services_alone_take_an_enrolment_along_each_route(path, route):
    world = _world(path)
    moves = []
    for action, agency, expected in route:
        _do(world, action, agency)
        assert world.enrolment().state == expected, action
        if action not in ("book", "check_in"):
            moves.append(expected)
    assert _states_seen(world) == moves


def _reachable(path) -> set[str]:
    """The states an enrolment on ``path`` can reach from the start, switches off."""
    seen, todo = {S.AWAITING_INTERVIEW}, [S.AWAITING_INTERVIEW]
    while todo:
        state = todo.pop()
        for t in TRANSITIONS:
            if t.source == state and path in t.paths and not t.setting and t.target not in seen:
                seen.add(t.target)
                todo.append(t.target)
    return seen


@pytest.mark.parametrize("path", [AIRPORT, JOINT, SPLIT])
def test_the_routes_reach_every_state_the_table_makes_reachable(path):
    visited = {state for p in ROUTES if p.values[0] == path for *_, state in p.values[1]}
    assert visited == _reachable(path)
    assert (S.CBP_PASSED in visited) == (path == JOINT)
    assert (S.SHARED_WITH_CBP in visited) == (path != JOINT)


# --- every undeclared move refused, nothing changed -------------------------------------------

ACTIONS = (
    ("cbsa_pass", CBSA), ("cbsa_refuse", CBSA), ("cbsa_refer", CBSA),
    ("cbp_pass", CBP), ("cbp_refuse", CBP), ("cbp_refer", CBP),
    ("no_show", CBSA), ("no_show", CBP), ("share_with_cbp", CBSA),
    ("review_clear", CBSA), ("review_clear", CBP),
    ("review_refuse", CBSA), ("review_refuse", CBP),
    ("expire", None), ("rebook", None),
)  # fmt: skip
# While under review in these tests: referred by CBSA at the interview.
UR_FIELDS = {"review_agency": CBSA, "resume": S.AWAITING_INTERVIEW}


def _undeclared_moves():
    for path in (AIRPORT, JOINT, SPLIT):
        for state in S.values:
            for action, agency in ACTIONS:
                if state == S.UNDER_REVIEW and action.startswith("review_"):
                    continue  # depends on who referred: test_only_the_referring_agency_…
                if state == S.AWAITING_INTERVIEW and action == "rebook":
                    continue  # a first booking, not a rebooking
                resume = UR_FIELDS["resume"] if state == S.UNDER_REVIEW else ""
                legal = transition_for(
                    action=action, state=state, path=path, agency=agency, resume=resume
                )
                if legal is None:
                    name = f"{path}-{state}-{action}-{agency or 'system'}"
                    yield pytest.param(path, state, action, agency, id=name)


def _expected_refusal(path, state, action) -> str:
    if action == "rebook":
        return "interview_under_way"
    if (
        action.startswith("cbp_")
        and PATH_BOOKING[path].cbp_site != CbpSite.APPOINTMENT
        and state in (S.AWAITING_INTERVIEW, S.CBSA_PASSED)
    ):
        return "not_shared"
    return "illegal_transition"


@pytest.mark.parametrize(("path", "state", "action", "agency"), list(_undeclared_moves()))
def test_an_undeclared_move_is_refused_and_changes_nothing(path, state, action, agency):
    world = _world(path, cbp_sees_all=True)
    _put_in(
        world, state, checked_in=action != "no_show",
        **(UR_FIELDS if state == S.UNDER_REVIEW else {}),
    )  # fmt: skip
    move = _move(world, action, agency)

    _refused(move, _expected_refusal(path, state, action), kind="conflict")


def test_the_refused_moves_are_every_action_in_every_state_but_the_declared_ones():
    declared = {
        (path, t.source, t.action, t.agency)
        for t in TRANSITIONS
        if not t.setting
        for path in t.paths
    }
    undeclared = {tuple(p.values) for p in _undeclared_moves()}
    for path in (AIRPORT, JOINT, SPLIT):
        for state in S.values:
            for action, agency in ACTIONS:
                key = (path, state, action, agency)
                skipped = (state == S.UNDER_REVIEW and action.startswith("review_")) or (
                    state == S.AWAITING_INTERVIEW and action == "rebook"
                )
                assert skipped or (key in declared) != (key in undeclared), key


def _referrals():
    for t in TRANSITIONS:
        if t.action.endswith("_refer"):
            for path in sorted(t.paths):
                for decision in ("review_clear", "review_refuse"):
                    yield pytest.param(
                        path, t.agency, t.source, t.setting, decision,
                        id=f"{path}-{t.agency}-referred-at-{t.source}-{decision}",
                    )  # fmt: skip


@pytest.mark.parametrize(("path", "agency", "resume", "setting", "decision"), list(_referrals()))
def test_only_the_referring_agency_decides_a_review(
    path, agency, resume, setting, decision, settings
):
    if setting:
        setattr(settings, setting, True)
    world = _world(path, cbp_sees_all=True)
    _put_in(world, S.UNDER_REVIEW, review_agency=agency, resume=resume)
    other = CBP if agency == CBSA else CBSA

    _refused(_move(world, decision, other), "wrong_agency", kind="forbidden")


@pytest.mark.parametrize("clear", [True, False])
def test_a_review_decision_records_where_it_was_decided(clear):
    world = _world(AIRPORT)
    _book(world)
    _check_in(world)
    referral = _do(world, "cbsa_refer")

    decision = _do(world, "review_clear" if clear else "review_refuse", CBSA)

    assert decision.centre == referral.centre == world.centre


# --- the CBP part: only after the share, only at the right place ------------------------------


@pytest.mark.parametrize("path", [AIRPORT, SPLIT])
@pytest.mark.parametrize("outcome", ["pass", "refuse", "refer"])
def test_it_refuses_a_cbp_outcome_before_the_share(path, outcome):
    """A CBP officer also assigned where the CBSA part was done sees the enrolment there
    (its history names that centre) and is told why not yet."""
    world = _world(path)
    world.cbp = officer(CBP, world.cbp_site, world.centre)
    _book(world)
    _check_in(world)
    _do(world, "cbsa_pass")

    _refused(_move(world, f"cbp_{outcome}", CBP), "not_shared")
    assert world.enrolment().state == S.CBSA_PASSED


@pytest.mark.parametrize("path", [AIRPORT, SPLIT])
def test_a_cbp_officer_at_the_cbp_site_alone_does_not_find_it_before_the_share(path):
    world = _world(path)
    _book(world)
    _check_in(world)
    _do(world, "cbsa_pass")

    _refused(_move(world, "cbp_pass", CBP), "not_found", kind="not_found")


@pytest.mark.parametrize("outcome", ["pass", "refuse", "refer"])
def test_enrolment_on_arrival_lets_cbp_act_at_preclearance_right_after_the_cbsa_pass(
    outcome, settings
):
    settings.ENROLMENT_ON_ARRIVAL = True
    world = _world(AIRPORT)
    _book(world)
    _check_in(world)
    _do(world, "cbsa_pass")

    event = _do(world, f"cbp_{outcome}", CBP)

    target = {"pass": S.ENROLLED, "refuse": S.REFUSED, "refer": S.UNDER_REVIEW}[outcome]
    assert world.enrolment().state == target
    assert (event.from_state, event.centre) == (S.CBSA_PASSED, world.cbp_site)
    assert world.enrolment().shared_at is None
    assert _states_seen(world) == [S.CBSA_PASSED, target]


def test_enrolment_on_arrival_does_not_apply_to_the_split_site_path(settings):
    settings.ENROLMENT_ON_ARRIVAL = True
    world = _world(SPLIT, cbp_sees_all=True)
    _book(world)
    _check_in(world)
    _do(world, "cbsa_pass")

    _refused(_move(world, "cbp_pass", CBP), "not_shared")


def test_it_refuses_the_airport_cbp_part_at_a_land_border_centre_even_for_an_officer_there():
    world = _world(AIRPORT)
    land_border = CentreFactory(land_border=True, time_zone="UTC")
    cbp = officer(CBP, world.cbp_site, land_border)
    _book(world)
    _check_in(world)
    _do(world, "cbsa_pass")
    _do(world, "share_with_cbp")

    for centre in (land_border, world.centre, None):
        _refused(
            lambda c=centre: interview_record_outcome(
                application=world.application, officer=cbp, outcome="pass", centre=c
            ),
            "wrong_centre",
        )
    interview_record_outcome(
        application=world.application, officer=cbp, outcome="pass", centre=world.cbp_site
    )
    assert world.enrolment().state == S.ENROLLED


def test_the_split_site_cbp_part_is_only_at_the_counterpart():
    world = _world(SPLIT)
    other_pair_us_side = split_site_pair(time_zone="UTC")[1]
    preclearance = CentreFactory(preclearance=True, time_zone="UTC")
    cbp = officer(CBP, world.cbp_site, other_pair_us_side, preclearance)
    _book(world)
    _check_in(world)
    _do(world, "cbsa_pass")
    _do(world, "share_with_cbp")

    for centre in (other_pair_us_side, preclearance, world.centre):
        _refused(
            lambda c=centre: interview_record_outcome(
                application=world.application, officer=cbp, outcome="pass", centre=c
            ),
            "wrong_centre",
        )
    event = interview_record_outcome(application=world.application, officer=cbp, outcome="pass")
    assert event.centre == world.cbp_site
    assert world.enrolment().state == S.ENROLLED


@pytest.mark.parametrize("path", [AIRPORT, JOINT, SPLIT])
def test_a_cbsa_outcome_is_recorded_at_the_appointment_centre_only(path):
    world = _world(path)
    _book(world)
    _check_in(world)
    elsewhere = CentreFactory(time_zone="UTC")

    _refused(
        lambda: interview_record_outcome(
            application=world.application, officer=world.cbsa, outcome="pass", centre=elsewhere
        ),
        "wrong_centre",
    )


# --- what each outcome leaves ----------------------------------------------------------------


@pytest.mark.parametrize(("path", "agency"), [(AIRPORT, CBSA), (SPLIT, CBSA), (JOINT, CBP)])
def test_after_a_no_show_the_applicant_may_book_again_and_the_rebooking_is_recorded(path, agency):
    world = _world(path)
    missed = _book(world)
    _do(world, "no_show", agency)
    assert world.enrolment().state == S.NO_SHOW

    again = _book(world)

    assert again != missed
    assert world.enrolment().state == S.AWAITING_INTERVIEW
    missed.refresh_from_db()
    assert (missed.status, again.status) == (Appointment.Status.NO_SHOW, "booked")
    no_show, rebook = world.enrolment().events.all()
    assert (no_show.actor, no_show.agency) == (world.officer(agency), agency)
    assert (rebook.action, rebook.from_state, rebook.to_state) == (
        "rebook", S.NO_SHOW, S.AWAITING_INTERVIEW
    )  # fmt: skip
    assert (rebook.actor, rebook.agency) == (world.applicant, "")


def _drive_to(world, how):
    """Drive a fresh enrolment into a terminal state through the services."""
    _book(world)
    if how == S.EXPIRED:
        return _do(world, "expire")
    _check_in(world)
    if how == S.REFUSED:
        return _do(world, "cbsa_refuse")
    _do(world, "cbsa_pass")
    if world.path != JOINT:
        _do(world, "share_with_cbp")
    return _do(world, "cbp_pass")


@pytest.mark.parametrize("path", [AIRPORT, JOINT, SPLIT])
@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_a_terminal_state_is_final_booking_again_is_refused(path, state):
    world = _world(path)
    _drive_to(world, state)
    assert world.enrolment().state == state
    slot = world.new_slot()

    _refused(lambda: _book(world, slot), "interview_under_way")
    before = _snapshot()
    for action, agency in ACTIONS:
        if action != "rebook":
            with pytest.raises(REFUSED):
                _do(world, action, agency)
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("path", "agency", "resume", "cleared"),
    [
        (AIRPORT, CBSA, S.AWAITING_INTERVIEW, S.CBSA_PASSED),
        (AIRPORT, CBP, S.SHARED_WITH_CBP, S.ENROLLED),
        (SPLIT, CBSA, S.AWAITING_INTERVIEW, S.CBSA_PASSED),
        (SPLIT, CBP, S.SHARED_WITH_CBP, S.ENROLLED),
        (JOINT, CBSA, S.AWAITING_INTERVIEW, S.CBSA_PASSED),
        (JOINT, CBP, S.AWAITING_INTERVIEW, S.CBP_PASSED),
    ],
)
def test_a_referral_puts_it_under_review_and_a_clearance_resumes_where_it_left_off(
    path, agency, resume, cleared
):
    world = _world(path)
    _book(world)
    _check_in(world)
    if resume == S.SHARED_WITH_CBP:
        _do(world, "cbsa_pass")
        _do(world, "share_with_cbp")

    _do(world, f"{agency}_refer")
    enrolment = world.enrolment()
    assert enrolment.state == S.UNDER_REVIEW
    assert (enrolment.review_agency, enrolment.resume_state) == (agency, resume)

    _do(world, "review_clear", agency)
    enrolment = world.enrolment()
    assert enrolment.state == cleared
    assert (enrolment.review_agency, enrolment.resume_state) == ("", "")
    assert (enrolment.membership is not None) == (cleared == S.ENROLLED)


@pytest.mark.parametrize("agency", [CBSA, CBP])
def test_a_refused_review_is_final(agency):
    world = _world(JOINT)
    _book(world)
    _check_in(world)
    _do(world, f"{agency}_refer")

    event = _do(world, "review_refuse", agency)

    assert (event.from_state, event.to_state, event.details) == (
        S.UNDER_REVIEW, S.REFUSED, {"decision": "refused"}
    )  # fmt: skip
    assert world.enrolment().state == S.REFUSED
    _refused(_move(world, "book"), "interview_under_way")


# --- completion: the membership --------------------------------------------------------------


def _enrol(world):
    _drive_to(world, S.ENROLLED)
    return world.enrolment()


@pytest.mark.parametrize("path", [AIRPORT, JOINT, SPLIT])
def test_a_new_applicant_gets_a_new_nine_digit_membership_for_five_years(path):
    world = _world(path)
    earlier = MembershipFactory()  # somebody else's: never touched

    enrolment = _enrol(world)

    membership = enrolment.membership
    assert re.fullmatch(r"[1-9]\d{8}", membership.number)
    assert membership.applicant == world.application.applicant
    assert (membership.issued_on, membership.expires_on) == (
        datetime.date(2025, 6, 2), datetime.date(2030, 6, 2)
    )  # fmt: skip
    assert enrolment.completed_at == NOW
    assert Membership.objects.get(pk=earlier.pk).number == earlier.number
    assert Membership.objects.count() == 2


def test_a_membership_completed_on_a_29_february_runs_to_28_february(time_machine):
    time_machine.move_to(datetime.datetime(2028, 2, 29, 15, 0, tzinfo=UTC), tick=False)
    world = _world(AIRPORT)
    # Slots are relative to NOW: book one this afternoon instead.
    slot = SlotFactory(
        centre=world.centre, starts_at=datetime.datetime(2028, 2, 29, 16, 0, tzinfo=UTC)
    )
    _book(world, slot)
    _check_in(world)
    _do(world, "cbsa_pass")
    _do(world, "share_with_cbp")
    _do(world, "cbp_pass")

    membership = world.enrolment().membership
    assert (membership.issued_on, membership.expires_on) == (
        datetime.date(2028, 2, 29), datetime.date(2033, 2, 28)
    )  # fmt: skip


@pytest.mark.parametrize(
    ("old_expiry", "new_expiry"),
    [
        # Before expiry: the new term runs from the old expiry date (nothing lost).
        (datetime.date(2025, 9, 30), datetime.date(2030, 9, 30)),
        # On the expiry day itself: the same.
        (datetime.date(2025, 6, 2), datetime.date(2030, 6, 2)),
        # After expiry (benefits extended meanwhile): from today, never backdated.
        (datetime.date(2025, 3, 31), datetime.date(2030, 6, 2)),
    ],
)
@pytest.mark.parametrize("path", [AIRPORT, JOINT, SPLIT])
def test_a_renewal_renews_the_existing_membership_and_ends_the_benefit_extension(
    path, old_expiry, new_expiry
):
    member = MembershipFactory(
        issued_on=datetime.date(2020, 9, 30), expires_on=old_expiry,
        benefits_extended_until=datetime.date(2030, 3, 31),
    )  # fmt: skip
    world = _world(path, applicant=member.applicant, renewal=True, membership=member)

    enrolment = _enrol(world)

    member.refresh_from_db()
    assert enrolment.membership == member
    assert (member.issued_on, member.expires_on) == (datetime.date(2025, 6, 2), new_expiry)
    assert member.benefits_extended_until is None
    assert Membership.objects.count() == 1


def test_completion_by_a_review_clearance_also_issues_the_membership():
    world = _world(JOINT)
    _book(world)
    _check_in(world)
    _do(world, "cbp_pass")
    _do(world, "cbsa_refer")

    _do(world, "review_clear", CBSA)

    enrolment = world.enrolment()
    assert enrolment.state == S.ENROLLED
    assert enrolment.membership.expires_on == datetime.date(2030, 6, 2)


# --- expiry ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [S.AWAITING_INTERVIEW, S.NO_SHOW, S.CBSA_PASSED, S.SHARED_WITH_CBP, S.CBP_PASSED],
)
def test_expiry_ends_an_unfinished_enrolment_and_is_recorded_without_an_actor(state):
    path = JOINT if state == S.CBP_PASSED else AIRPORT
    world = _world(path)
    _put_in(world, state)

    event = enrolment_expire(application=world.application, reason="approval lapsed")

    assert world.enrolment().state == S.EXPIRED
    assert (event.from_state, event.actor, event.agency, event.reason) == (
        state, None, "", "approval lapsed"
    )  # fmt: skip


def test_expiry_of_an_application_that_never_booked_is_recorded_too():
    world = _world(AIRPORT)

    event = enrolment_expire(application=world.application)

    assert (event.from_state, event.to_state) == (S.AWAITING_INTERVIEW, S.EXPIRED)


def test_expiry_releases_the_booked_appointment_and_its_booth():
    world = _world(AIRPORT)
    appointment = _book(world)

    enrolment_expire(application=world.application)

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    assert Slot.objects.get(pk=appointment.slot_id).booked == 0
    _refused(lambda: _check_in(world), "appointment_not_booked")


# --- check-in --------------------------------------------------------------------------------


def test_check_in_is_only_on_the_appointments_local_day():
    world = _world(JOINT)
    world.centre.time_zone = "America/Vancouver"
    world.centre.save()
    # 09:00 in Vancouver on Tuesday 3 June is 16:00 UTC.
    slot = SlotFactory(
        centre=world.centre, starts_at=datetime.datetime(2025, 6, 3, 16, 0, tzinfo=UTC)
    )
    appointment = _book(world, slot)

    def check_in_at(when):
        return lambda: appointment_check_in(appointment=appointment, officer=world.cbsa, now=when)

    # Monday 23:30 in Vancouver is already Tuesday in UTC: still the day before there.
    _refused(check_in_at(datetime.datetime(2025, 6, 3, 6, 30, tzinfo=UTC)), "not_appointment_day")
    # Wednesday 00:30 in Vancouver (07:30 UTC): the day after.
    _refused(check_in_at(datetime.datetime(2025, 6, 4, 7, 30, tzinfo=UTC)), "not_appointment_day")
    # Tuesday 16:59 in Vancouver is Wednesday in UTC, but the appointment's day there.
    check_in_at(datetime.datetime(2025, 6, 3, 23, 59, tzinfo=UTC))()

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert world.enrolment().state == S.AWAITING_INTERVIEW
    assert not EnrolmentEvent.objects.exists()  # checking in is not a transition
    audit = AuditEvent.objects.get(action="appointment.checked_in")
    assert (audit.actor, audit.target_id) == (world.cbsa, str(appointment.pk))


@pytest.mark.parametrize("status", ["checked_in", "cancelled", "no_show", "attended"])
def test_only_a_booked_appointment_can_be_checked_in(status):
    world = _world(AIRPORT)
    appointment = _book(world)
    if status == "cancelled":
        appointment_cancel(appointment=appointment, actor=world.applicant)
    elif status == "no_show":
        _do(world, "no_show", CBSA)
    else:
        _check_in(world)
        if status == "attended":
            _do(world, "cbsa_pass")

    _refused(lambda: _check_in(world), "appointment_not_booked")


def test_a_rescheduled_appointment_cannot_be_checked_in():
    world = _world(AIRPORT)
    old = _book(world)
    appointment_reschedule(appointment=old, slot=world.new_slot(), actor=world.applicant)

    _refused(
        lambda: appointment_check_in(appointment=old, officer=world.cbsa),
        "appointment_not_booked",
    )


@pytest.mark.parametrize("path", [AIRPORT, SPLIT])
def test_a_cbp_officer_checks_in_only_for_a_joint_appointment(path):
    world = _world(path)
    cbp_at_the_centre = officer(CBP, world.centre)
    _book(world)
    # The missed first appointment makes the enrolment known to CBP officers there.
    _do(world, "no_show", CBSA)
    appointment = _book(world)

    _refused(
        lambda: appointment_check_in(appointment=appointment, officer=cbp_at_the_centre),
        "wrong_agency",
        kind="forbidden",
    )


def test_a_cbp_officer_checks_in_for_a_joint_appointment():
    world = _world(JOINT)
    _book(world)

    assert _check_in(world, CBP).status == Appointment.Status.CHECKED_IN


# --- no-show and outcome preconditions -------------------------------------------------------


@pytest.mark.parametrize(("path", "agency"), [(AIRPORT, CBSA), (JOINT, CBSA), (JOINT, CBP)])
def test_a_no_show_is_only_recorded_once_the_appointment_time_has_come(path, agency):
    world = _world(path)
    appointment = _book(world)
    starts_at = appointment.slot.starts_at

    def no_show_at(when):
        return lambda: appointment_record_no_show(
            appointment=appointment, officer=world.officer(agency), now=when
        )

    _refused(no_show_at(starts_at - datetime.timedelta(minutes=1)), "appointment_not_missed")
    event = no_show_at(starts_at)()

    assert (event.from_state, event.to_state, event.appointment) == (
        S.AWAITING_INTERVIEW, S.NO_SHOW, appointment
    )  # fmt: skip


def test_a_checked_in_applicant_is_not_a_no_show():
    world = _world(AIRPORT)
    appointment = _book(world)
    _check_in(world)

    _refused(
        lambda: appointment_record_no_show(
            appointment=appointment, officer=world.cbsa, now=NOW + datetime.timedelta(hours=2)
        ),
        "appointment_not_missed",
    )


@pytest.mark.parametrize(
    ("path", "agency"), [(AIRPORT, CBSA), (SPLIT, CBSA), (JOINT, CBSA), (JOINT, CBP)]
)
@pytest.mark.parametrize("outcome", ["pass", "refuse", "refer"])
def test_it_refuses_an_outcome_before_check_in(path, agency, outcome):
    world = _world(path)
    _book(world)

    _refused(_move(world, f"{agency}_{outcome}", agency), "not_checked_in")


@pytest.mark.parametrize("outcome", ["", "PASS", "approve", "passed"])
def test_it_refuses_an_unknown_outcome(outcome):
    world = _world(AIRPORT)
    _book(world)
    _check_in(world)

    _refused(
        lambda: interview_record_outcome(
            application=world.application, officer=world.cbsa, outcome=outcome
        ),
        "invalid_outcome",
        kind="invalid",
    )


def test_the_history_is_the_whole_story_in_order():
    world = _world(AIRPORT)
    _book(world)
    _do(world, "no_show", CBSA)
    _do(world, "rebook")
    _check_in(world)
    _do(world, "cbsa_pass")
    _do(world, "share_with_cbp")
    _do(world, "cbp_pass")

    rows = list(world.enrolment().events.values_list("action", "from_state", "to_state", "agency"))
    assert rows == [
        ("no_show", S.AWAITING_INTERVIEW, S.NO_SHOW, CBSA),
        ("rebook", S.NO_SHOW, S.AWAITING_INTERVIEW, ""),
        ("cbsa_pass", S.AWAITING_INTERVIEW, S.CBSA_PASSED, CBSA),
        ("share_with_cbp", S.CBSA_PASSED, S.SHARED_WITH_CBP, CBSA),
        ("cbp_pass", S.SHARED_WITH_CBP, S.ENROLLED, CBP),
    ]
