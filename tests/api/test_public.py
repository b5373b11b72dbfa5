"""Public API: centres (filtered) and their open times, local with the UTC offset."""

import datetime

import pytest

from centres.models import Centre
from centres.tests.factories import CentreFactory, SlotFactory
from tests.api.conftest import assert_error, at

pytestmark = pytest.mark.django_db


def test_it_lists_active_centres_with_their_soonest_open_time_to_anyone(api, yvr, slot):
    CentreFactory(name="Closed down", is_active=False)
    response = api.get("/api/v1/centres/")
    assert response.status_code == 200
    (centre,) = response.json()
    assert centre["id"] == yvr.pk
    assert centre["name"] == "Vancouver International Airport"
    assert centre["time_zone"] == "America/Vancouver"
    assert centre["soonest_open_at"] == "2027-03-03T09:00:00-08:00"


def test_it_filters_centres_by_kind_country_and_region(api, yvr):
    blaine = CentreFactory(land_border=True, name="Blaine")
    toronto = CentreFactory(name="Toronto Pearson")

    def names(**query):
        return [c["name"] for c in api.get("/api/v1/centres/", query).json()]

    assert names(kind="land_border") == ["Blaine"]
    assert names(country="CA") == [yvr.name, toronto.name]  # BC before ON
    assert names(region="bc") == [yvr.name]
    assert names(country="US", kind="airport_enrolment") == []
    assert blaine.kind == Centre.Kind.LAND_BORDER


def test_a_bad_filter_is_a_400_naming_the_field(api, yvr):
    body = assert_error(api.get("/api/v1/centres/", {"kind": "castle"}), 400, "invalid")
    assert list(body["fields"]) == ["kind"]


def test_it_shows_one_centre_and_hides_an_inactive_or_unknown_one(api, yvr):
    assert api.get(f"/api/v1/centres/{yvr.pk}/").json()["name"] == yvr.name
    gone = CentreFactory(is_active=False)
    assert_error(api.get(f"/api/v1/centres/{gone.pk}/"), 404, "not_found")
    assert_error(api.get("/api/v1/centres/999999/"), 404, "not_found")


def test_open_times_are_local_with_their_offset_soonest_first_and_never_past_or_full(
    api, yvr, slot, full_slot, later_slot
):
    SlotFactory(centre=yvr, starts_at=at(0, 8), capacity=1)  # started an hour ago
    response = api.get(f"/api/v1/centres/{yvr.pk}/slots/")
    assert response.status_code == 200
    body = response.json()
    assert (body["centre"], body["time_zone"]) == (yvr.pk, "America/Vancouver")
    assert (body["from_date"], body["to_date"]) == ("2027-03-01", "2027-03-14")
    assert body["slots"] == [
        {
            "id": slot.pk,
            "starts_at": "2027-03-03T09:00:00-08:00",
            "ends_at": "2027-03-03T09:20:00-08:00",
            "free": 2,
        },
        {
            "id": later_slot.pk,
            "starts_at": "2027-03-04T10:00:00-08:00",
            "ends_at": "2027-03-04T10:20:00-08:00",
            "free": 1,
        },
    ]


def test_the_offset_follows_daylight_saving_across_the_range(api, yvr):
    # 14 March 2027: Vancouver moves from PST (-08:00) to PDT (-07:00).
    before = SlotFactory(centre=yvr, starts_at=at(12, 9))
    after = SlotFactory(centre=yvr, starts_at=at(14, 9))
    response = api.get(
        f"/api/v1/centres/{yvr.pk}/slots/", {"from_date": "2027-03-13", "to_date": "2027-03-15"}
    )
    slots = {s["id"]: s["starts_at"] for s in response.json()["slots"]}
    assert slots == {
        before.pk: "2027-03-13T09:00:00-08:00",
        after.pk: "2027-03-15T09:00:00-07:00",
    }
    parsed = datetime.datetime.fromisoformat(slots[after.pk])
    assert parsed == after.starts_at


def test_the_range_is_local_days_inclusive_and_cut_to_31_days(api, yvr, slot, later_slot):
    one_day = api.get(
        f"/api/v1/centres/{yvr.pk}/slots/", {"from_date": "2027-03-04", "to_date": "2027-03-04"}
    ).json()
    assert [s["id"] for s in one_day["slots"]] == [later_slot.pk]
    long = api.get(
        f"/api/v1/centres/{yvr.pk}/slots/", {"from_date": "2027-03-01", "to_date": "2027-12-31"}
    ).json()
    assert long["to_date"] == "2027-03-31"


def test_a_range_backwards_or_not_a_date_is_a_400(api, yvr):
    url = f"/api/v1/centres/{yvr.pk}/slots/"
    body = assert_error(api.get(url, {"from_date": "2027-03-05", "to_date": "2027-03-04"}), 400)
    assert list(body["fields"]) == ["to_date"]
    body = assert_error(api.get(url, {"from_date": "soon"}), 400, "invalid")
    assert list(body["fields"]) == ["from_date"]


def test_open_times_of_an_unknown_centre_are_a_404(api):
    assert_error(api.get("/api/v1/centres/424242/slots/"), 404, "not_found")


def test_an_unknown_api_path_with_an_encoded_newline_is_a_json_404(client):
    for url in ("/api/v1/nothing%0Ahere/", "/api/v1/officer/enrolments/1%0A/share/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json()["code"] == "not_found"
