"""The import hands each finished batch to the reconciliation (through the outbox)."""

from datetime import UTC, date, datetime

import pytest

from common.models import OutboxMessage
from entry_exit.partners import Partner
from entry_exit.reconciliation.models import ExitMatch, Outcome, Reason
from entry_exit.services import inbound_batch_import
from entry_exit.tests.batches import RECEIVED, US_PORT, partner_batch, us_row
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory

pytestmark = pytest.mark.django_db


def test_an_imported_batchs_exits_are_matched_after_the_import(django_capture_on_commit_callbacks):
    PortFactory(code=US_PORT, us=True)
    entry = CrossingRecordFactory(
        surname="Okafor",
        given_names="Chidi Émeka",
        date_of_birth=date(1979, 11, 2),
        sex="M",
        nationality="NGA",
        document_number="A00000001",
        document_country="NGA",
        occurred_at=datetime(2026, 2, 20, 15, 0, tzinfo=UTC),
    )
    body = partner_batch([us_row(1), us_row(2)])
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_batch_import(partner=Partner(name="cbp"), body=body, now=RECEIVED)
    message = OutboxMessage.objects.get(topic="entry_exit.batch_imported")
    assert message.payload == {"batch": result.batch.pk}
    # Tests run Celery eagerly: the outbox delivered it and the task ran on commit.
    matches = {m.exit.source_record_id: m for m in ExitMatch.objects.select_related("exit")}
    assert matches["cbp-0000001"].entry == entry
    # The same names on another document, after the entry the first exit took.
    assert (matches["cbp-0000002"].outcome, matches["cbp-0000002"].reason) == (
        Outcome.UNMATCHED,
        Reason.ENTRY_TAKEN,
    )
    # Delivered again: answered from its report, nothing matched twice.
    with django_capture_on_commit_callbacks(execute=True):
        inbound_batch_import(partner=Partner(name="cbp"), body=body, now=RECEIVED)
    assert ExitMatch.objects.count() == 2
