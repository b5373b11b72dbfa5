"""Recording a day's figures: what each centre did on its own local day, the inventory
counted then, once (a second run records nothing), missed days caught up."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from bookings.models import Appointment
from centres.models import Slot
from centres.tests.factories import CentreFactory
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory
from figures.models import CentreDay, FiguresDay
from figures.selectors import inventory_now
from figures.services import CATCH_UP_DAYS, figures_record, figures_record_due
from figures.tasks import figures_record_task
from interviews.models import EnrolmentEvent, Interview

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
VANCOUVER = ZoneInfo("America/Vancouver")
S = Interview.State


def _at(hour: int, minute: int = 0, day: datetime.date = DAY, tz=VANCOUVER):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def _slot(centre, start, capacity=2, booked=0):
    return Slot.objects.create(
        centre=centre, starts_at=start, ends_at=start + datetime.timedelta(minutes=20),
        capacity=capacity, booked=booked,
    )  # fmt: skip


def _appointment(slot, status, path=Application.Path.AIRPORT):
    application = ApplicationFactory(path=path)
    return Appointment.objects.create(
        application=application, slot=slot, step="cbsa", status=status
    )


def _event(*, centre, at, agency, source, target, path, shared_at=None, action="cbsa_pass"):
    application = ApplicationFactory(path=path)
    interview = Interview.objects.create(application=application, state=target, shared_at=shared_at)
    event = EnrolmentEvent.objects.create(
        interview=interview, action=action, from_state=source, to_state=target,
        agency=agency, centre=centre,
    )  # fmt: skip
    EnrolmentEvent.objects.filter(pk=event.pk).update(created_at=at)
    return event


@pytest.fixture
def vancouver():
    return CentreFactory(time_zone="America/Vancouver", city="Richmond", region="BC")


@pytest.fixture
def preclearance(vancouver):
    return CentreFactory(preclearance=True, airport=vancouver, time_zone="America/Vancouver")


def test_a_centre_s_day_is_its_local_day(vancouver, preclearance):
    # 23:40 in Vancouver is the next day in UTC: it still counts for DAY.
    late = _slot(vancouver, _at(23, 40), capacity=3, booked=3)
    _appointment(late, Appointment.Status.ATTENDED)
    _appointment(late, Appointment.Status.NO_SHOW)
    _appointment(late, Appointment.Status.BOOKED)
    _slot(vancouver, _at(9), capacity=2)
    _slot(vancouver, _at(0, 10, day=DAY + datetime.timedelta(days=1)), capacity=5)  # next day
    _slot(vancouver, _at(23, 50, day=DAY - datetime.timedelta(days=1)), capacity=7)  # day before
    cancelled = _slot(vancouver, _at(10), capacity=1)
    Appointment.objects.create(
        application=ApplicationFactory(), slot=cancelled, step="cbsa",
        status=Appointment.Status.CANCELLED, cancel_reason="applicant",
    )  # fmt: skip
    _event(centre=vancouver, at=_at(23, 55), agency="cbsa", source=S.AWAITING_INTERVIEW,
           target=S.CBSA_PASSED, path="airport")  # fmt: skip
    _event(centre=vancouver, at=_at(12), agency="cbsa", source=S.AWAITING_INTERVIEW,
           target=S.REFUSED, path="airport", action="cbsa_refuse")  # fmt: skip
    _event(centre=preclearance, at=_at(8), agency="cbp", source=S.SHARED_WITH_CBP,
           target=S.ENROLLED, path="airport", action="cbp_pass",
           shared_at=_at(8, day=DAY - datetime.timedelta(days=12)))  # fmt: skip
    _event(centre=preclearance, at=_at(0, 5, day=DAY + datetime.timedelta(days=1)),
           agency="cbp", source=S.SHARED_WITH_CBP, target=S.ENROLLED, path="airport",
           action="cbp_pass")  # fmt: skip

    assert figures_record(day=DAY, count_inventory=True)

    centre_day = CentreDay.objects.get(day=DAY, centre=vancouver)
    assert (centre_day.booths_offered, centre_day.booths_booked) == (3 + 2 + 1, 3)
    assert (centre_day.attended, centre_day.no_shows) == (1, 1)
    assert (centre_day.cbsa_passed, centre_day.cbp_passed, centre_day.enrolled) == (1, 0, 0)
    walk_in = CentreDay.objects.get(day=DAY, centre=preclearance)
    assert (walk_in.cbp_passed, walk_in.enrolled, walk_in.booths_offered) == (1, 1, 0)
    assert (walk_in.cbp_after_share, walk_in.cbp_after_share_days) == (1, 12)


def test_the_joint_interview_counts_both_agencies_parts():
    blaine = CentreFactory(land_border=True)
    at = _at(11, tz=blaine.tz)
    _event(centre=blaine, at=at, agency="cbp", source=S.AWAITING_INTERVIEW,
           target=S.CBP_PASSED, path="joint", action="cbp_pass")  # fmt: skip
    _event(centre=blaine, at=at, agency="cbsa", source=S.CBP_PASSED,
           target=S.ENROLLED, path="joint")  # fmt: skip
    figures_record(day=DAY, count_inventory=False)
    row = CentreDay.objects.get(day=DAY, centre=blaine)
    assert (row.cbsa_passed, row.cbp_passed, row.enrolled, row.cbp_after_share) == (1, 1, 1, 0)


def test_the_inventory_counts_those_approved_and_not_yet_done():
    ApplicationFactory()  # approved, never booked
    ApplicationFactory(pending=True)  # not approved: out
    ApplicationFactory(status=Application.Status.WITHDRAWN)  # out
    for state in (S.AWAITING_INTERVIEW, S.SHARED_WITH_CBP, S.UNDER_REVIEW, S.ENROLLED,
                  S.REFUSED, S.EXPIRED, S.NO_SHOW):  # fmt: skip
        Interview.objects.create(
            application=ApplicationFactory(path="airport"), state=state,
            review_agency="cbsa" if state == S.UNDER_REVIEW else "",
            shared_at=_at(9) if state == S.SHARED_WITH_CBP else None,
        )  # fmt: skip
    assert inventory_now() == {
        "inventory": 5,
        "inventory_to_book": 2,
        "inventory_booked": 1,
        "inventory_between_parts": 1,
        "inventory_under_review": 1,
        "airport_waiting_for_cbp": 1,
    }


def test_a_day_is_recorded_once(vancouver, django_assert_max_num_queries):
    assert figures_record(day=DAY, count_inventory=True)
    rows = CentreDay.objects.count()
    assert not figures_record(day=DAY, count_inventory=True)
    assert FiguresDay.objects.filter(day=DAY).count() == 1
    assert CentreDay.objects.count() == rows == 1


def test_the_job_records_the_last_day_ended_everywhere_and_catches_up(vancouver):
    halifax = CentreFactory(time_zone="America/Halifax")
    # 01:30 in Halifax on the 11th is still the 10th in Vancouver: the 9th is the last
    # day ended everywhere.
    now = _at(1, 30, day=DAY + datetime.timedelta(days=1), tz=halifax.tz)
    FiguresDay.objects.create(day=DAY - datetime.timedelta(days=3), recorded_at=now)
    recorded = figures_record_due(now=now)
    last = DAY - datetime.timedelta(days=1)
    assert recorded[-1] == last and len(recorded) == CATCH_UP_DAYS  # one was there
    assert FiguresDay.objects.get(day=last).inventory == 0
    # A day the job missed has its centres' figures but no inventory: nobody counted.
    missed = FiguresDay.objects.get(day=last - datetime.timedelta(days=1))
    assert missed.inventory is None
    assert CentreDay.objects.filter(day=missed.day).count() == 2
    assert figures_record_due(now=now) == []


def test_the_task_returns_the_days_it_recorded(vancouver, settings):
    assert len(figures_record_task.delay().get()) == CATCH_UP_DAYS + 1
    assert figures_record_task.delay().get() == []
