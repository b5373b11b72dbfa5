"""Values no column or date can hold, and limits a client cannot exceed (issue 10): each is
a precise 400 (413 for a body too large) in the one error shape, and nothing is stored."""

import time

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from bookings.models import Appointment, WaitlistRequest
from common.tests.helpers import force_login_verified
from interviews.tests.factories import officer
from tests.api.conftest import TODAY, assert_error

BOOK = "/api/v1/appointments/book/"
WAITLIST = "/api/v1/waitlist-requests/"

pytestmark = pytest.mark.django_db


def _wish(application, *centres, **changes) -> dict:
    return {
        "application": application.number,
        "centres": [centre.pk for centre in centres],
        "earliest": str(TODAY),
        "latest": str(TODAY.replace(day=5)),
        **changes,
    }


# --- Dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2200-01-01", "2027-02-30", "²"])
def test_a_date_past_the_calendar_bounds_is_a_400_on_the_public_slots(api, yvr, day):
    for name in ("from_date", "to_date"):
        body = assert_error(api.get(f"/api/v1/centres/{yvr.pk}/slots/?{name}={day}"), 400)
        assert list(body["fields"]) == [name]


def test_the_last_day_within_the_bounds_still_answers(api, yvr):
    response = api.get(f"/api/v1/centres/{yvr.pk}/slots/?from_date=2199-12-31")

    assert response.status_code == 200
    assert response.json()["to_date"] == "2200-01-13"  # the 14 days asked of, no overflow


def test_the_officer_day_list_refuses_a_day_past_the_bounds(yvr):
    client = _verified(officer("cbsa", yvr))

    body = assert_error(
        client.get(f"/api/v1/officer/centres/{yvr.pk}/appointments/?day=9999-12-31"), 400
    )

    assert list(body["fields"]) == ["day"]


def _verified(user):
    client = APIClient()
    force_login_verified(client, user)
    return client


@pytest.mark.parametrize("latest", ["9999-12-31", "2200-01-01"])
def test_an_earlier_time_request_ending_past_the_calendar_bounds_is_refused(
    api_in, application, yvr, latest
):
    response = api_in.post(WAITLIST, _wish(application, yvr, latest=latest), format="json")

    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["latest"]
    assert not WaitlistRequest.objects.exists()


def test_an_earlier_time_request_past_the_slot_horizon_is_refused(
    api_in, application, yvr, settings
):
    latest = TODAY.replace(year=TODAY.year + 1)

    response = api_in.post(WAITLIST, _wish(application, yvr, latest=str(latest)), format="json")

    body = assert_error(response, 400, "window_too_long")
    assert str(settings.SLOT_HORIZON_DAYS) in body["message"]
    assert not WaitlistRequest.objects.exists()


# --- Identifiers and lists --------------------------------------------------------------


@pytest.mark.parametrize("value", [19621.9, True, False, "19621.9", "²", "1e3", 2**63, -1, None])
def test_a_slot_id_that_is_no_whole_number_in_range_is_refused_not_truncated(
    api_in, application, slot, value
):
    response = api_in.post(BOOK, {"application": application.number, "slot": value}, format="json")

    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["slot"]
    assert not Appointment.objects.exists()


def test_a_slot_id_as_a_string_of_digits_still_books(api_in, application, slot):
    response = api_in.post(
        BOOK, {"application": application.number, "slot": str(slot.pk)}, format="json"
    )

    assert response.status_code == 201


@override_settings(API_MAX_BODY_BYTES=1024 * 1024)  # the list bound, not the body's, refuses
def test_twenty_thousand_centres_are_refused_at_once(api_in, application, yvr):
    started = time.perf_counter()

    response = api_in.post(
        WAITLIST, _wish(application, yvr) | {"centres": [yvr.pk] * 20_000}, format="json"
    )

    assert time.perf_counter() - started < 2
    body = assert_error(response, 400, "invalid")
    assert body["fields"]["centres"] == ["Give at most 50 items."]
    assert not WaitlistRequest.objects.exists()


def test_a_centre_id_past_the_column_range_is_refused(api_in, application, yvr):
    wish = _wish(application, yvr) | {"centres": [yvr.pk, str(yvr.pk), 10**30]}

    body = assert_error(api_in.post(WAITLIST, wish, format="json"), 400, "invalid")

    assert list(body["fields"]) == ["centres"]
    assert not WaitlistRequest.objects.exists()


def test_a_centre_named_twice_counts_once(api_in, application, yvr, later_slot):
    wish = _wish(application, yvr) | {"centres": [yvr.pk, str(yvr.pk)]}

    response = api_in.post(WAITLIST, wish, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["centres"] == [yvr.pk]


# --- Bodies -----------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_recursion(api_in):
    response = api_in.post(BOOK, "[" * 5000, content_type="application/json")

    body = assert_error(response, 400, "parse_error")
    assert "16" in body["message"]


def test_nesting_inside_strings_does_not_count(api_in, application, slot):
    body = f'{{"application": "{application.number}", "slot": {slot.pk}, "x": "[[[[{{{{"}}'

    response = api_in.post(BOOK, body, content_type="application/json")

    assert response.status_code == 201


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_numbers_that_are_not_finite_are_a_400(api_in, application, number):
    response = api_in.post(
        BOOK,
        f'{{"application": "{application.number}", "slot": {number}}}',
        content_type="application/json",
    )

    assert_error(response, 400, "parse_error")
    assert not Appointment.objects.exists()


@override_settings(API_MAX_BODY_BYTES=1024)
def test_a_body_past_the_limit_is_a_413(api_in, application):
    wish = {"application": application.number, "slot": 1, "padding": "x" * 2000}

    assert_error(api_in.post(BOOK, wish, format="json"), 413, "too_large")


def test_a_nul_byte_in_a_path_parameter_is_a_404(api_in, application):
    assert_error(api_in.get("/api/v1/applications/NX%00/"), 404, "not_found")
    assert_error(api_in.get(f"/api/v1/applications/{application.number}%00/"), 404)
    assert_error(api_in.get("/api/v1/centres/99999999999999999999999/"), 404)


def test_a_blank_filter_is_refused_not_read_as_absent(api):
    body = assert_error(api.get("/api/v1/centres/?kind=&region="), 400, "invalid")

    assert sorted(body["fields"]) == ["kind", "region"]
