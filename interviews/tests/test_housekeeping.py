"""No-show housekeeping: once a centre's local day is over, its appointments still booked
(nobody checked them in) are marked as missed through the workflow — the declared move,
its history row, the applicant free to book again — once, however often (and however
concurrently) the hourly job runs."""

import datetime
import logging

import pytest
from django.conf import settings

from bookings.models import Appointment
from bookings.services import appointment_book, appointment_cancel
from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.threads import run_at_once
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Agency, EnrolmentEvent, Interview
from interviews.services import appointment_check_in, interview_record_outcome
from interviews.services.workflow import appointments_mark_no_shows
from interviews.standing import BOOK, application_standing
from interviews.tasks import appointments_mark_no_shows_task
from interviews.tests.factories import officer
from nexus_portal.celery import app

UTC = datetime.UTC
# Monday 1 March 2027: 10:00 in Toronto (EST, UTC-5) and 10:00 in Vancouver (PST, UTC-8).
BOOKED_AT = datetime.datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
TORONTO_10 = datetime.datetime(2027, 3, 1, 15, 0, tzinfo=UTC)
VANCOUVER_10 = datetime.datetime(2027, 3, 1, 18, 0, tzinfo=UTC)
TORONTO_MIDNIGHT = datetime.datetime(2027, 3, 2, 5, 0, tzinfo=UTC)
VANCOUVER_MIDNIGHT = datetime.datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def toronto():
    return CentreFactory(name="Toronto Pearson", time_zone="America/Toronto")


@pytest.fixture
def vancouver():
    return CentreFactory(name="Vancouver International", time_zone="America/Vancouver")


def _book(centre, starts_at) -> Appointment:
    application = ApplicationFactory()
    slot = SlotFactory(centre=centre, starts_at=starts_at)
    return appointment_book(
        application=application, slot=slot, actor=application.applicant.user, now=BOOKED_AT
    )


def _status(appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


def _state(appointment) -> str:
    return Interview.objects.get(application=appointment.application_id).state


pytestmark = pytest.mark.django_db


def test_a_booked_appointment_is_marked_missed_once_the_centres_day_is_over(toronto):
    appointment = _book(toronto, TORONTO_10)

    assert appointments_mark_no_shows(now=TORONTO_10 + 3 * 60 * MINUTE) == 0  # later that day
    assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT - MINUTE) == 0  # 23:59 local
    assert _status(appointment) == Appointment.Status.BOOKED

    assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT + MINUTE) == 1

    assert _status(appointment) == Appointment.Status.NO_SHOW
    assert _state(appointment) == Interview.State.NO_SHOW
    (event,) = EnrolmentEvent.objects.filter(interview__application=appointment.application_id)
    assert (event.action, event.from_state, event.to_state) == (
        "no_show", Interview.State.AWAITING_INTERVIEW, Interview.State.NO_SHOW
    )  # fmt: skip
    assert event.actor is None and event.agency == ""  # nobody recorded it: the system did
    assert event.centre == toronto and event.appointment_id == appointment.pk
    assert event.details == {"marked_by": "system"}


def test_each_centre_waits_for_its_own_local_midnight(toronto, vancouver):
    in_toronto, in_vancouver = _book(toronto, TORONTO_10), _book(vancouver, VANCOUVER_10)

    assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT + MINUTE) == 1
    assert _status(in_toronto) == Appointment.Status.NO_SHOW
    assert _status(in_vancouver) == Appointment.Status.BOOKED  # 21:01 in Vancouver

    assert appointments_mark_no_shows(now=VANCOUVER_MIDNIGHT + MINUTE) == 1
    assert _status(in_vancouver) == Appointment.Status.NO_SHOW


def test_checked_in_interviewed_and_cancelled_appointments_are_left_alone(toronto, time_machine):
    time_machine.move_to(TORONTO_10 - 10 * MINUTE, tick=False)
    cbsa = officer(Agency.CBSA, toronto)
    checked_in = _book(toronto, TORONTO_10)
    interviewed = _book(toronto, TORONTO_10 + 20 * MINUTE)
    cancelled = _book(toronto, TORONTO_10 + 40 * MINUTE)
    appointment_check_in(appointment=checked_in, officer=cbsa)
    appointment_check_in(appointment=interviewed, officer=cbsa)
    interview_record_outcome(application=interviewed.application, officer=cbsa, outcome="pass")
    appointment_cancel(appointment=cancelled, actor=cancelled.application.applicant.user)

    assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT + MINUTE) == 0

    assert _status(checked_in) == Appointment.Status.CHECKED_IN
    assert _status(interviewed) == Appointment.Status.ATTENDED
    assert _status(cancelled) == Appointment.Status.CANCELLED
    assert _state(checked_in) == Interview.State.AWAITING_INTERVIEW


def test_running_twice_marks_once(toronto):
    appointment = _book(toronto, TORONTO_10)

    assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT + MINUTE) == 1
    assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT + 61 * MINUTE) == 0

    assert EnrolmentEvent.objects.filter(action="no_show").count() == 1
    assert _status(appointment) == Appointment.Status.NO_SHOW


def test_the_applicant_is_told_and_may_book_again(toronto):
    appointment = _book(toronto, TORONTO_10)
    appointments_mark_no_shows(now=TORONTO_MIDNIGHT + MINUTE)

    application = Application.objects.get(pk=appointment.application_id)
    standing = application_standing(application, now=TORONTO_MIDNIGHT + MINUTE)
    assert standing.next_action == BOOK
    assert standing.sentence.startswith("You missed your interview on Monday 1 March 2027")
    new_slot = SlotFactory(centre=toronto, starts_at=TORONTO_10 + datetime.timedelta(days=2))
    rebooked = appointment_book(
        application=application, slot=new_slot, actor=application.applicant.user,
        now=TORONTO_MIDNIGHT + MINUTE,
    )  # fmt: skip
    assert rebooked.status == Appointment.Status.BOOKED
    assert _state(appointment) == Interview.State.AWAITING_INTERVIEW


def test_a_booked_appointment_the_workflow_cannot_mark_is_left_and_logged(toronto, caplog):
    appointment = _book(toronto, TORONTO_10)
    Interview.objects.filter(application=appointment.application_id).update(
        state=Interview.State.CBSA_PASSED
    )  # not a state the workflow reaches with a booked appointment

    with caplog.at_level(logging.WARNING, logger="interviews.services.workflow"):
        assert appointments_mark_no_shows(now=TORONTO_MIDNIGHT + MINUTE) == 0

    assert _status(appointment) == Appointment.Status.BOOKED
    assert not EnrolmentEvent.objects.exists()
    assert f"appointment {appointment.pk} is booked" in caplog.text


def test_the_hourly_task_marks_them_and_is_on_the_beat_schedule(toronto, time_machine):
    appointment = _book(toronto, TORONTO_10)
    time_machine.move_to(TORONTO_MIDNIGHT + 15 * MINUTE, tick=False)

    assert appointments_mark_no_shows_task.delay().get() == 1

    assert _status(appointment) == Appointment.Status.NO_SHOW
    entries = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["interviews.tasks.appointments_mark_no_shows_task"] == 60 * 60
    assert "interviews.tasks.appointments_mark_no_shows_task" in app.tasks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_mark_each_appointment_once(toronto):
    appointments = [_book(toronto, TORONTO_10 + i * 20 * MINUTE) for i in range(4)]
    at = TORONTO_MIDNIGHT + MINUTE

    results = run_at_once(
        lambda: appointments_mark_no_shows(now=at), lambda: appointments_mark_no_shows(now=at)
    )

    assert sum(results) == 4, results
    assert {_status(a) for a in appointments} == {Appointment.Status.NO_SHOW}
    assert EnrolmentEvent.objects.filter(action="no_show").count() == 4
