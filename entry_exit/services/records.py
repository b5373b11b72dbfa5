"""Crossing records: one row from a feed, checked and stored once.

The inbound exchange (batches from the partner, files, the CBSA primary feed) stores rows
in bulk with ``crossing_record_build``; ``crossing_record_create`` stores one.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import audit_record
from entry_exit.errors import EntryExitError
from entry_exit.models import CrossingRecord, ExchangeBatch, Port, purge_date
from entry_exit.validation import record_validate


def crossing_record_build(
    *, clean: dict[str, Any], received_at: datetime, inbound_batch: ExchangeBatch | None = None
) -> CrossingRecord:
    """An unsaved record from ``record_validate``'s clean values (for ``bulk_create``),
    with its purge date fixed now: ``ENTRY_EXIT_RETENTION_YEARS`` after receipt."""
    return CrossingRecord(
        **clean,
        received_at=received_at,
        inbound_batch=inbound_batch,
        purge_on=purge_date(received_at, settings.ENTRY_EXIT_RETENTION_YEARS),
    )


def crossing_record_create(
    *,
    row: dict[str, Any],
    source: str,
    received_at: datetime,
    inbound_batch: ExchangeBatch | None = None,
    ports: dict[str, Port] | None = None,
) -> tuple[CrossingRecord, bool]:
    """Check one raw row and store it, once: a row whose (source, record id) is already
    stored returns that record unchanged and False. A bad row raises ``EntryExitError``
    (``invalid``) with ``extra["errors"]``: each field, code and reason."""
    result = record_validate(row, source=source, now=received_at, ports=ports)
    if not result.ok:
        raise EntryExitError(
            _("The record was refused."),
            code="record_refused",
            kind="invalid",
            extra={"errors": [error.as_dict() for error in result.errors]},
        )
    clean = result.record
    assert clean is not None  # ok: the row's clean values
    with transaction.atomic():
        existing = CrossingRecord.objects.filter(
            source=clean["source"], source_record_id=clean["source_record_id"]
        ).first()
        if existing is not None:
            return existing, False
        record = crossing_record_build(
            clean=clean, received_at=received_at, inbound_batch=inbound_batch
        )
        record.save()
        audit_record(
            actor=None,
            action="crossingrecord.received",
            target=record,
            source=record.source,
            source_record_id=record.source_record_id,
        )
    return record, True
