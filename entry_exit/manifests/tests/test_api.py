"""POST /api/carrier/entry-exit/manifests/: signed with the carrier's own secret, never
replayed; the interchange's report, and every refusal in the API's one error shape."""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from entry_exit.manifests.carriers import Carrier
from entry_exit.manifests.tests.messages import interchange, message, passenger
from entry_exit.models import CrossingRecord
from entry_exit.partners import Partner, signed_headers

SECRET = "test-only-carrier-secret-0123456789abcdef"
PARTNER_SECRET = "test-only-partner-secret-0123456789abcdef"
AC = Carrier(name="ac", airlines=frozenset({"AC"}), secret=SECRET)
URL = "/api/carrier/entry-exit/manifests/"
EDIFACT = "application/edifact"


@pytest.fixture(autouse=True)
def _carriers(settings, db):
    settings.ENTRY_EXIT_CARRIERS = {"ac": {"secret": SECRET, "airlines": ["AC"]}}
    settings.ENTRY_EXIT_PARTNERS = {"cbp": {"secret": PARTNER_SECRET}}
    cache.clear()


def post(body: bytes, *, name="ac", secret=SECRET, timestamp=None, **extra):
    signer = Partner(name=name, secret=secret)
    headers = signed_headers(
        partner=signer, body=body, timestamp=int(time.time()) if timestamp is None else timestamp
    )
    meta = {f"HTTP_{key.upper().replace('-', '_')}": value for key, value in headers.items()}
    return Client().post(URL, body, content_type=extra.pop("content_type", EDIFACT), **meta)


def past_flight() -> str:
    return message([passenger(), passenger("GAGNON")], departs="2601021340")


def test_the_url_is_outside_api_v1():
    assert reverse("carrier_api:entry_exit_manifests") == URL


def test_a_signed_interchange_is_imported_and_answered_with_its_report():
    body = interchange([past_flight()])

    response = post(body)

    assert response.status_code == 201
    report = response.json()
    assert report["carrier"] == "ac" and report["status"] == "imported"
    assert report["imported"] == 2 and report["errors"] == []
    assert CrossingRecord.objects.filter(event="air_exit").count() == 2
    again = post(body, timestamp=int(time.time()) + 1)
    assert again.status_code == 200 and again.json()["interchange"] == report["interchange"]


def test_a_replayed_request_is_refused():
    body = interchange([past_flight()])
    stamp = int(time.time())
    assert post(body, timestamp=stamp).status_code == 201
    replay = post(body, timestamp=stamp)
    assert replay.status_code == 401 and replay.json()["code"] == "replayed"


def test_a_partners_credentials_are_not_a_carriers():
    response = post(interchange([past_flight()]), name="cbp", secret=PARTNER_SECRET)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert response["WWW-Authenticate"] == 'Signature realm="entry-exit-carrier"'
    assert not CrossingRecord.objects.exists()


def test_a_wrong_secret_or_no_signature_is_refused():
    body = interchange([past_flight()])
    assert post(body, secret="x" * 40).status_code == 401
    assert Client().post(URL, body, content_type=EDIFACT).status_code == 401


def test_an_interchange_refused_whole_is_a_400_with_its_place():
    response = post(interchange([past_flight()], count=3))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unz_count" and body["message"]
    (error,) = body["interchange"]["errors"]
    assert (error["tag"], error["element"]) == ("UNZ", 1)


def test_another_content_type_is_refused():
    response = post(interchange([past_flight()]), content_type="application/json")
    assert response.status_code == 415
