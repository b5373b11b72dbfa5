"""The officer console offers only what can be done now: check-in on the appointment's
day, "missed" once its time has come, the outcomes the workflow allows, the CBP walk-in's
place required; previous and next day; the shared block in the centre's time; an
officer's menu without "My enrolment"."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.services import appointment_book
from centres.models import StaffProfile
from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Interview
from interviews.services import appointment_check_in, cbsa_share_with_cbp, interview_record_outcome
from interviews.tests.factories import StaffProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def airport():
    return CentreFactory(name="Vancouver airport", time_zone="America/Vancouver")


@pytest.fixture
def preclearance(airport):
    return CentreFactory(preclearance=True, airport=airport, name="Vancouver preclearance")


@pytest.fixture
def cbsa(airport):
    return StaffProfileFactory(centres=[airport]).user


@pytest.fixture
def cbp(preclearance):
    return StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[preclearance]).user


def _book(centre, at, *, booked_at=None):
    application = ApplicationFactory()
    slot = SlotFactory(centre=centre, starts_at=at)
    if booked_at is None:
        return appointment_book(
            application=application, slot=slot, actor=application.applicant.user
        )
    return appointment_book(
        application=application, slot=slot, actor=application.applicant.user, now=booked_at
    )


def _day_list(client, centre, day):
    url = f"{reverse('interviews:day_list')}?centre={centre.pk}&day={day.isoformat()}"
    return client.get(url).content.decode()


def _buttons(body):
    return re.findall(r'action="/en/officer/appointments/\d+/(check-in|no-show)/"', body)


def test_a_future_day_offers_neither_check_in_nor_missed(client, airport, cbsa):
    now = timezone.now()
    _book(airport, now + datetime.timedelta(days=3))
    force_login_verified(client, cbsa)
    day = timezone.localtime(now + datetime.timedelta(days=3), airport.tz).date()
    body = _day_list(client, airport, day)
    assert "Check in" not in body and _buttons(body) == []


def test_today_offers_check_in_and_missed_once_the_time_has_come(client, airport, cbsa):
    now = timezone.now()
    local = timezone.localtime(now, airport.tz)
    if local.hour < 1 or local.hour >= 23:
        pytest.skip("too close to local midnight for a past and a future time today")
    _book(airport, now - datetime.timedelta(minutes=30), booked_at=now - datetime.timedelta(days=1))
    _book(airport, now + datetime.timedelta(minutes=40))
    force_login_verified(client, cbsa)
    body = _day_list(client, airport, local.date())
    # The past time: check in (late) or missed; the coming one: check in only.
    assert sorted(_buttons(body)) == ["check-in", "check-in", "no-show"]


def test_after_check_in_the_name_leads_to_the_interview(client, airport, cbsa):
    appointment = _book(airport, timezone.now() + datetime.timedelta(minutes=30))
    appointment_check_in(appointment=appointment, officer=cbsa)
    force_login_verified(client, cbsa)
    interview = Interview.objects.get(application=appointment.application)
    day = timezone.localtime(appointment.slot.starts_at, airport.tz).date()
    body = _day_list(client, airport, day)
    link = reverse("interviews:enrolment", args=[interview.pk])
    name = appointment.application.applicant.full_name
    assert f'<a href="{link}">{name}</a>' in body
    assert "Record the outcome" in body and _buttons(body) == []


def test_previous_and_next_day(client, airport, cbsa):
    force_login_verified(client, cbsa)
    day = datetime.date(2026, 3, 1)
    body = _day_list(client, airport, day)
    url = reverse("interviews:day_list")
    assert f'href="{url}?centre={airport.pk}&amp;day=2026-02-28"' in body
    assert f'href="{url}?centre={airport.pk}&amp;day=2026-03-02"' in body


def test_the_interview_page_offers_only_what_the_workflow_allows(
    client, airport, preclearance, cbsa, cbp
):
    appointment = _book(airport, timezone.now() + datetime.timedelta(minutes=30))
    application = appointment.application
    interview = Interview.objects.get(application=application)
    url = reverse("interviews:enrolment", args=[interview.pk])
    force_login_verified(client, cbsa)
    before = client.get(url).content.decode()
    assert "Check the applicant in at their appointment first" in before
    assert 'name="outcome"' not in before

    appointment_check_in(appointment=appointment, officer=cbsa)
    checked_in = client.get(url).content.decode()
    assert 'name="outcome"' in checked_in and "Share with CBP" not in checked_in

    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    passed = client.get(url).content.decode()
    assert 'name="outcome"' not in passed and "Share with CBP" in passed

    cbsa_share_with_cbp(application=application, officer=cbsa)
    shared = client.get(url).content.decode()
    assert 'name="outcome"' not in shared and "Share with CBP" not in shared
    assert "Nothing for your agency to record on this enrolment now." in shared
    # In the CBSA centre's time, named in words as the timeline names it, never UTC.
    assert "(UTC)" not in shared and "(Pacific time) by" in shared

    force_login_verified(client, cbp)
    walk_in = client.get(url).content.decode()
    assert 'name="centre"' in walk_in and "Required: the preclearance area" in walk_in
    missing = client.post(reverse("interviews:outcome", args=[interview.pk]), {"outcome": "pass"})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    done = client.post(
        reverse("interviews:outcome", args=[interview.pk]),
        {"outcome": "pass", "centre": preclearance.pk},
    )
    assert done.status_code == 302
    enrolled = client.get(url).content.decode()
    assert 'name="outcome"' not in enrolled and "Share with CBP" not in enrolled


def test_an_officer_s_menu_has_no_my_enrolment(client, airport, cbsa, applicant):
    force_login_verified(client, cbsa)
    officer_page = client.get(reverse("interviews:day_list")).content.decode()
    assert "My enrolment" not in officer_page and "Officer console" in officer_page
    client.logout()
    client.force_login(applicant.user)
    assert "My enrolment" in client.get(reverse("centres:list")).content.decode()


def test_the_day_list_opens_at_the_officers_busiest_centre_today(client, airport):
    # Alphabetically first, but nothing today: the list opens where today's work is.
    quiet = CentreFactory(name="Abbotsford", time_zone="America/Vancouver")
    busy = CentreFactory(name="Zeballos", time_zone="America/Toronto")
    officer = StaffProfileFactory(centres=[quiet, busy, airport]).user
    soon = timezone.now() + datetime.timedelta(minutes=20)
    if timezone.localdate(soon, busy.tz) != timezone.localdate(timezone.now(), busy.tz):
        pytest.skip("too close to local midnight for an appointment today")
    _book(busy, soon)
    _book(busy, soon + datetime.timedelta(minutes=5))
    _book(airport, soon + datetime.timedelta(days=2))  # not today
    force_login_verified(client, officer)

    response = client.get(reverse("interviews:day_list"))

    assert response.context["centre"] == busy
    assert len(response.context["rows"]) == 2


def test_with_nothing_today_the_day_list_opens_at_the_first_centre(client, airport):
    quiet = CentreFactory(name="Abbotsford", time_zone="America/Vancouver")
    officer = StaffProfileFactory(centres=[quiet, airport]).user
    force_login_verified(client, officer)

    response = client.get(reverse("interviews:day_list"))

    first = response.context["form"].fields["centre"].queryset.first()
    assert response.context["centre"] == first
