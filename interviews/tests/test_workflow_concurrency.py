"""Real threads against PostgreSQL: two people acting on one enrolment at once are
serialised by the application row lock, so exactly one move of each kind happens and the
other is refused with a clear error, never half-applied or recorded twice."""

import datetime

import pytest

from bookings.errors import BookingError
from bookings.models import Appointment
from bookings.services import appointment_book
from centres.models import Slot
from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.threads import run_at_once
from enrolment.models import Membership
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Agency, EnrolmentEvent, Interview
from interviews.services import (
    InterviewError,
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    enrolment_expire,
    interview_record_outcome,
)
from interviews.tests.factories import officer

# A booking or a workflow step refused: either app's error.
REFUSED = (BookingError, InterviewError)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

UTC = datetime.UTC
NOW = datetime.datetime(2025, 6, 2, 14, 0, tzinfo=UTC)
S = Interview.State
CBSA, CBP = Agency.CBSA, Agency.CBP


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def _split(results):
    winners = [r for r in results if isinstance(r, EnrolmentEvent | Appointment)]
    losers = [r for r in results if isinstance(r, REFUSED)]
    assert len(winners) + len(losers) == len(results), results  # nothing unexpected
    return winners, losers


def _booked(centre, application=None, minutes=30):
    application = application or ApplicationFactory()
    slot = SlotFactory(centre=centre, starts_at=NOW + datetime.timedelta(minutes=minutes))
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user
    )
    return application, appointment


def _checked_in(centre, cbsa):
    application, appointment = _booked(centre)
    appointment_check_in(appointment=appointment, officer=cbsa)
    return application, appointment


@pytest.fixture
def airport():
    return CentreFactory(time_zone="UTC")


def test_two_cbsa_officers_recording_pass_and_refuse_at_once_only_one_outcome_stands(airport):
    first, second = officer(CBSA, airport), officer(CBSA, airport)
    application, appointment = _checked_in(airport, first)

    results = run_at_once(
        lambda: interview_record_outcome(application=application, officer=first, outcome="pass"),
        lambda: interview_record_outcome(application=application, officer=second, outcome="refuse"),
    )

    (winner,), (loser,) = _split(results)
    assert loser.code == "illegal_transition"
    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == winner.to_state
    assert winner.to_state in (S.CBSA_PASSED, S.REFUSED)
    assert list(enrolment.events.values_list("action", flat=True)) == [winner.action]
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.ATTENDED


def test_eight_cbsa_officers_recording_outcomes_at_once_make_one_move(airport):
    officers = [officer(CBSA, airport) for _ in range(8)]
    application, _appointment = _checked_in(airport, officers[0])
    outcomes = ["pass", "refuse", "refer", "pass", "refuse", "refer", "pass", "pass"]

    results = run_at_once(
        *(
            lambda o=o, outcome=outcome: interview_record_outcome(
                application=application, officer=o, outcome=outcome
            )
            for o, outcome in zip(officers, outcomes, strict=True)
        )
    )

    (winner,), losers = _split(results)
    assert {e.code for e in losers} == {"illegal_transition"}
    assert EnrolmentEvent.objects.filter(interview__application=application).count() == 1
    assert Interview.objects.get(application=application).state == winner.to_state


def test_two_cbsa_officers_sharing_at_once_share_once(airport):
    first, second = officer(CBSA, airport), officer(CBSA, airport)
    application, _appointment = _checked_in(airport, first)
    interview_record_outcome(application=application, officer=first, outcome="pass")

    results = run_at_once(
        lambda: cbsa_share_with_cbp(application=application, officer=first),
        lambda: cbsa_share_with_cbp(application=application, officer=second),
    )

    (winner,), (loser,) = _split(results)
    assert loser.code == "illegal_transition"
    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == S.SHARED_WITH_CBP
    assert enrolment.shared_by == winner.actor
    assert enrolment.events.filter(action="share_with_cbp").count() == 1


def test_cbsa_and_cbp_passing_a_joint_interview_at_once_enrol_once_with_one_membership():
    centre = CentreFactory(land_border=True, time_zone="UTC")
    cbsa, cbp = officer(CBSA, centre), officer(CBP, centre)
    application, _appointment = _checked_in(centre, cbsa)

    results = run_at_once(
        lambda: interview_record_outcome(application=application, officer=cbsa, outcome="pass"),
        lambda: interview_record_outcome(application=application, officer=cbp, outcome="pass"),
    )

    winners, _losers = _split(results)
    assert len(winners) == 2  # both parts pass: serialised, not refused
    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == S.ENROLLED
    first, second = enrolment.events.all()
    assert first.to_state in (S.CBSA_PASSED, S.CBP_PASSED)
    assert (second.from_state, second.to_state) == (first.to_state, S.ENROLLED)
    assert {first.agency, second.agency} == {CBSA, CBP}
    assert Membership.objects.filter(applicant=application.applicant).count() == 1
    assert enrolment.membership is not None


def test_a_check_in_and_a_no_show_at_once_only_one_applies(airport):
    first, second = officer(CBSA, airport), officer(CBSA, airport)
    application, appointment = _booked(airport)
    at = appointment.slot.starts_at + datetime.timedelta(minutes=5)

    results = run_at_once(
        lambda: appointment_check_in(appointment=appointment, officer=first, now=at),
        lambda: appointment_record_no_show(appointment=appointment, officer=second, now=at),
    )

    (winner,), (loser,) = _split(results)
    appointment.refresh_from_db()
    enrolment = Interview.objects.get(application=application)
    if isinstance(winner, Appointment):
        assert loser.code == "appointment_not_missed"
        assert appointment.status == Appointment.Status.CHECKED_IN
        assert enrolment.state == S.AWAITING_INTERVIEW
        assert not enrolment.events.exists()
    else:
        assert loser.code == "appointment_not_booked"
        assert appointment.status == Appointment.Status.NO_SHOW
        assert enrolment.state == S.NO_SHOW
        assert enrolment.events.count() == 1


def test_expiry_racing_the_cbp_pass_only_one_applies(airport):
    preclearance = CentreFactory(preclearance=True, airport=airport, time_zone="UTC")
    cbsa, cbp = officer(CBSA, airport), officer(CBP, preclearance)
    application, _appointment = _checked_in(airport, cbsa)
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    cbsa_share_with_cbp(application=application, officer=cbsa)

    results = run_at_once(
        lambda: enrolment_expire(application=application, reason="approval lapsed"),
        lambda: interview_record_outcome(
            application=application, officer=cbp, outcome="pass", centre=preclearance
        ),
    )

    (winner,), (loser,) = _split(results)
    assert loser.code == "illegal_transition"
    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == winner.to_state
    assert enrolment.events.filter(from_state=S.SHARED_WITH_CBP).count() == 1
    issued = Membership.objects.filter(applicant=application.applicant).count()
    assert issued == (1 if winner.to_state == S.ENROLLED else 0)


def test_rebooking_two_slots_at_once_after_a_no_show_rebooks_once(airport):
    cbsa = officer(CBSA, airport)
    application, missed = _booked(airport)
    appointment_record_no_show(
        appointment=missed, officer=cbsa, now=missed.slot.starts_at + datetime.timedelta(hours=1)
    )
    user = application.applicant.user
    slots = [
        SlotFactory(centre=airport, starts_at=NOW + datetime.timedelta(days=1, hours=h))
        for h in (1, 2)
    ]

    results = run_at_once(
        *(lambda s=s: appointment_book(application=application, slot=s, actor=user) for s in slots)
    )

    (winner,), (loser,) = _split(results)
    assert loser.code == "already_booked"
    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == S.AWAITING_INTERVIEW
    assert list(enrolment.events.values_list("action", flat=True)) == ["no_show", "rebook"]
    assert Appointment.objects.filter(application=application, status="booked").get() == winner
    booked = Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list("booked", flat=True)
    assert sorted(booked) == [0, 1]
