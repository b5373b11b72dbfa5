"""Retention: records go on their purge date in chunks, legal holds stay; and no log line
of the exchange, the look-up or the purge carries personal data."""

import logging
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from entry_exit.models import CrossingRecord, OutboundItem
from entry_exit.services import crossing_records_purge, outbound_batches_run
from entry_exit.tasks import crossing_records_purge_task
from entry_exit.tests.batches import RECEIVED, US_PORT, partner_batch, us_row
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory, port_pair
from entry_exit.tests.people import analyst

pytestmark = pytest.mark.django_db

TODAY = date(2041, 3, 3)


def test_it_purges_what_is_due_and_keeps_the_rest():
    due = CrossingRecordFactory(purge_on=TODAY - timedelta(days=1))
    today = CrossingRecordFactory(purge_on=TODAY)
    later = CrossingRecordFactory(purge_on=TODAY + timedelta(days=1))
    held = CrossingRecordFactory(purge_on=TODAY - timedelta(days=400), legal_hold=True)
    summary = crossing_records_purge(today=TODAY)
    assert (summary.purged, summary.held) == (2, 1)
    remaining = set(CrossingRecord.objects.values_list("pk", flat=True))
    assert remaining == {later.pk, held.pk}
    assert due.pk not in remaining and today.pk not in remaining
    event = AuditEvent.objects.get(action="crossingrecord.purged")
    assert event.data == {"day": "2041-03-03", "purged": 2, "chunks": 1, "held": 1}


def test_it_purges_in_bounded_chunks_and_twice_is_harmless():
    for _ in range(7):
        CrossingRecordFactory(purge_on=TODAY)
    summary = crossing_records_purge(today=TODAY, chunk=3)
    assert (summary.purged, summary.chunks) == (7, 3)
    assert crossing_records_purge(today=TODAY, chunk=3).purged == 0
    assert not CrossingRecord.objects.exists()


def test_a_purged_record_takes_its_outbound_item_the_batch_stays():
    canada, _us = port_pair()
    CrossingRecordFactory(port=canada, purge_on=TODAY)
    outbound_batches_run(now=RECEIVED)
    assert OutboundItem.objects.count() == 1
    crossing_records_purge(today=TODAY)
    assert not OutboundItem.objects.exists()


def test_the_daily_task_purges_by_todays_date():
    CrossingRecordFactory(purge_on=date(2000, 1, 1))
    assert crossing_records_purge_task()["purged"] == 1


def test_no_personal_data_in_any_log_line(caplog):
    """Import, look-up, outbound and purge, every logger at DEBUG: no surname, given
    name, document number or date of birth in any message."""
    from entry_exit.partners import Partner
    from entry_exit.services import inbound_batch_import

    caplog.set_level(logging.DEBUG)
    PortFactory(code=US_PORT, us=True)
    canada, _us = port_pair()
    inbound_batch_import(
        partner=Partner(name="cbp"),
        body=partner_batch([us_row(1), us_row(2), us_row(3, date_of_birth="1850-01-01")]),
        now=RECEIVED,
    )
    CrossingRecordFactory(
        port=canada, surname="Tremblay", given_names="Éloïse", document_number="QX7654321"
    )
    outbound_batches_run(now=RECEIVED)
    client = Client()
    force_login_verified(client, analyst())
    for fields in (
        {"document_number": "A00000001", "document_country": "NGA"},
        {"surname": "Okafor", "date_of_birth": "1979-11-02"},
    ):
        response = client.post(
            reverse("entry_exit:look_up"), {"purpose": "investigation", **fields}
        )
        assert "found</h2>" in response.content.decode()
    crossing_records_purge(today=TODAY)
    assert not CrossingRecord.objects.exists()

    lines = [record.getMessage() for record in caplog.records]
    assert any("purged" in line for line in lines) and any("outbound" in line for line in lines)
    personal = [
        "Okafor", "OKAFOR", "Chidi", "Émeka", "A00000001", "A00000002", "A00000003",
        "1979-11-02", "1979", "1850", "Tremblay", "TREMBLAY", "Éloïse", "QX7654321",
        "1984-05-17",
    ]  # fmt: skip
    leaks = [(value, line) for line in lines for value in personal if value in line]
    assert leaks == []
