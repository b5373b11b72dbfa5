"""The TTP-compatible public scheduler API (``/schedulerapi/``): shapes field by field,
local wall-clock timestamps across DST, filters, errors, caching, no authentication."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from bookings.models import SlotHold
from centres.models import Centre
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")

LOCATION_KEYS = {
    "id": int,
    "name": str,
    "shortName": str,
    "locationType": str,
    "locationCode": str,
    "address": str,
    "addressAdditional": str,
    "city": str,
    "state": str,
    "postalCode": str,
    "countryCode": str,
    "tzData": str,
    "phoneNumber": str,
    "phoneAreaCode": str,
    "phoneCountryCode": str,
    "phoneExtension": str,
    "temporary": bool,
    "inviteOnly": bool,
    "operational": bool,
    "directions": str,
    "notes": str,
    "services": list,
}
SLOT_KEYS = {
    "locationId": int,
    "startTimestamp": str,
    "endTimestamp": str,
    "active": bool,
    "duration": int,
    "remoteInd": bool,
}
COUNTER_KEYS = {
    "active": int,
    "total": int,
    "pending": int,
    "conflicts": int,
    "duration": int,
    "timestamp": str,
    "remote": bool,
}
ERROR_KEYS = {"code", "message", "fields"}


def assert_shape(item: dict, keys: dict) -> None:
    assert set(item) == set(keys)
    for name, kind in keys.items():
        assert type(item[name]) is kind, (name, item[name])


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def yvr():
    return CentreFactory(
        name="Vancouver International Airport enrolment centre",
        short_name="Vancouver (YVR)",
        city="Richmond",
        region="BC",
        address="3211 Grant McConachie Way",
        address_additional="Main terminal, level 3",
        postal_code="V7B 0A4",
        phone="+1 604-666-4598 ext. 12",
        time_zone="America/Vancouver",
        ttp_location_id=5026,
        ttp_location_code="YVR",
    )


@pytest.fixture
def blaine():
    return CentreFactory(
        land_border=True,
        name="Blaine NEXUS and FAST enrolment centre",
        phone="+1 360-366-4342",
        ttp_location_id=5020,
    )


@pytest.fixture
def preclearance(yvr):
    return CentreFactory(
        preclearance=True,
        name="Vancouver preclearance",
        time_zone="America/Vancouver",
        airport=yvr,
        ttp_location_id=9001,
    )


def at(centre: Centre, local: str, *, capacity: int = 2, booked: int = 0, minutes: int = 20):
    """A slot at a local wall-clock time of the centre (``"2026-03-05 10:20"``)."""
    starts = datetime.fromisoformat(local).replace(tzinfo=centre.tz)
    return SlotFactory(
        centre=centre,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        capacity=capacity,
        booked=booked,
    )


# --- /locations/ -------------------------------------------------------------------------


def test_locations_lists_published_centres_field_by_field(client, yvr, blaine, preclearance):
    CentreFactory(name="No TTP id")
    CentreFactory(name="Closed", ttp_location_id=7000, is_active=False)

    response = client.get("/schedulerapi/locations/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert sorted(item["id"] for item in body) == [5020, 5026, 9001]
    for item in body:
        assert_shape(item, LOCATION_KEYS)
        assert item["services"] == [{"id": 2, "name": "NEXUS"}]
    vancouver = next(item for item in body if item["id"] == 5026)
    assert vancouver == {
        "id": 5026,
        "name": "Vancouver International Airport enrolment centre",
        "shortName": "Vancouver (YVR)",
        "locationType": "AIR",
        "locationCode": "YVR",
        "address": "3211 Grant McConachie Way",
        "addressAdditional": "Main terminal, level 3",
        "city": "Richmond",
        "state": "BC",
        "postalCode": "V7B 0A4",
        "countryCode": "CA",
        "tzData": "America/Vancouver",
        "phoneNumber": "6664598",
        "phoneAreaCode": "604",
        "phoneCountryCode": "1",
        "phoneExtension": "12",
        "temporary": False,
        "inviteOnly": False,
        "operational": True,
        "directions": "",
        "notes": "",
        "services": [{"id": 2, "name": "NEXUS"}],
    }
    land = next(item for item in body if item["id"] == 5020)
    assert (land["locationType"], land["countryCode"], land["tzData"]) == (
        "LND",
        "US",
        "America/Los_Angeles",
    )
    assert (land["phoneAreaCode"], land["phoneNumber"], land["phoneExtension"]) == (
        "360",
        "3664342",
        "",
    )
    walk_in = next(item for item in body if item["id"] == 9001)
    assert walk_in["locationType"] == "PRE"
    assert walk_in["directions"] == "In Vancouver International Airport enrolment centre."
    assert walk_in["notes"]


def test_locations_without_trailing_slash_and_with_ttp_query(client, yvr):
    query = "?temporary=false&inviteOnly=false&operational=true&serviceName=NEXUS"
    assert [item["id"] for item in client.get("/schedulerapi/locations" + query).json()] == [5026]
    assert [item["id"] for item in client.get("/schedulerapi/locations/" + query).json()] == [5026]


def test_an_unknown_service_is_an_empty_list_not_an_error(client, yvr):
    response = client.get("/schedulerapi/locations/?serviceName=Global%20Entry")

    assert response.status_code == 200
    assert response.json() == []
    assert len(client.get("/schedulerapi/locations/?serviceName=nexus").json()) == 1


@pytest.mark.parametrize(
    "query", ["temporary=true", "inviteOnly=true", "operational=false"], ids=str
)
def test_there_are_no_temporary_invite_only_or_closed_locations(client, yvr, query):
    assert client.get(f"/schedulerapi/locations/?{query}").json() == []


# --- /slots --------------------------------------------------------------------------------


def test_slots_are_local_wall_clock_times_across_both_dst_changes(client, yvr):
    # Vancouver: PST (UTC-8) until 8 March 2026, PDT (UTC-7) until 1 November 2026.
    before_spring = at(yvr, "2026-03-05 10:20")
    after_spring = at(yvr, "2026-03-10 10:20")
    before_fall = at(yvr, "2026-10-30 10:20")
    after_fall = at(yvr, "2026-11-03 10:20")
    utc_hours = [
        slot.starts_at.astimezone(UTC).hour
        for slot in (before_spring, after_spring, before_fall, after_fall)
    ]
    assert utc_hours == [18, 17, 17, 18]  # the same local time is a different UTC hour

    body = client.get("/schedulerapi/slots?orderBy=soonest&limit=10&locationId=5026").json()

    assert [slot["startTimestamp"] for slot in body] == [
        "2026-03-05T10:20",
        "2026-03-10T10:20",
        "2026-10-30T10:20",
        "2026-11-03T10:20",
    ]
    assert [slot["endTimestamp"] for slot in body] == [
        "2026-03-05T10:40",
        "2026-03-10T10:40",
        "2026-10-30T10:40",
        "2026-11-03T10:40",
    ]
    for slot in body:
        assert_shape(slot, SLOT_KEYS)
        assert MINUTE.match(slot["startTimestamp"]) and MINUTE.match(slot["endTimestamp"])
        assert (slot["locationId"], slot["active"], slot["duration"], slot["remoteInd"]) == (
            5026,
            True,
            20,
            False,
        )


def test_slots_soonest_first_limited_skipping_full_and_past_times(client, yvr):
    at(yvr, "2026-02-28 10:00")  # past
    at(yvr, "2026-03-02 09:00", booked=2)  # full
    at(yvr, "2026-03-02 10:00", capacity=0)  # closed
    late = at(yvr, "2026-03-04 09:00")
    soon = at(yvr, "2026-03-03 09:00")

    body = client.get("/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5026").json()
    assert [slot["startTimestamp"] for slot in body] == ["2026-03-03T09:00"]

    body = client.get("/schedulerapi/slots?orderBy=soonest&limit=5&locationId=5026").json()
    assert [slot["startTimestamp"] for slot in body] == ["2026-03-03T09:00", "2026-03-04T09:00"]
    assert soon.pk and late.pk


def test_minimum_asks_for_that_many_free_booths(client, yvr):
    at(yvr, "2026-03-03 09:00", capacity=3, booked=2)  # one free
    at(yvr, "2026-03-03 09:20", capacity=3, booked=1)  # two free

    one = client.get("/schedulerapi/slots?orderBy=soonest&limit=5&locationId=5026&minimum=1")
    two = client.get("/schedulerapi/slots?orderBy=soonest&limit=5&locationId=5026&minimum=2")
    three = client.get("/schedulerapi/slots?orderBy=soonest&limit=5&locationId=5026&minimum=3")

    assert [s["startTimestamp"] for s in one.json()] == ["2026-03-03T09:00", "2026-03-03T09:20"]
    assert [s["startTimestamp"] for s in two.json()] == ["2026-03-03T09:20"]
    assert three.json() == []


def test_slots_of_several_locations_and_with_a_trailing_slash(client, yvr, blaine):
    at(yvr, "2026-03-03 09:00")
    at(blaine, "2026-03-03 07:00")  # 15:00 UTC: before Vancouver's 17:00 UTC

    body = client.get("/schedulerapi/slots/?orderBy=soonest&limit=5&locationId=5026,5020").json()

    assert [(s["locationId"], s["startTimestamp"]) for s in body] == [
        (5020, "2026-03-03T07:00"),
        (5026, "2026-03-03T09:00"),
    ]


@pytest.mark.parametrize("location_id", ["12345", "9001", "7000"], ids=str)
def test_unknown_walk_in_or_closed_locations_have_no_slots(client, yvr, preclearance, location_id):
    closed = CentreFactory(ttp_location_id=7000, is_active=False)
    at(closed, "2026-03-03 09:00")

    response = client.get(f"/schedulerapi/slots?orderBy=soonest&limit=1&locationId={location_id}")

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("locationId=abc", "locationId"),
        ("locationId=5026&limit=many", "limit"),
        ("locationId=5026&minimum=x", "minimum"),
        ("locationId=5026&orderBy=latest", "orderBy"),
    ],
    ids=str,
)
def test_bad_slot_parameters_are_a_400_in_the_project_error_shape(client, yvr, query, field):
    response = client.get(f"/schedulerapi/slots?{query}")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_out_of_range_numbers_are_clamped_not_refused(client, yvr):
    at(yvr, "2026-03-03 09:00")
    at(yvr, "2026-03-03 09:20")

    body = client.get("/schedulerapi/slots?orderBy=soonest&limit=0&locationId=5026&minimum=0")

    assert body.status_code == 200
    assert [s["startTimestamp"] for s in body.json()] == ["2026-03-03T09:00"]


# --- /slot-availability --------------------------------------------------------------------


def test_slot_availability_shape_and_last_published_date(client, yvr):
    at(yvr, "2026-03-03 09:00")
    at(yvr, "2026-03-03 09:20", booked=2)

    body = client.get("/schedulerapi/slot-availability?locationId=5026").json()

    assert set(body) == {"availableSlots", "lastPublishedDate"}
    assert [s["startTimestamp"] for s in body["availableSlots"]] == ["2026-03-03T09:00"]
    for slot in body["availableSlots"]:
        assert_shape(slot, SLOT_KEYS)
    # Now (12:00 UTC) in Vancouver, seconds included.
    assert SECOND.match(body["lastPublishedDate"])
    assert body["lastPublishedDate"] == "2026-03-01T04:00:00"


def test_slot_availability_of_an_unknown_location_is_empty(client, yvr):
    body = client.get("/schedulerapi/slot-availability?locationId=4242").json()

    assert body["availableSlots"] == []
    assert SECOND.match(body["lastPublishedDate"])
    assert client.get("/schedulerapi/slot-availability?locationId=x").status_code == 400


# --- /locations/{id}/slots -----------------------------------------------------------------


def test_location_slots_counts_each_time_in_the_local_window(client, yvr):
    held = at(yvr, "2026-03-10 10:20", capacity=3, booked=2)
    at(yvr, "2026-03-10 10:40", capacity=2, booked=2)
    at(yvr, "2026-03-10 11:00", capacity=0)  # closed: not published
    at(yvr, "2026-03-11 10:20")  # outside the window
    SlotHold.objects.create(
        application=ApplicationFactory(), slot=held, expires_at=NOW + timedelta(minutes=10)
    )
    SlotHold.objects.create(
        application=ApplicationFactory(), slot=held, expires_at=NOW - timedelta(minutes=1)
    )

    response = client.get(
        "/schedulerapi/locations/5026/slots"
        "?startTimestamp=2026-03-10T00:00:00&endTimestamp=2026-03-10T23:59:59"
    )

    assert response.status_code == 200
    body = response.json()
    for item in body:
        assert_shape(item, COUNTER_KEYS)
        assert MINUTE.match(item["timestamp"])
    assert body == [
        {
            "active": 1,
            "total": 3,
            "pending": 1,
            "conflicts": 0,
            "duration": 20,
            "timestamp": "2026-03-10T10:20",
            "remote": False,
        },
        {
            "active": 0,
            "total": 2,
            "pending": 0,
            "conflicts": 0,
            "duration": 20,
            "timestamp": "2026-03-10T10:40",
            "remote": False,
        },
    ]


def test_location_slots_takes_minutes_and_dates_too(client, yvr):
    at(yvr, "2026-03-10 10:20")

    minutes = client.get(
        "/schedulerapi/locations/5026/slots?startTimestamp=2026-03-10T10:00"
        "&endTimestamp=2026-03-10T11:00"
    )
    dates = client.get(
        "/schedulerapi/locations/5026/slots?startTimestamp=2026-03-10&endTimestamp=2026-03-11"
    )

    assert [item["timestamp"] for item in minutes.json()] == ["2026-03-10T10:20"]
    assert [item["timestamp"] for item in dates.json()] == ["2026-03-10T10:20"]


@pytest.mark.parametrize(
    "query",
    [
        "startTimestamp=tomorrow",
        "startTimestamp=2026-13-01T00:00",
        "endTimestamp=2026-03-10T25:00",
        "startTimestamp=2026-03-01&endTimestamp=2027-06-01",
    ],
    ids=str,
)
def test_location_slots_bad_timestamps_are_a_400(client, yvr, query):
    response = client.get(f"/schedulerapi/locations/5026/slots?{query}")

    assert response.status_code == 400
    assert set(response.json()) == ERROR_KEYS


def test_location_slots_of_unknown_or_walk_in_locations_are_empty(client, preclearance):
    assert client.get("/schedulerapi/locations/9001/slots").json() == []
    assert client.get("/schedulerapi/locations/4242/slots").json() == []


# --- /slots/asLocations --------------------------------------------------------------------


def test_as_locations_lists_the_locations_with_matching_slots(client, yvr, blaine, preclearance):
    at(yvr, "2026-03-10 10:20", capacity=3, booked=1)
    at(blaine, "2026-03-05 09:00", capacity=1)

    every = client.get("/schedulerapi/slots/asLocations?minimum=1&limit=5").json()
    two_free = client.get("/schedulerapi/slots/asLocations?minimum=2&limit=5").json()
    first = client.get("/schedulerapi/slots/asLocations?minimum=1&limit=1").json()

    for item in every:
        assert_shape(item, LOCATION_KEYS)
    assert [item["id"] for item in every] == [5020, 5026]  # soonest matching slot first
    assert [item["id"] for item in two_free] == [5026]
    assert [item["id"] for item in first] == [5020]


def test_as_locations_filters_by_local_day(client, yvr, blaine):
    at(yvr, "2026-03-10 10:20")
    at(blaine, "2026-03-05 09:00")
    base = "/schedulerapi/slots/asLocations?minimum=1&limit=5"

    def ids(query: str) -> list[int]:
        return [item["id"] for item in client.get(base + query).json()]

    assert ids("&filterTimestampBy=before&timestamp=2026-03-06") == [5020]
    assert ids("&filterTimestampBy=before&timestamp=2026-03-05") == []
    assert ids("&filterTimestampBy=on&timestamp=2026-03-10") == [5026]
    assert ids("&filterTimestampBy=on&timestamp=2026-03-11") == []
    assert ids("&filterTimestampBy=before&timestamp=2026-12-31") == [5020, 5026]
    assert ids("&serviceName=Global%20Entry") == []


@pytest.mark.parametrize(
    "query",
    ["filterTimestampBy=after&timestamp=2026-03-06", "filterTimestampBy=on", "timestamp=x"],
    ids=str,
)
def test_as_locations_bad_parameters_are_a_400(client, yvr, query):
    response = client.get(f"/schedulerapi/slots/asLocations?{query}")

    assert response.status_code == 400
    assert set(response.json()) == ERROR_KEYS


# --- Caching, access -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/schedulerapi/locations/",
        "/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5026&minimum=1",
        "/schedulerapi/slot-availability?locationId=5026",
        "/schedulerapi/locations/5026/slots?startTimestamp=2026-03-01&endTimestamp=2026-03-31",
        "/schedulerapi/slots/asLocations?minimum=1&limit=5",
    ],
    ids=str,
)
def test_a_second_identical_request_is_answered_from_the_cache(
    client, yvr, django_assert_num_queries, url
):
    at(yvr, "2026-03-03 09:00")
    first = client.get(url)
    assert first.status_code == 200
    assert "max-age=30" in first["Cache-Control"] and "public" in first["Cache-Control"]

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.status_code == 200
    assert second.json() == first.json()


def test_the_cache_is_per_query_string(client, yvr):
    at(yvr, "2026-03-03 09:00", capacity=3, booked=2)

    one = client.get("/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5026&minimum=1")
    two = client.get("/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5026&minimum=2")

    assert len(one.json()) == 1
    assert two.json() == []


def test_no_authentication_is_needed_or_used(client, yvr):
    at(yvr, "2026-03-03 09:00")

    response = client.get("/schedulerapi/slots?orderBy=soonest&limit=1&locationId=5026")

    assert response.status_code == 200
    assert len(response.json()) == 1
    assert "sessionid" not in response.cookies


@pytest.mark.parametrize(
    "url",
    [
        "/schedulerapi/locations/",
        "/schedulerapi/slots",
        "/schedulerapi/slot-availability",
        "/schedulerapi/locations/5026/slots",
        "/schedulerapi/slots/asLocations",
    ],
    ids=str,
)
def test_only_get_is_allowed(client, yvr, url):
    for method in (client.post, client.put, client.delete):
        response = method(url)
        assert response.status_code == 405
        assert set(response.json()) == ERROR_KEYS
    assert client.get(url).status_code == 200


# --- Hostile values (issue 10) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/schedulerapi/locations/5026/slots?startTimestamp=9999-12-31T00:00", "startTimestamp"),
        ("/schedulerapi/locations/5026/slots?endTimestamp=9999-12-31", "endTimestamp"),
        ("/schedulerapi/locations/5026/slots?startTimestamp=0001-01-01", "startTimestamp"),
        ("/schedulerapi/slots/asLocations?filterTimestampBy=on&timestamp=9999-12-31", "timestamp"),
        ("/schedulerapi/slots/asLocations?filterTimestampBy=before&timestamp=9999-12-31T23:59",
         "timestamp"),
        ("/schedulerapi/slots?locationId=²", "locationId"),
        ("/schedulerapi/slots?locationId=5026&minimum=²", "minimum"),
        ("/schedulerapi/slots?locationId=5026&limit=١٢", "limit"),
        ("/schedulerapi/slot-availability?locationId=5026.0", "locationId"),
        ("/schedulerapi/slots?locationId=" + ",".join(["5026"] * 51), "locationId"),
    ],
    ids=str,
)  # fmt: skip
def test_dates_past_the_calendar_and_odd_digits_are_a_400(client, yvr, path, field):
    response = client.get(path)

    assert response.status_code == 400
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert list(body["fields"]) == [field]


def test_a_minimum_past_the_column_range_is_clamped_and_finds_nothing(client, yvr):
    at(yvr, "2026-03-03 09:00", capacity=3)

    for minimum in ("2147483647", "9223372036854775808", "1" + "0" * 30):
        response = client.get(f"/schedulerapi/slots?locationId=5026&minimum={minimum}")
        assert response.status_code == 200
        assert response.json() == []
    both = client.get("/schedulerapi/slots?minimum=2147483647")
    assert both.status_code == 200
    assert both.json() == []


@pytest.mark.parametrize("location_id", ["2147483648", "999999999999999999", "0"])
def test_a_location_id_no_column_can_hold_is_an_unknown_location(client, yvr, location_id):
    at(yvr, "2026-03-03 09:00")

    assert client.get(f"/schedulerapi/slots?locationId={location_id}").json() == []
    assert client.get(f"/schedulerapi/slots?locationId=5026,{location_id}").status_code == 200
    assert client.get(f"/schedulerapi/locations/{location_id}/slots").json() == []
    availability = client.get(f"/schedulerapi/slot-availability?locationId={location_id}")
    assert availability.json()["availableSlots"] == []


def test_reads_come_from_the_database_while_the_cache_is_down(client, yvr, cache_down, caplog):
    at(yvr, "2026-03-03 09:00")

    for path in (
        "/schedulerapi/locations",
        "/schedulerapi/slots?locationId=5026",
        "/schedulerapi/slot-availability?locationId=5026",
        "/schedulerapi/locations/5026/slots?startTimestamp=2026-03-03",
        "/schedulerapi/slots/asLocations",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json(), path
    assert "scheduler API cache unavailable" in caplog.text
