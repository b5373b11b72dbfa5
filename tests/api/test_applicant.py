"""Applicant API: my applications and appointments; book, move and cancel through the
booking services; earlier-time requests. Another person's objects are 404."""

import pytest

from bookings.models import Appointment, WaitlistRequest
from bookings.services import appointment_book
from centres.models import Slot
from enrolment.tests.factories import ApplicationFactory
from tests.api.conftest import TODAY, assert_error

pytestmark = pytest.mark.django_db

BOOK = "/api/v1/appointments/book/"


def _book(client, application, slot):
    return client.post(BOOK, {"application": application.number, "slot": slot.pk}, format="json")


def _booked(application, slot) -> Appointment:
    return appointment_book(application=application, slot=slot, actor=application.applicant.user)


# --- Applications ----------------------------------------------------------------------


def test_it_lists_my_applications_with_where_each_stands(api_in, application, slot):
    ApplicationFactory(pending=True)  # someone else's
    appointment = _booked(application, slot)
    response = api_in.get("/api/v1/applications/")
    assert response.status_code == 200
    (mine,) = response.json()
    assert mine["number"] == application.number
    assert mine["status"] == "conditionally_approved"
    assert mine["path"] == "airport"
    standing = mine["standing"]
    assert standing["appointment"] == appointment.pk
    assert "Vancouver International Airport" in standing["sentence"]
    assert standing["next_action"] == ""


def test_an_application_not_yet_booked_says_book(api_in, application):
    response = api_in.get(f"/api/v1/applications/{application.number}/")
    assert response.status_code == 200
    assert response.json()["standing"]["next_action"] == "book"


def test_another_persons_application_is_not_found(api_in, other_application):
    assert_error(api_in.get(f"/api/v1/applications/{other_application.number}/"), 404, "not_found")
    assert api_in.get("/api/v1/applications/").json() == []


# --- Appointments ----------------------------------------------------------------------


def test_it_books_an_open_time_directly(api_in, application, slot):
    response = _book(api_in, application, slot)
    assert response.status_code == 201
    body = response.json()
    appointment = Appointment.objects.get()
    assert body["id"] == appointment.pk
    assert (body["application"], body["slot"], body["status"]) == (
        application.number,
        slot.pk,
        "booked",
    )
    assert body["starts_at"] == "2027-03-03T09:00:00-08:00"
    assert body["centre"]["time_zone"] == "America/Vancouver"
    slot.refresh_from_db()
    assert slot.booked == 1


def test_it_lists_only_my_appointments(api_in, application, other_application, slot):
    mine = _booked(application, slot)
    _booked(other_application, slot)
    response = api_in.get("/api/v1/appointments/")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [mine.pk]


def test_a_full_slot_is_a_409_slot_full_and_books_nothing(api_in, application, full_slot):
    body = assert_error(_book(api_in, application, full_slot), 409, "slot_full")
    assert body["fields"] == {}
    assert not Appointment.objects.exists()


def test_booking_twice_is_a_409(api_in, application, slot, later_slot):
    _booked(application, slot)
    assert_error(_book(api_in, application, later_slot), 409, "already_booked")


def test_booking_for_another_persons_application_is_not_found(api_in, other_application, slot):
    assert_error(_book(api_in, other_application, slot), 404, "not_found")
    assert not Appointment.objects.exists()


def test_booking_an_unknown_slot_or_without_input_is_a_400_naming_the_fields(api_in, application):
    body = assert_error(_book(api_in, application, Slot(pk=987654)), 400, "invalid")
    assert list(body["fields"]) == ["slot"]
    body = assert_error(api_in.post(BOOK, {}, format="json"), 400, "invalid")
    assert set(body["fields"]) == {"application", "slot"}


def test_unparseable_json_is_a_400_parse_error(api_in):
    response = api_in.post(BOOK, "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_the_wrong_method_is_a_405(api_in):
    assert_error(api_in.get(BOOK), 405, "method_not_allowed")
    assert_error(api_in.delete("/api/v1/appointments/"), 405, "method_not_allowed")


def test_it_moves_my_appointment_to_another_time(api_in, application, slot, later_slot):
    old = _booked(application, slot)
    response = api_in.post(
        f"/api/v1/appointments/{old.pk}/reschedule/", {"slot": later_slot.pk}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["slot"], body["rescheduled_from"], body["status"]) == (
        later_slot.pk,
        old.pk,
        "booked",
    )
    old.refresh_from_db()
    assert old.status == Appointment.Status.RESCHEDULED


def test_moving_to_a_full_time_is_a_409_and_keeps_the_appointment(
    api_in, application, slot, full_slot
):
    old = _booked(application, slot)
    response = api_in.post(
        f"/api/v1/appointments/{old.pk}/reschedule/", {"slot": full_slot.pk}, format="json"
    )
    assert_error(response, 409, "slot_full")
    old.refresh_from_db()
    assert old.status == Appointment.Status.BOOKED


def test_another_persons_appointment_cannot_be_moved_or_cancelled(
    api_in, other_application, slot, later_slot
):
    theirs = _booked(other_application, slot)
    move = api_in.post(
        f"/api/v1/appointments/{theirs.pk}/reschedule/", {"slot": later_slot.pk}, format="json"
    )
    assert_error(move, 404, "not_found")
    assert_error(api_in.post(f"/api/v1/appointments/{theirs.pk}/cancel/"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.BOOKED


def test_it_cancels_my_appointment_once(api_in, application, slot):
    appointment = _booked(application, slot)
    response = api_in.post(f"/api/v1/appointments/{appointment.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    slot.refresh_from_db()
    assert slot.booked == 0
    again = api_in.post(f"/api/v1/appointments/{appointment.pk}/cancel/")
    assert_error(again, 409, "appointment_not_active")


# --- Earlier-time requests -------------------------------------------------------------


def _wish(application, centre, **changes):
    return {
        "application": application.number,
        "centres": [centre.pk],
        "earliest": str(TODAY),
        "latest": str(TODAY.replace(day=2)),
        "mornings": True,
        "afternoons": True,
        "evenings": False,
        **changes,
    }


def test_it_asks_lists_and_stops_an_earlier_time_request(api_in, application, yvr, later_slot):
    _booked(application, later_slot)
    response = api_in.post("/api/v1/waitlist-requests/", _wish(application, yvr), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["centres"], created["evenings"]) == (
        "active",
        [yvr.pk],
        False,
    )
    assert created["auto_rebook"] is False

    listed = api_in.get("/api/v1/waitlist-requests/").json()
    assert [r["id"] for r in listed] == [created["id"]]

    stopped = api_in.post(f"/api/v1/waitlist-requests/{created['id']}/cancel/")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "cancelled"
    assert WaitlistRequest.objects.get().status == WaitlistRequest.Status.CANCELLED


def test_asking_twice_is_a_409(api_in, application, yvr):
    api_in.post("/api/v1/waitlist-requests/", _wish(application, yvr), format="json")
    again = api_in.post("/api/v1/waitlist-requests/", _wish(application, yvr), format="json")
    assert_error(again, 409, "waitlist_exists")


def test_a_wish_the_service_refuses_is_a_400_with_its_code(api_in, application, yvr):
    wish = _wish(application, yvr, mornings=False, afternoons=False)
    assert_error(
        api_in.post("/api/v1/waitlist-requests/", wish, format="json"), 400, "no_time_of_day"
    )
    body = assert_error(
        api_in.post(
            "/api/v1/waitlist-requests/", _wish(application, yvr, centres=[]), format="json"
        ),
        400,
        "invalid",
    )
    assert list(body["fields"]) == ["centres"]


def test_another_persons_application_or_request_is_not_found(
    api_in, application, other_application, yvr
):
    response = api_in.post(
        "/api/v1/waitlist-requests/", _wish(other_application, yvr), format="json"
    )
    assert_error(response, 404, "not_found")
    other = api_in.__class__()
    other.force_login(other_application.applicant.user)
    theirs = other.post("/api/v1/waitlist-requests/", _wish(other_application, yvr), format="json")
    assert theirs.status_code == 201
    stop = api_in.post(f"/api/v1/waitlist-requests/{theirs.json()['id']}/cancel/")
    assert_error(stop, 404, "not_found")
    assert api_in.get("/api/v1/waitlist-requests/").json() == []
    assert WaitlistRequest.objects.get().status == WaitlistRequest.Status.ACTIVE


def test_listing_applications_costs_the_same_queries_for_one_or_many(
    api_in, applicant, application, slot, later_slot
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _booked(application, slot)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_in.get("/api/v1/applications/").status_code == 200
        return len(captured)

    one = queries()
    for target in (slot, later_slot):
        _booked(ApplicationFactory(applicant=applicant), target)
    ApplicationFactory(applicant=applicant, renewal=True)
    assert len(api_in.get("/api/v1/applications/").json()) == 4
    assert queries() == one
