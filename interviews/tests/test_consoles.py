"""Officer consoles, browser-free: what each officer sees and can do from the pages."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bookings.models import Appointment
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
    return CentreFactory(name="Montréal airport enrolment centre", time_zone="America/Toronto")


@pytest.fixture
def preclearance(airport):
    return CentreFactory(preclearance=True, airport=airport, name="Montréal preclearance")


@pytest.fixture
def cbsa_officer(airport):
    return StaffProfileFactory(centres=[airport]).user


@pytest.fixture
def cbp_officer(preclearance):
    return StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[preclearance]).user


def _book_soon(centre, minutes=30, application=None):
    application = application or ApplicationFactory()
    slot = SlotFactory(
        centre=centre, starts_at=timezone.now() + datetime.timedelta(minutes=minutes)
    )
    return appointment_book(application=application, slot=slot, actor=application.applicant.user)


def _today_url(centre):
    day = timezone.localdate(timezone=centre.tz).isoformat()
    return f"{reverse('interviews:day_list')}?centre={centre.pk}&day={day}"


@pytest.fixture
def _same_local_day(airport):
    """Skip near local midnight, when 'in 30 minutes' is tomorrow at the centre."""
    now = timezone.now().astimezone(airport.tz)
    if now.hour == 23 and now.minute >= 20:
        pytest.skip("too close to local midnight for a same-day appointment")


def test_the_console_needs_a_verified_staff_sign_in(client, applicant):
    response = client.get(reverse("interviews:day_list"))
    assert response.status_code == 302
    client.force_login(applicant.user)
    assert client.get(reverse("interviews:day_list")).status_code == 404


@pytest.mark.usefixtures("_same_local_day")
def test_the_day_list_shows_todays_appointments_in_local_time(client, airport, cbsa_officer):
    appointment = _book_soon(airport)
    force_login_verified(client, cbsa_officer)

    response = client.get(_today_url(airport))

    body = response.content.decode()
    assert response.status_code == 200
    assert appointment.application.number in body
    local = appointment.slot.starts_at.astimezone(airport.tz).strftime("%H:%M")
    assert local in body
    assert "Eastern time" in body and "America/Toronto" not in body


@pytest.mark.usefixtures("_same_local_day")
def test_the_day_list_query_count_does_not_grow_with_appointments(client, airport, cbsa_officer):
    force_login_verified(client, cbsa_officer)
    _book_soon(airport, minutes=20)
    with CaptureQueriesContext(connection) as few:
        client.get(_today_url(airport))
    for minutes in range(21, 31):
        _book_soon(airport, minutes=minutes)
    with CaptureQueriesContext(connection) as many:
        response = client.get(_today_url(airport))
    assert response.content.decode().count("<tr>") >= 11
    assert len(many) == len(few)


@pytest.mark.usefixtures("_same_local_day")
def test_check_in_outcome_and_share_from_the_pages(client, airport, cbsa_officer):
    appointment = _book_soon(airport)
    force_login_verified(client, cbsa_officer)

    response = client.post(reverse("interviews:check_in", args=[appointment.pk]))
    assert response.status_code == 302
    enrolment = Interview.objects.get(application=appointment.application)
    response = client.post(
        reverse("interviews:outcome", args=[enrolment.pk]), {"outcome": "pass", "notes": "Fine."}
    )
    assert response.status_code == 302
    response = client.post(reverse("interviews:share", args=[enrolment.pk]), follow=True)
    assert "now shared with CBP" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.state == Interview.State.SHARED_WITH_CBP
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.ATTENDED


@pytest.mark.usefixtures("_same_local_day")
def test_a_refused_outcome_reshows_the_form_with_the_message_and_the_notes(
    client, airport, cbsa_officer
):
    appointment = _book_soon(airport)  # not checked in
    enrolment = Interview.objects.get(application=appointment.application)
    force_login_verified(client, cbsa_officer)

    response = client.post(
        reverse("interviews:outcome", args=[enrolment.pk]),
        {"outcome": "pass", "notes": "Keep these notes"},
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "Check the applicant in at their appointment first." in body
    assert "Keep these notes" in body


def test_an_invalid_outcome_form_names_the_field(client, airport, cbsa_officer):
    enrolment = Interview.objects.get(application=_book_soon(airport, minutes=600).application)
    force_login_verified(client, cbsa_officer)
    response = client.post(reverse("interviews:outcome", args=[enrolment.pk]), {"outcome": "x"})
    assert response.status_code == 400
    assert 'id="id_outcome_error"' in response.content.decode()


@pytest.mark.usefixtures("_same_local_day")
def test_cbp_finds_a_shared_traveller_and_completes_the_enrolment(
    client, airport, preclearance, cbsa_officer, cbp_officer
):
    appointment = _book_soon(airport)
    application = appointment.application
    appointment_check_in(appointment=appointment, officer=cbsa_officer)
    interview_record_outcome(application=application, officer=cbsa_officer, outcome="pass")
    force_login_verified(client, cbp_officer)

    row = f"<td>{application.number}</td>"
    before_share = client.get(reverse("interviews:find"), {"number": application.number})
    assert row not in before_share.content.decode()
    assert "No traveller found that you may see." in before_share.content.decode()

    cbsa_share_with_cbp(application=application, officer=cbsa_officer)
    found = client.get(reverse("interviews:find"), {"number": application.number})
    assert row in found.content.decode()
    enrolment = Interview.objects.get(application=application)
    page = client.get(reverse("interviews:enrolment", args=[enrolment.pk])).content.decode()
    assert "Shared with CBP" in page
    response = client.post(
        reverse("interviews:outcome", args=[enrolment.pk]),
        {"outcome": "pass", "centre": preclearance.pk},
    )
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.state == Interview.State.ENROLLED
    timeline = client.get(reverse("interviews:timeline", args=[enrolment.pk])).content.decode()
    assert "Enrolled" in timeline and "Montréal preclearance" in timeline


def test_cbp_finds_by_name_and_date_of_birth(client, airport, cbsa_officer, cbp_officer):
    application = _book_soon(airport, minutes=600).application
    Interview.objects.filter(application=application).update(
        state=Interview.State.SHARED_WITH_CBP, shared_at=timezone.now(), cbsa_centre=airport
    )
    force_login_verified(client, cbp_officer)
    user = application.applicant.user
    response = client.get(
        reverse("interviews:find"),
        {"last_name": user.last_name.upper(), "date_of_birth": "1985-06-15"},
    )
    assert application.number in response.content.decode()


def test_the_find_form_asks_for_enough_to_search(client, cbp_officer):
    force_login_verified(client, cbp_officer)
    response = client.get(reverse("interviews:find"), {"last_name": "Tremblay"})
    assert "or a last name and date of birth" in response.content.decode()


def test_an_officer_of_another_centre_gets_404_on_the_enrolment(client, airport):
    enrolment = Interview.objects.get(application=_book_soon(airport, minutes=600).application)
    stranger = StaffProfileFactory(centres=[CentreFactory()]).user
    force_login_verified(client, stranger)
    for name in ("enrolment", "timeline"):
        assert client.get(reverse(f"interviews:{name}", args=[enrolment.pk])).status_code == 404
    assert client.post(reverse("interviews:share", args=[enrolment.pk])).status_code == 404


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_console_pages_are_translated(client, airport, cbsa_officer, language):
    force_login_verified(client, cbsa_officer)
    response = client.get(f"/{language}/officer/")
    assert response.status_code == 200
    expected = {"en": "Appointments by day", "fr": "Rendez-vous par jour"}[language]
    assert expected in response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "²"])
def test_a_day_past_the_calendar_is_a_form_error_on_the_day_list(client, cbsa_officer, day):
    force_login_verified(client, cbsa_officer)

    response = client.get(reverse("interviews:day_list"), {"day": day})

    assert response.status_code == 200
    assert response.context["form"].errors["day"]
