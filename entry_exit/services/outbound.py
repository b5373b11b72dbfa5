"""The outbound exchange: CBSA's land entries into Canada, to the United States.

A batch goes building → written → sent, or → failed and again later (with the same
bytes), and ends sent, empty (every item dropped before writing) or withdrawn (the rules
or the records changed after it was written: it is never sent, and what may still leave
goes in a later batch).

* ``outbound_batch_build``: everything new that the rules allow, one batch, one
  transaction; the items' check constraint refuses anything else in the database.
* ``outbound_batch_write``: every item checked against the rules again (the batch's phase
  and ``ENTRY_EXIT_PHASE``, with the record as it is now); an item that fails is dropped
  and reported, never written. Then the file is built, once, and its checksum kept.
* ``outbound_batch_send``: the bytes the write just returned go to the transport as they
  are. A batch written by an earlier run, or failed and sent again, has its file rebuilt
  from its items: the rules are checked again and the file must come out with the
  checksum it was written with, byte for byte, else the batch is withdrawn (a batch is
  never sent different from what was written). A failure is recorded and retried with
  backoff.

Records are read as rows (``values()``, in chunks), never as model instances: a batch of
50,000 is built, written and sent in a few seconds.
* ``outbound_batches_run``: what beat runs every ``ENTRY_EXIT_BATCH_SECONDS``.

Each record is sent once: ``OutboundItem.record`` is unique, and builds are serialised
(an advisory lock on PostgreSQL; SQLite takes its write lock at BEGIN). Nothing here logs
or audits personal data: batch ids, counts, checksums, record ids and reason codes only.
"""

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.actors import Actor, acting_user
from common.audit import audit_record
from entry_exit import exchange_format, transport
from entry_exit.errors import EntryExitError
from entry_exit.models import (
    BatchDirection,
    BatchStatus,
    CrossingRecord,
    ExchangeBatch,
    OutboundItem,
)
from entry_exit.rules import PHASES, share_refusal
from entry_exit.selectors import outbound_batches_pending, outbound_candidates
from webhooks.models import Event
from webhooks.services import webhook_event

logger = logging.getLogger("entry_exit.exchange")

PARTNER = "cbp"
# At most this many records per batch; a run builds as many batches as it needs.
MAX_BATCH_RECORDS = 50_000
# How long a run holds a batch it is sending before another run may try it.
SEND_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)
# pg_advisory_xact_lock key serialising outbound builds ("EEOUT").
BUILD_LOCK_KEY = 0x45454F5554


@dataclass
class RunSummary:
    built: int = 0
    sent: int = 0
    failed: int = 0
    empty: int = 0
    withdrawn: int = 0
    dropped: int = 0
    records_sent: int = 0


def _check_phase(phase: int) -> int:
    if isinstance(phase, bool) or phase not in PHASES:
        raise EntryExitError(_("Unknown phase."), code="phase", kind="invalid")
    if phase > settings.ENTRY_EXIT_PHASE:
        raise EntryExitError(
            _("That phase is not in force (ENTRY_EXIT_PHASE)."), code="phase", kind="invalid"
        )
    return phase


def _lock_builds() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [BUILD_LOCK_KEY])


def _lock_batch(batch: ExchangeBatch) -> ExchangeBatch:
    try:
        return ExchangeBatch.objects.select_for_update().get(
            pk=batch.pk, direction=BatchDirection.OUTBOUND
        )
    except ExchangeBatch.DoesNotExist:
        raise EntryExitError(
            _("No such outbound batch."), code="not_found", kind="not_found"
        ) from None


def outbound_batch_build(
    *, phase: int, now: datetime, handled_by: str = ""
) -> ExchangeBatch | None:
    """Batch the records ``phase`` allows that no batch holds yet (None if there are none).

    1. Serialise with any other build, so two never pick the same records.
    2. If the rules' own query finds any, create the batch and, in one ``INSERT …
       SELECT``, one item for each of at most ``MAX_BATCH_RECORDS`` of them, copying
       category, nationality and event: the database refuses an item the rules forbid in
       that phase.
    """
    _check_phase(phase)
    with transaction.atomic():
        _lock_builds()
        candidates = outbound_candidates(phase=phase)
        # Asked first so that a run with nothing to send takes no batch id: the partner
        # sees consecutive batch numbers and can tell when one is missing.
        if not candidates.exists():
            return None
        batch = ExchangeBatch.objects.create(
            direction=BatchDirection.OUTBOUND,
            partner=PARTNER,
            phase=phase,
            status=BatchStatus.BUILDING,
            created_at=now,
            handled_by=handled_by,
        )
        count = _items_insert(batch, candidates)
        batch.record_count = count
        batch.save(update_fields=["record_count"])
        audit_record(
            actor=None,
            action="exchangebatch.built",
            target=batch,
            phase=phase,
            records=count,
        )
    logger.info("outbound batch %s built: phase %s, %s records", batch.pk, phase, count)
    return batch


def _item_column(name: str) -> str:
    """The column of one of the item's own fields (concrete: each has a column)."""
    model_field = OutboundItem._meta.get_field(name)
    assert isinstance(model_field, Field) and model_field.column is not None
    return model_field.column


def _items_insert(batch: ExchangeBatch, candidates: QuerySet[CrossingRecord]) -> int:
    """One ``INSERT … SELECT`` of at most ``MAX_BATCH_RECORDS`` items, oldest records
    first, copying each record's category, nationality and event (the items' check
    constraint judges the copies); the number of items inserted."""
    rows = candidates.values_list("id", "status", "nationality", "event")[:MAX_BATCH_RECORDS]
    select, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(OutboundItem._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(_item_column(name))
        for name in ("record", "status", "nationality", "event", "batch", "phase")
    )
    # Identifiers from the models and the ORM's own parameterised SELECT: no input here.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            f"SELECT candidate.*, %s, %s FROM ({select}) candidate",
            [batch.pk, batch.phase, *params],
        )
        inserted: int = cursor.rowcount
        return inserted


# Each item with its record, as one row: the columns of the file, the record's source, and
# what the item copied from the record when it was built.
_ITEM_ROW = {
    "item_id": F("outbound_items__id"),
    "item_phase": F("outbound_items__phase"),
    "item_status": F("outbound_items__status"),
    "item_nationality": F("outbound_items__nationality"),
    "item_event": F("outbound_items__event"),
    "port_code": F("port__code"),
}
ROWS_CHUNK = 5000


@dataclass(frozen=True)
class _Item:
    pk: int
    record_id: int


def _item_rows(batch: ExchangeBatch) -> Iterator[dict[str, Any]]:
    """The batch's items in file order (item id), each a dict of its record's values."""
    # Annotated: the stubs cannot type ``values()`` given its fields through ``*``.
    rows: Iterator[dict[str, Any]] = (
        CrossingRecord.objects.filter(outbound_items__batch=batch)
        .order_by("outbound_items__id")
        .values("id", "source", *exchange_format.RECORD_LINE_COLUMNS, **_ITEM_ROW)
        .iterator(chunk_size=ROWS_CHUNK)
    )
    return rows


def _refusal(batch: ExchangeBatch, row: dict[str, Any]) -> str | None:
    """Why the item in ``row`` may not leave now: the record as it is now, under the
    batch's phase and under the phase in force (whichever allows less); or "changed" if
    the record no longer matches what was copied into the item."""
    for phase in sorted({batch.phase, settings.ENTRY_EXIT_PHASE}):
        reason = share_refusal(
            phase=phase,
            source=row["source"],
            event=row["event"],
            category=row["status"],
            nationality=row["nationality"],
        )
        if reason:
            return reason
    copied = (row["item_phase"], row["item_status"], row["item_nationality"], row["item_event"])
    if copied != (batch.phase, row["status"], row["nationality"], row["event"]):
        return "changed"
    return None


@dataclass
class _Checked:
    """A batch's items, checked: the file's record lines of those that may leave, and
    the others with the reason each may not."""

    lines: list[bytes] = field(default_factory=list)
    kept: list[_Item] = field(default_factory=list)
    removed: list[tuple[_Item, str]] = field(default_factory=list)


def _check(batch: ExchangeBatch) -> _Checked:
    checked = _Checked()
    for row in _item_rows(batch):
        item = _Item(row["item_id"], row["id"])
        reason = _refusal(batch, row)
        if reason:
            checked.removed.append((item, reason))
        else:
            checked.kept.append(item)
            checked.lines.append(exchange_format.line(exchange_format.record_line(row)))
    return checked


def _take_out(batch: ExchangeBatch, removed: list[tuple[_Item, str]]) -> None:
    """Delete items from the batch and report each (record id and reason code)."""
    OutboundItem.objects.filter(pk__in=[item.pk for item, _reason in removed]).delete()
    for item, reason in removed:
        batch.dropped.append({"record": item.record_id, "reason": reason})
        if reason != "released":
            batch.dropped_count += 1
            audit_record(
                actor=None,
                action="outbounditem.dropped",
                target=batch,
                record=item.record_id,
                reason=reason,
            )


def outbound_batch_write(*, batch: ExchangeBatch, now: datetime) -> bytes | None:
    """Check every item again, drop what may not leave, and write the file's checksum and
    name into the batch; return the file's bytes (None if nothing was left to send).
    Only a batch being built can be written."""
    with transaction.atomic():
        batch = _lock_batch(batch)
        if batch.status != BatchStatus.BUILDING:
            raise EntryExitError(
                _("This batch has been written already."), code="not_building", kind="conflict"
            )
        checked = _check(batch)
        removed, kept = checked.removed, checked.kept
        _take_out(batch, removed)
        batch.record_count = len(kept)
        if not kept:
            batch.status = BatchStatus.EMPTY
            batch.save()
            audit_record(
                actor=None, action="exchangebatch.empty", target=batch, dropped=len(removed)
            )
            logger.warning("outbound batch %s empty: %s items dropped", batch.pk, len(removed))
            return None
        body = _body(batch, checked.lines)
        assert batch.phase is not None  # an outbound batch has its phase (check constraint)
        batch.status = BatchStatus.WRITTEN
        batch.checksum = exchange_format.sha256(body)
        batch.file_name = exchange_format.file_name(
            batch_id=batch.pk, phase=batch.phase, created_at=batch.created_at
        )
        batch.written_at = now
        batch.save()
        audit_record(
            actor=None,
            action="exchangebatch.written",
            target=batch,
            records=len(kept),
            dropped=len(removed),
            checksum=batch.checksum,
        )
    if removed:
        logger.warning("outbound batch %s: %s items dropped before writing", batch.pk, len(removed))
    logger.info(
        "outbound batch %s written: %s records, sha256 %s", batch.pk, len(kept), batch.checksum
    )
    return body


def _body(batch: ExchangeBatch, record_lines: list[bytes]) -> bytes:
    assert batch.phase is not None  # an outbound batch has its phase (check constraint)
    return exchange_format.outbound_body(
        batch_id=batch.pk,
        phase=batch.phase,
        created_at=batch.created_at,
        record_lines=record_lines,
    )


def _withdraw(batch: ExchangeBatch, checked: _Checked, why: str) -> None:
    """Never send this batch: drop the items that may not leave, release the others for a
    later batch (the partner may hold some already: it keeps each record id once)."""
    verdicts = checked.removed + [(item, "released") for item in checked.kept]
    _take_out(batch, verdicts)
    batch.status = BatchStatus.WITHDRAWN
    batch.last_error = why
    batch.claimed_until = None
    batch.next_attempt_at = None
    batch.save()
    audit_record(
        actor=None,
        action="exchangebatch.withdrawn",
        target=batch,
        why=why,
        dropped=sum(reason != "released" for _item, reason in verdicts),
        released=sum(reason == "released" for _item, reason in verdicts),
    )
    logger.warning("outbound batch %s withdrawn: %s", batch.pk, why)


def _body_to_send(batch: ExchangeBatch, written: bytes | None) -> bytes | None:
    """The bytes to send: ``written`` (what ``outbound_batch_write`` returned in this run,
    checked just before it was written) if it is the file the batch was written with; else
    the batch's file rebuilt byte for byte, if it may still be sent as written (otherwise
    the batch is withdrawn and None returned)."""
    if written is not None:
        if exchange_format.sha256(written) != batch.checksum:
            raise EntryExitError(
                _("These are not the bytes this batch was written with."),
                code="not_written_bytes",
                kind="conflict",
            )
        return written
    with transaction.atomic():
        batch = _lock_batch(batch)
        checked = _check(batch)
        if checked.removed:
            _withdraw(batch, checked, "the share rules no longer allow every record")
            return None
        body = _body(batch, checked.lines)
        if exchange_format.sha256(body) != batch.checksum:
            _withdraw(batch, checked, "the file no longer rebuilds to its checksum")
            return None
    return body


def _backoff(attempts: int) -> timedelta:
    doublings = max(attempts - 1, 0)
    delay: timedelta = timedelta(seconds=settings.ENTRY_EXIT_BATCH_SECONDS) * 2**doublings
    return min(delay, MAX_BACKOFF)


def _error_text(error: Exception) -> str:
    # The class, and an OS error's own description: never the message of a library that
    # might quote what it was sending.
    detail = getattr(error, "strerror", None) or ""
    return f"{type(error).__name__}: {detail}".rstrip(": ")[:200]


def outbound_batch_send(
    *,
    batch: ExchangeBatch,
    now: datetime,
    actor: Actor = None,
    handled_by: str = "",
    body: bytes | None = None,
) -> bool:
    """Send a written or failed batch through the transport; True if it was delivered.

    1. Claim it (another run leaves a claimed batch alone).
    2. ``body``, the bytes ``outbound_batch_write`` just returned, is sent as it is (it
       must hash to the batch's checksum). Without it (a re-send, a batch an earlier run
       wrote), rebuild the file and check the rules again; if either changed, withdraw it.
    3. Hand the bytes to the transport, outside any transaction.
    4. Record the outcome: sent, or failed with the error and the time of the next try.
    """
    claimed = (
        ExchangeBatch.objects.filter(
            pk=batch.pk,
            direction=BatchDirection.OUTBOUND,
            status__in=[BatchStatus.WRITTEN, BatchStatus.FAILED],
        )
        .exclude(claimed_until__gt=now)
        .update(claimed_until=now + SEND_CLAIM)
    )
    if not claimed:
        raise EntryExitError(
            _("This batch cannot be sent now: it is not waiting to be sent, or is being sent."),
            code="not_sendable",
            kind="conflict",
        )
    batch.refresh_from_db()
    try:
        body = _body_to_send(batch, body)
    except EntryExitError:
        ExchangeBatch.objects.filter(pk=batch.pk).update(claimed_until=None)
        raise
    if body is None:
        return False
    batch.refresh_from_db()
    try:
        where = transport.transport_get().send(file_name=batch.file_name, body=body)
    except Exception as error:
        _record_outcome(batch, now, actor, handled_by, error=_error_text(error))
        return False
    _record_outcome(batch, now, actor, handled_by, where=where)
    return True


def _record_outcome(
    batch: ExchangeBatch,
    now: datetime,
    actor: Actor,
    handled_by: str,
    *,
    error: str = "",
    where: str = "",
) -> None:
    with transaction.atomic():
        batch = _lock_batch(batch)
        batch.attempts += 1
        batch.claimed_until = None
        batch.actor = acting_user(actor)
        batch.handled_by = handled_by or batch.handled_by
        if error:
            batch.status = BatchStatus.FAILED
            batch.last_error = error
            batch.next_attempt_at = now + _backoff(batch.attempts)
        else:
            batch.status = BatchStatus.SENT
            batch.sent_at = now
            batch.last_error = ""
            batch.next_attempt_at = None
        batch.save()
        audit_record(
            actor=actor,
            action="exchangebatch.sent" if not error else "exchangebatch.send_failed",
            target=batch,
            attempt=batch.attempts,
            records=batch.record_count,
            checksum=batch.checksum,
            transport=settings.ENTRY_EXIT_TRANSPORT,
            error=error,
        )
        if not error:
            webhook_event(
                Event.ENTRY_EXIT_BATCH_SENT,
                key=str(batch.pk),
                batch=batch.pk,
                phase=batch.phase,
                records=batch.record_count,
                sent_at=now.isoformat(),
            )
    if error:
        assert batch.next_attempt_at is not None  # set above, with the failure
        logger.warning(
            "outbound batch %s send failed (attempt %s, next at %s): %s",
            batch.pk,
            batch.attempts,
            batch.next_attempt_at.isoformat(),
            error,
        )
    else:
        logger.info(
            "outbound batch %s sent via %s: %s records, sha256 %s, attempt %s, to %s",
            batch.pk,
            settings.ENTRY_EXIT_TRANSPORT,
            batch.record_count,
            batch.checksum,
            batch.attempts,
            where,
        )


def _deliver(batch: ExchangeBatch, now: datetime, summary: RunSummary, handled_by: str) -> None:
    body = None
    try:
        if batch.status == BatchStatus.BUILDING:
            dropped_before = batch.dropped_count
            body = outbound_batch_write(batch=batch, now=now)
            batch.refresh_from_db()
            summary.dropped += batch.dropped_count - dropped_before
            if body is None:
                summary.empty += 1
                return
        if outbound_batch_send(batch=batch, now=now, handled_by=handled_by, body=body):
            summary.sent += 1
            summary.records_sent += batch.record_count
            return
    except EntryExitError as error:
        # Another run got there first (it is writing or sending this batch).
        logger.info("outbound batch %s left to another run: %s", batch.pk, error.code)
        return
    batch.refresh_from_db()
    if batch.status == BatchStatus.WITHDRAWN:
        summary.withdrawn += 1
    else:
        summary.failed += 1


def outbound_batches_run(*, now: datetime | None = None, handled_by: str = "") -> RunSummary:
    """One run of the exchange (beat, every ``ENTRY_EXIT_BATCH_SECONDS``).

    1. Carry on with what earlier runs left: write what was built, send what was written,
       retry what failed once its backoff is over.
    2. Batch, write and send everything new that the phase in force allows.
    Safe to run twice at once.
    """
    now = now or timezone.now()
    summary = RunSummary()
    for batch in outbound_batches_pending(now=now):
        _deliver(batch, now, summary, handled_by)
    while built := outbound_batch_build(
        phase=settings.ENTRY_EXIT_PHASE, now=now, handled_by=handled_by
    ):
        summary.built += 1
        _deliver(built, now, summary, handled_by)
    logger.info("outbound run: %s", asdict(summary))
    return summary
