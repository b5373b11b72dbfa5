"""POST /api/partner/entry-exit/batches/: signed by a declared partner, never replayed,
bounded in size; the batch's report, and every refusal in the API's one error shape."""

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from entry_exit.models import BatchStatus, CrossingRecord, ExchangeBatch, PartnerSignature
from entry_exit.partners import Partner, signed_headers
from entry_exit.tests.batches import US_PORT, partner_batch, us_row
from entry_exit.tests.factories import PortFactory

SECRET = "test-only-partner-secret-0123456789abcdef"
CBP = Partner(name="cbp", secret=SECRET)
URL = "/api/partner/entry-exit/batches/"
NDJSON = "application/x-ndjson"


@pytest.fixture(autouse=True)
def _partners(settings, db):
    settings.ENTRY_EXIT_PARTNERS = {"cbp": {"secret": SECRET}}
    cache.clear()
    PortFactory(code=US_PORT, us=True)


def meta(headers: dict[str, str]) -> dict[str, str]:
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}


def post(body: bytes, *, partner: Partner = CBP, timestamp: int | None = None, **extra):
    headers = signed_headers(
        partner=partner, body=body, timestamp=int(time.time()) if timestamp is None else timestamp
    )
    headers.update(extra.pop("headers", {}))
    return Client().post(
        URL, body, content_type=extra.pop("content_type", NDJSON), **meta(headers), **extra
    )


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert {"code", "message", "fields"} <= set(body)
    assert body["code"] == code
    assert body["message"]


def test_the_url_is_outside_api_v1():
    assert reverse("partner_api:entry_exit_batches") == URL


def test_a_signed_batch_is_imported_and_answered_with_its_report():
    body = partner_batch([us_row(0), us_row(1, sex="Q"), us_row(2)], batch_id=51)

    response = post(body)

    assert response.status_code == 201
    report = response.json()
    assert report["batch_id"] == 51
    assert report["status"] == BatchStatus.PARTIALLY_IMPORTED
    assert (report["records"], report["imported"], report["duplicates"], report["refused"]) == (
        3,
        2,
        0,
        1,
    )
    assert report["row_errors"] == [
        {"line": 3, "field": "sex", "code": "sex", "reason": "Sex is M, F or X."}
    ]
    batch = ExchangeBatch.objects.get(pk=report["batch"])
    assert batch.handled_by == "partner API"
    assert batch.checksum == report["checksum"]


def test_a_batch_delivered_again_is_answered_200_with_the_same_report():
    body = partner_batch([us_row(0), us_row(1)], batch_id=52)
    now = int(time.time())
    first = post(body, timestamp=now)

    again = post(body, timestamp=now - 1)  # signed anew: not a replay

    assert again.status_code == 200
    assert again.json() == first.json()
    assert CrossingRecord.objects.count() == 2


def test_a_damaged_batch_is_refused_whole_in_the_error_shape_with_its_report():
    body = partner_batch([us_row(0)], batch_id=53).replace(b"Okafor", b"Okafoe")

    response = post(body)

    assert_error(response, 400, "checksum")
    assert response.json()["batch"]["status"] == BatchStatus.REFUSED
    assert CrossingRecord.objects.count() == 0


def test_a_batch_id_reused_with_other_contents_is_a_conflict():
    post(partner_batch([us_row(0)], batch_id=54))
    assert_error(post(partner_batch([us_row(1)], batch_id=54)), 409, "batch_id_reused")


# --- Who may post --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        pytest.param({"X-Signature": ""}, "signature_missing", id="no-signature"),
        pytest.param({"X-Partner-Id": ""}, "signature_missing", id="no-partner"),
        pytest.param({"X-Timestamp": ""}, "signature_missing", id="no-timestamp"),
        pytest.param({"X-Signature": "0" * 64}, "signature_invalid", id="bad-signature"),
        pytest.param({"X-Signature": "A" * 64}, "signature_invalid", id="upper-case-hex"),
        pytest.param({"X-Signature": "zz"}, "signature_invalid", id="not-hex"),
        pytest.param({"X-Partner-Id": "dhs"}, "signature_invalid", id="unknown-partner"),
        pytest.param({"X-Partner-Id": "cbp\u00e9"}, "signature_invalid", id="non-ascii-partner"),
        pytest.param({"X-Timestamp": "12.5"}, "timestamp_out_of_window", id="not-a-number"),
        pytest.param({"X-Timestamp": "9" * 40}, "timestamp_out_of_window", id="huge"),
    ],
)
def test_a_request_that_is_not_properly_signed_is_refused_401(headers, code):
    response = post(partner_batch([us_row(0)]), headers=headers)

    assert_error(response, 401, code)
    assert response["WWW-Authenticate"] == 'Signature realm="entry-exit-partner"'
    assert ExchangeBatch.objects.count() == 0


def test_a_signature_over_another_body_is_refused():
    body = partner_batch([us_row(0)])
    headers = signed_headers(partner=CBP, body=body + b"x", timestamp=int(time.time()))
    response = Client().post(URL, body, content_type=NDJSON, **meta(headers))
    assert_error(response, 401, "signature_invalid")


def test_a_signature_with_another_partners_secret_is_refused():
    impostor = Partner(name="cbp", secret="not-the-secret-" * 3)
    assert_error(post(partner_batch([us_row(0)]), partner=impostor), 401, "signature_invalid")


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_five_minutes_off_is_refused(offset):
    response = post(partner_batch([us_row(0)]), timestamp=int(time.time()) + offset)
    assert_error(response, 401, "timestamp_out_of_window")


def test_a_replayed_request_is_refused_and_changes_nothing():
    body = partner_batch([us_row(0)], batch_id=55)
    stamp = int(time.time())
    headers = meta(signed_headers(partner=CBP, body=body, timestamp=stamp))
    assert Client().post(URL, body, content_type=NDJSON, **headers).status_code == 201

    replay = Client().post(URL, body, content_type=NDJSON, **headers)

    assert_error(replay, 401, "replayed")
    seen = PartnerSignature.objects.get()
    assert seen.partner == "cbp"
    assert seen.expires_at.timestamp() == stamp + 301
    assert ExchangeBatch.objects.count() == 1


def test_expired_signatures_are_swept():
    PartnerSignature.objects.create(
        partner="cbp", signature="0" * 64, expires_at="2000-01-01T00:00:00Z"
    )
    post(partner_batch([us_row(0)]))
    assert not PartnerSignature.objects.filter(signature="0" * 64).exists()


# --- What is read --------------------------------------------------------------------


def test_a_body_beyond_the_limit_is_refused_413(settings):
    settings.ENTRY_EXIT_MAX_BATCH_BYTES = 2048
    body = partner_batch([us_row(n) for n in range(10)])
    assert len(body) > 2048
    assert_error(post(body), 413, "too_large")
    assert ExchangeBatch.objects.count() == 0


def test_a_body_larger_than_the_json_apis_limit_is_read(settings):
    settings.API_MAX_BODY_BYTES = 1024
    body = partner_batch([us_row(n) for n in range(20)], batch_id=56)
    assert post(body).status_code == 201


def test_a_body_that_is_not_json_lines_is_refused_415():
    response = post(partner_batch([us_row(0)]), content_type="application/json")
    assert_error(response, 415, "unsupported_media_type")


def test_only_post_is_answered():
    response = Client().get(URL)
    assert response.status_code in (401, 405)
    assert {"code", "message", "fields"} <= set(response.json())


def test_partners_are_throttled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "entry_exit_partner": "2/minute",
        },
    }
    body = partner_batch([us_row(0)], batch_id=57)
    now = int(time.time())
    statuses = [post(body, timestamp=now - n).status_code for n in range(3)]
    assert statuses == [201, 200, 429]


def test_nothing_personal_or_secret_is_logged(caplog):
    caplog.set_level(logging.DEBUG)
    body = partner_batch([us_row(0), us_row(1, sex="Q")], batch_id=58)
    stamp = int(time.time())
    headers = meta(signed_headers(partner=CBP, body=body, timestamp=stamp))
    Client().post(URL, body, content_type=NDJSON, **headers)
    Client().post(URL, body, content_type=NDJSON, **headers)  # replayed

    for value in ("Okafor", "A00000000", "1979-11-02", SECRET, headers["HTTP_X_SIGNATURE"]):
        assert value not in caplog.text
    assert "replayed" in caplog.text


def test_it_is_not_in_the_api_v1_schema():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/" in response.content
    assert b"/api/partner/" not in response.content
