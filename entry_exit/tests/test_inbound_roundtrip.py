"""The format round-trips: a batch the outbound exchange writes into its folder, posted to
the real partner endpoint of a second, local partner configuration (one that knows the
sender's secret and takes CBSA files), arrives record for record, once."""

import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from entry_exit.models import CrossingRecord, ExchangeBatch, OutboundItem
from entry_exit.partners import Partner, signed_headers
from entry_exit.services import outbound_batches_run
from entry_exit.tests.factories import CROSSED_AT, CrossingRecordFactory, port_pair

SECRET = "round-trip-only-secret-0123456789abcdef"
LOOPBACK = Partner(name="cbsa-loopback", sender="CBSA", source="cbsa_primary", secret=SECRET)
URL = "/api/partner/entry-exit/batches/"
# What a record line carries, compared on both sides.
FIELDS = (
    "source",
    "source_record_id",
    "surname",
    "given_names",
    "surname_normalised",
    "given_names_normalised",
    "date_of_birth",
    "sex",
    "nationality",
    "document_type",
    "document_number",
    "document_country",
    "status",
    "event",
    "occurred_at",
    "port__code",
)


@pytest.fixture(autouse=True)
def _receiving_side(settings, db):
    settings.ENTRY_EXIT_PARTNERS = {
        LOOPBACK.name: {"secret": SECRET, "sender": "CBSA", "source": "cbsa_primary"}
    }
    cache.clear()


def snapshot() -> list[tuple]:
    return sorted(CrossingRecord.objects.values_list(*FIELDS))


def deliver(body: bytes, timestamp: int):
    headers = signed_headers(partner=LOOPBACK, body=body, timestamp=timestamp)
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return Client().post(URL, body, content_type="application/x-ndjson", **extra)


def test_an_outbound_batch_posted_to_a_local_partner_arrives_once(settings):
    canada, _united_states = port_pair()
    CrossingRecordFactory(port=canada, surname="Nguyễn", given_names="Thị Minh Khai")
    CrossingRecordFactory(port=canada, surname="O'Brien-Smyth", given_names="")
    CrossingRecordFactory(port=canada, nationality="FRA", occurred_at=CROSSED_AT.replace(second=7))
    CrossingRecordFactory(port=canada, status="canadian_citizen", nationality="CAN")  # stays
    sent = outbound_batches_run(handled_by="round trip")
    assert (sent.sent, sent.records_sent) == (1, 3)
    [path] = sorted(Path(settings.ENTRY_EXIT_OUTBOX_DIR).iterdir())
    body = path.read_bytes()
    shared = [row for row in snapshot() if row[FIELDS.index("status")] != "canadian_citizen"]
    # The receiving side starts with none of them.
    OutboundItem.objects.all().delete()
    CrossingRecord.objects.all().delete()

    now = int(time.time())
    first = deliver(body, now)

    assert first.status_code == 201, first.json()
    report = first.json()
    assert (report["records"], report["imported"], report["duplicates"], report["refused"]) == (
        3,
        3,
        0,
        0,
    )
    assert snapshot() == shared
    inbound = ExchangeBatch.objects.get(direction="inbound")
    assert (inbound.partner, inbound.checksum) == (LOOPBACK.name, report["checksum"])
    outbound = ExchangeBatch.objects.get(direction="outbound")
    assert inbound.partner_batch_id == outbound.pk
    assert inbound.checksum == outbound.checksum  # the very bytes that were sent

    again = deliver(body, now + 1)

    assert again.status_code == 200
    assert again.json() == report
    assert snapshot() == shared
    assert ExchangeBatch.objects.filter(direction="inbound").count() == 1
