"""The inbound exchange: the partner's land entries (for Canada, exits from Canada).

A batch is a file in the exchange format (``entry_exit.exchange_format``,
``docs/entry_exit_exchange.md``): a header line, then one record per line. It arrives
through the partner endpoint (``entry_exit.partner_api``) or ``manage.py
entry_exit_import``; both call ``inbound_batch_import``.

* The header is checked first (format, sender, batch id, the records' SHA-256, the
  count): a batch that fails is refused whole and stored as refused, with the reason.
* Every record line goes through ``entry_exit.validation`` (the one place for the rules);
  a bad line is reported by line, field, code and reason (never its values) and the good
  lines are kept.
* Each record is stored once: ``CrossingRecord`` is unique on (source, record id), and a
  record already held — from an earlier batch, an overlapping one, or earlier in this one
  — is counted as a duplicate, not stored again.
* The batch is known by (partner, batch id): a batch delivered again answers the report
  of its first import; a batch id delivered again with other contents is refused.
* Rows are committed in chunks of ``CHUNK_ROWS``, each chunk in one transaction with the
  batch's counters, so the counters always say exactly how many record lines are done.
  An import that dies half-way leaves the batch ``received`` with the chunks it
  committed; importing the same batch again carries on after them.
"""

import io
import json
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict, TypeGuard, cast

import orjson
import psycopg
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from common.actors import Actor, acting_user
from common.audit import audit_record
from common.outbox import outbox_put
from entry_exit import exchange_format
from entry_exit.errors import EntryExitError
from entry_exit.models import (
    BatchDirection,
    BatchStatus,
    CrossingRecord,
    ExchangeBatch,
    purge_date,
)
from entry_exit.partners import Partner
from entry_exit.services.records import crossing_record_build
from entry_exit.validation import RowChecker, RowError
from webhooks.models import Event
from webhooks.services import webhook_event

logger = logging.getLogger("entry_exit.exchange")

# Record lines per transaction: large enough for bulk inserts to pay, small enough that
# a crash loses little and a transaction stays short.
CHUNK_ROWS = 5_000
# PostgreSQL, outside a transaction: chunks stored at once, each on a connection of its own
# (the index upkeep of a chunk is one server process's work: two use both cores).
STORERS = 2
# A run importing a batch holds it until then; another run leaves it alone meanwhile.
IMPORT_CLAIM = timedelta(minutes=30)
MAX_HEADER_BYTES = 4096
# The row errors kept in a batch's report (every refused row is still counted).
MAX_STORED_ROW_ERRORS = 1_000
DONE = (BatchStatus.IMPORTED, BatchStatus.PARTIALLY_IMPORTED)

_FIELD_NAME = re.compile(r"[a-z_]{1,64}", re.ASCII)
_RECORD_FIELDS = exchange_format.RECORD_FIELDS

MESSAGES = {
    "header": _(
        "The first line is not the header of an exchange file (nexus-entry-exit, version 1)."
    ),
    "sender": _("The header names a sender other than this partner."),
    "batch_id": _("The header's batch id is not a whole number from 1 to 2^63 - 1."),
    "checksum": _(
        "The SHA-256 of the record lines does not match the header's records_sha256: the "
        "file was damaged or altered on the way."
    ),
    "record_count": _(
        "The header's record count does not match the record lines that follow (each line "
        "ends with a line feed)."
    ),
    "batch_id_reused": _("This batch id was imported before, with other contents."),
    "line": _("This line is not a JSON object of type record."),
    "unknown_field": _("This field is not part of the exchange format."),
}


@dataclass
class InboundResult:
    """What became of one delivery: ``imported`` (now, fully), ``redelivered`` (imported
    before: ``batch`` is that import) or ``refused`` (whole; ``code`` says why)."""

    batch: ExchangeBatch
    outcome: str
    code: str = ""

    @property
    def report(self) -> dict[str, Any]:
        return inbound_batch_report(self.batch)


def inbound_batch_report(batch: ExchangeBatch) -> dict[str, Any]:
    """The batch's report, as the partner and the command are given it: identifiers and
    counts, and each refused row's line, field, code and reason — never a value."""
    return {
        "batch": batch.pk,
        "partner": batch.partner,
        "batch_id": batch.partner_batch_id,
        "status": batch.status,
        "checksum": batch.checksum,
        "records": batch.record_count,
        "imported": batch.rows_ok,
        "duplicates": batch.rows_duplicate,
        "refused": batch.rows_refused,
        "row_errors": batch.row_errors,
        "row_errors_truncated": batch.rows_refused > 0
        and len(batch.row_errors) >= MAX_STORED_ROW_ERRORS,
    }


def _error(field: str, code: str) -> RowError:
    return RowError(field, code, str(MESSAGES[code]))


def _lines_done(batch: ExchangeBatch) -> int:
    return batch.rows_ok + batch.rows_duplicate + batch.rows_refused


# --- The header ----------------------------------------------------------------------------


def _whole_number(value: object, *, minimum: int) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value < 2**63


def _header_check(
    partner: Partner, body: bytes
) -> tuple[dict[str, Any] | None, int, RowError | None]:
    """The header, where the record lines start, and what is wrong with either."""
    end = body.find(b"\n", 0, MAX_HEADER_BYTES)
    if end < 0:
        return None, 0, _error("", "header")
    try:
        header = json.loads(body[:end])
    except ValueError:  # UnicodeDecodeError included
        return None, 0, _error("", "header")
    if not (
        isinstance(header, dict)
        and header.get("type") == "header"
        and header.get("format") == exchange_format.FORMAT
        and header.get("version") == exchange_format.VERSION
    ):
        return None, 0, _error("", "header")
    start = end + 1
    if header.get("sender") != partner.sender:
        return header, start, _error("sender", "sender")
    if not _whole_number(header.get("batch_id"), minimum=1):
        return header, start, _error("batch_id", "batch_id")
    digest = exchange_format.sha256(memoryview(body)[start:])
    if header.get("records_sha256") != digest:
        return header, start, _error("records_sha256", "checksum")
    lines = body.count(b"\n", start)
    complete = start == len(body) or body.endswith(b"\n")
    if not (_whole_number(header.get("record_count"), minimum=0) and complete):
        return header, start, _error("record_count", "record_count")
    if header["record_count"] != lines:
        return header, start, _error("record_count", "record_count")
    return header, start, None


# --- The batch row ---------------------------------------------------------------------


def _refuse(
    *,
    partner: Partner,
    checksum: str,
    file_name: str,
    received_by: str,
    actor: Actor,
    now: datetime,
    error: RowError,
    header: dict[str, Any] | None,
) -> InboundResult:
    batch_id = header.get("batch_id") if header else None
    count = header.get("record_count") if header else None
    with transaction.atomic():
        batch = ExchangeBatch.objects.create(
            direction=BatchDirection.INBOUND,
            partner=partner.name,
            partner_batch_id=batch_id if _whole_number(batch_id, minimum=1) else None,
            status=BatchStatus.REFUSED,
            record_count=count if _whole_number(count, minimum=0) and count < 2**31 else 0,
            checksum=checksum,
            file_name=file_name[:200],
            created_at=now,
            received_at=now,
            last_error=error.code,
            row_errors=[error.as_dict(line=1)],
            handled_by=received_by[:100],
            actor=acting_user(actor),
        )
        audit_record(
            actor=actor,
            action="exchangebatch.refused",
            target=batch,
            partner=partner.name,
            partner_batch_id=batch.partner_batch_id,
            checksum=checksum,
            reason=error.code,
            handled_by=received_by,
        )
    logger.warning(
        "inbound batch %s from %s refused (%s): sha256 %s",
        batch.pk,
        partner.name,
        error.code,
        checksum,
    )
    return InboundResult(batch, "refused", error.code)


class _Refusal(TypedDict):
    """``_refuse``'s arguments but the error: the same for every refusal of a delivery."""

    partner: Partner
    checksum: str
    file_name: str
    received_by: str
    actor: Actor
    now: datetime
    header: dict[str, Any] | None


def _previous(partner: Partner, batch_id: int) -> ExchangeBatch | None:
    return (
        ExchangeBatch.objects.filter(
            direction=BatchDirection.INBOUND, partner=partner.name, partner_batch_id=batch_id
        )
        .exclude(status=BatchStatus.REFUSED)
        .first()
    )


def _redelivered(batch: ExchangeBatch, *, actor: Actor, received_by: str) -> InboundResult:
    audit_record(
        actor=actor,
        action="exchangebatch.redelivered",
        target=batch,
        partner=batch.partner,
        partner_batch_id=batch.partner_batch_id,
        checksum=batch.checksum,
        handled_by=received_by,
    )
    logger.info(
        "inbound batch %s from %s (their %s) delivered again: answered with its report",
        batch.pk,
        batch.partner,
        batch.partner_batch_id,
    )
    return InboundResult(batch, "redelivered")


def _being_imported() -> EntryExitError:
    return EntryExitError(
        # Lazy, translated when shown; ApplicationError's ``message`` is typed ``str`` only.
        cast(str, _("This batch is being imported by another run; try again later.")),
        code="batch_being_imported",
        kind="conflict",
    )


def _claim(batch: ExchangeBatch, now: datetime) -> bool:
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    return bool(
        ExchangeBatch.objects.filter(pk=batch.pk, status=BatchStatus.RECEIVED)
        .filter(free)
        .update(claimed_until=now + IMPORT_CLAIM)
    )


# --- The rows --------------------------------------------------------------------------


def _parse(raw: bytes) -> tuple[dict[str, Any] | None, list[RowError]]:
    try:
        row = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson is stricter than the standard library at the edges (integers past 64
        # bits, lone surrogates): what it refuses is read again the standard way, so a
        # line is judged the same whichever parser read it.
        try:
            row = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            return None, [_error("", "line")]
    if type(row) is not dict or row.get("type") != "record":
        return None, [_error("", "line")]
    if row.keys() <= _RECORD_FIELDS:
        return row, []
    unknown = [name for name in row if name not in _RECORD_FIELDS]
    if unknown:
        # A field's name is reported only if it looks like one (a name is not a value).
        return None, [
            _error(name if _FIELD_NAME.fullmatch(name) else "", "unknown_field") for name in unknown
        ]
    return row, []


def _insert_bulk(
    clean: list[dict[str, Any]], *, batch: ExchangeBatch, now: datetime, source: str
) -> int:
    """Store the records not held yet; return how many this batch stored."""
    held = set(
        CrossingRecord.objects.filter(
            source=source, source_record_id__in=[values["source_record_id"] for values in clean]
        ).values_list("source_record_id", flat=True)
    )
    new = [
        crossing_record_build(clean=values, received_at=now, inbound_batch=batch)
        for values in clean
        if values["source_record_id"] not in held
    ]
    if not new:
        return 0
    # A record another import stored since the query above is skipped here; only this
    # batch's own rows are counted as stored.
    CrossingRecord.objects.bulk_create(new, ignore_conflicts=True)
    return CrossingRecord.objects.filter(
        source=source,
        source_record_id__in=[record.source_record_id for record in new],
        inbound_batch=batch,
    ).count()


# PostgreSQL's COPY text format: each row one line, columns apart by tabs, NULL as \N, and
# these four characters escaped in a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# The record's text columns: every CharField (``RowChecker`` gives each, as a str).
_COPY_TEXT_COLUMNS = tuple(
    field.attname
    for field in CrossingRecord._meta.concrete_fields
    if isinstance(field, models.CharField)
)
# Every column but the key (a test holds this to the model's fields): the text values, the
# record's date, instant and port, then what the import fixes (``crossing_record_build``'s)
# and ``legal_hold``'s default (not held).
COPY_COLUMNS = (
    *_COPY_TEXT_COLUMNS,
    "date_of_birth",
    "occurred_at",
    "port_id",
    "received_at",
    "inbound_batch_id",
    "purge_on",
    "legal_hold",
)


def _copy_text(clean: list[dict[str, Any]], *, batch_id: int, now: datetime) -> str:
    """The chunk's records as COPY text, in the order given. Built by hand, while the chunk
    is checked (``_check_chunk``, beside the storing of the chunk before): formatting rows
    one value at a time through the driver took about half of the storing's Python time."""
    escapes = _COPY_ESCAPES
    purge_on = purge_date(now, settings.ENTRY_EXIT_RETENTION_YEARS)
    tail = f"\t{now.isoformat()}\t{batch_id}\t{purge_on.isoformat()}\tf\n"
    lines = []
    for record in clean:
        port = record.get("port")
        texts = [record[name].translate(escapes) for name in _COPY_TEXT_COLUMNS]
        texts.append(record["date_of_birth"].isoformat())
        texts.append(record["occurred_at"].isoformat())
        texts.append("\\N" if port is None else str(port.pk))
        lines.append("\t".join(texts) + tail)
    return "".join(lines)


def _insert_copy(text: str, count: int) -> int:
    """PostgreSQL: store the records not held yet (``text``, ``count`` records from
    ``_copy_text``); return how many this batch stored.

    The chunk is COPied straight into the table — the fastest way in, and the way of
    every chunk of a new batch. If the table holds one of its records already (a batch
    delivered again, an overlapping one, another import's meanwhile), the unique
    constraint stops the COPY (in a savepoint: nothing of it stays) and the chunk goes
    the exact way: COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING
    RETURNING, which stores the records not held yet and counts them."""
    if not count:
        return 0
    table = CrossingRecord._meta.db_table
    columns = ", ".join(connection.ops.quote_name(name) for name in COPY_COLUMNS)
    try:
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            copy.write(text)
        return count
    except psycopg.errors.UniqueViolation:
        pass
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE entry_exit_inbound_chunk ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY entry_exit_inbound_chunk ({columns}) FROM STDIN") as copy:
            copy.write(text)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM entry_exit_inbound_chunk "  # noqa: S608
            f"ORDER BY source_record_id ON CONFLICT (source, source_record_id) DO NOTHING "
            f"RETURNING 1"
        )
        inserted = len(cursor.fetchall())
        cursor.execute("DROP TABLE entry_exit_inbound_chunk")
    return inserted


@dataclass
class _Checked:
    """A chunk's lines, checked: the good records by record id, and what was not kept."""

    records: dict[str, dict[str, Any]]
    repeated: int
    refused: int
    errors: list[dict[str, Any]]
    # PostgreSQL: the good records as COPY text, in record id order (``_copy_text``).
    copy_text: str | None = None


def _check_chunk(
    chunk: list[tuple[int, bytes]],
    checker: RowChecker,
    language: str,
    copy_for: tuple[int, datetime] | None = None,
) -> _Checked:
    """Parse and check a chunk's lines (no database: it runs beside the storing of the
    chunk before, in ``language``, the one active where the import was called); with
    ``copy_for`` (the batch's id and the import's instant, on PostgreSQL), also write the
    good records' COPY text."""
    records: dict[str, dict[str, Any]] = {}
    repeated = refused = 0
    errors: list[dict[str, Any]] = []
    with translation.override(language):
        for line, raw in chunk:
            row, row_errors = _parse(raw)
            record = None
            if row is not None:
                result = checker(row)
                record, row_errors = result.record, list(result.errors)
            if row_errors:
                refused += 1
                errors.extend(error.as_dict(line=line) for error in row_errors)
                continue
            assert record is not None  # a row without errors is a checked record
            record_id = record["source_record_id"]
            if record_id in records:
                repeated += 1
                continue
            records[record_id] = record
    copy_text = None
    if copy_for is not None:
        batch_id, now = copy_for
        ordered = [records[record_id] for record_id in sorted(records)]
        copy_text = _copy_text(ordered, batch_id=batch_id, now=now)
    return _Checked(records, repeated, refused, errors, copy_text)


_COUNTERS = ("rows_ok", "rows_duplicate", "rows_refused", "row_errors")


def _count(locked: ExchangeBatch, checked: _Checked, inserted: int, now: datetime) -> None:
    """Add a stored chunk's counts to the batch (locked, in the chunk's transaction)."""
    locked.rows_ok += inserted
    locked.rows_duplicate += len(checked.records) - inserted + checked.repeated
    locked.rows_refused += checked.refused
    room = MAX_STORED_ROW_ERRORS - len(locked.row_errors)
    if room > 0:
        locked.row_errors = [*locked.row_errors, *checked.errors[:room]]
    locked.claimed_until = now + IMPORT_CLAIM
    locked.save(update_fields=[*_COUNTERS, "claimed_until"])


def _locked_in_turn(batch_pk: int, done: int) -> ExchangeBatch:
    """The batch, locked, if its counters say ``done`` lines are done, as the chunk about to
    be counted expects; otherwise another run took the batch over (or, side by side, the
    chunk before was not committed)."""
    locked = ExchangeBatch.objects.select_for_update().get(pk=batch_pk)
    if locked.status != BatchStatus.RECEIVED or _lines_done(locked) != done:
        raise _being_imported()
    return locked


def _store_chunk(*, batch: ExchangeBatch, checked: _Checked, source: str, now: datetime) -> None:
    """Store a checked chunk's good records and the batch's new counters together, so
    that either both or neither are committed."""
    records = checked.records
    with transaction.atomic():
        locked = _locked_in_turn(batch.pk, _lines_done(batch))
        # In record id order: two imports inserting overlapping records wait on each other
        # in the same order, never in a cycle (a deadlock).
        if checked.copy_text is not None:  # PostgreSQL; sorted when written
            inserted = _insert_copy(checked.copy_text, len(records))
        else:
            clean = [records[record_id] for record_id in sorted(records)]
            inserted = _insert_bulk(clean, batch=locked, now=now, source=source)
        _count(locked, checked, inserted, now)
    for name in _COUNTERS:
        setattr(batch, name, getattr(locked, name))


def _store_in_turn(
    *,
    batch_pk: int,
    turn: int,
    done: int,
    checked: _Checked,
    now: datetime,
    turns: dict[int, threading.Event],
) -> None:
    """Side by side (PostgreSQL): one chunk on this thread's own connection. Its COPY — the
    index upkeep, most of an import's database time — runs beside the chunk before's; its
    counting waits for that chunk's transaction to end, through an advisory lock that
    chunk holds until then (``turn`` − 1), so counters are committed in order. A lock the
    database sees, not a wait in Python: a cycle with another import's rows is found and
    broken by PostgreSQL (a deadlock error), never a hang."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [batch_pk, turn])
            turns[turn].set()  # the next chunk may start: it will wait for this lock
            # Side by side is PostgreSQL only, where every chunk is checked with its COPY text.
            assert checked.copy_text is not None
            inserted = _insert_copy(checked.copy_text, len(checked.records))
            if turn:
                cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [batch_pk, turn - 1])
            _count(_locked_in_turn(batch_pk, done), checked, inserted, now)
    finally:
        turns[turn].set()
        connection.close()  # this thread's own; the pool's threads end with the import


class _OutOfTurn(Exception):
    """Side by side, a chunk could not be committed in its turn."""


def _lines(checked: _Checked) -> int:
    return len(checked.records) + checked.repeated + checked.refused


def _side_by_side(batch: ExchangeBatch) -> bool:
    """Chunks stored side by side: on PostgreSQL, with a connection of their own each, so
    only when the caller holds no transaction they would not see (and the batch's id fits
    the advisory lock's key)."""
    return (
        STORERS > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and batch.pk < 2**31
    )


def _checked_in_order(
    checking: ThreadPoolExecutor,
    chunks: Iterator[list[tuple[int, bytes]]],
    checker: RowChecker,
    language: str,
    copy_for: tuple[int, datetime] | None,
) -> Iterator[_Checked]:
    """The chunks, checked in order, each checked while the one before is being stored."""
    pending: Future[_Checked] | None = None
    for chunk in chunks:
        following = checking.submit(_check_chunk, chunk, checker, language, copy_for)
        if pending is not None:
            yield pending.result()
        pending = following
    if pending is not None:
        yield pending.result()


def _store_side_by_side(
    *,
    batch: ExchangeBatch,
    checked_chunks: Iterator[_Checked],
    now: datetime,
    progress: Callable[[int], None] | None,
) -> None:
    """Store the chunks ``STORERS`` at a time (``_store_in_turn``); raise ``_OutOfTurn``
    when one could not be committed in its turn (every chunk before it is)."""
    done = _lines_done(batch)
    turns: dict[int, threading.Event] = {}
    in_flight: deque[tuple[Future[None], int]] = deque()
    failed = False

    def settle() -> None:
        nonlocal failed
        future, lines_after = in_flight.popleft()
        try:
            future.result()
        except EntryExitError:  # not committed in its turn: a chunk before it was not
            failed = True
            return
        except OperationalError as error:
            if not isinstance(error.__cause__, psycopg.errors.DeadlockDetected):
                raise
            failed = True  # PostgreSQL broke a cycle with another import's rows
            return
        if progress and not failed:
            progress(lines_after)

    with ThreadPoolExecutor(max_workers=STORERS, thread_name_prefix="entry-exit-store") as pool:
        previous: Future[None] | None = None
        for turn, checked in enumerate(checked_chunks):
            # The chunk before holds its turn's lock (or has ended) before this one starts.
            while previous is not None and not turns[turn - 1].wait(0.05):
                if previous.done():
                    break
            if failed:
                break
            turns[turn] = threading.Event()
            future = pool.submit(
                _store_in_turn,
                batch_pk=batch.pk,
                turn=turn,
                done=done,
                checked=checked,
                now=now,
                turns=turns,
            )
            previous = future
            done += _lines(checked)
            in_flight.append((future, done))
            if len(in_flight) == STORERS:
                settle()
        while in_flight:
            settle()
    batch.refresh_from_db(fields=_COUNTERS)
    if failed:
        raise _OutOfTurn


def _chunks(body: bytes, start: int, done: int) -> Iterator[list[tuple[int, bytes]]]:
    """The record lines not done yet, ``CHUNK_ROWS`` at a time, each with its line number
    (the header is line 1; record n is line n + 1)."""
    stream = io.BytesIO(body)
    stream.seek(start)
    chunk: list[tuple[int, bytes]] = []
    for number, raw in enumerate(stream, start=1):
        if number <= done:
            continue  # committed by an earlier run
        chunk.append((number + 1, raw))
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _import_rows(
    *,
    batch: ExchangeBatch,
    body: bytes,
    start: int,
    partner: Partner,
    now: datetime,
    progress: Callable[[int], None] | None,
) -> None:
    """Check and store the lines chunk by chunk, the checking of each chunk beside the
    storing of the one before: while the database writes chunk n, a thread checks chunk
    n + 1 (the wait for the database lets it run). On PostgreSQL, outside a transaction,
    ``STORERS`` chunks are stored at once (``_store_side_by_side``); if one cannot be
    committed in its turn, what was committed stays and the rest goes one chunk after
    the other. Either way the counters are committed in order."""
    # The ports, the source and the clock's bounds: once, not per row.
    checker = RowChecker(source=partner.source, now=now)
    language = translation.get_language() or settings.LANGUAGE_CODE
    copy_for = (batch.pk, now) if connection.vendor == "postgresql" else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="entry-exit-check") as checking:
        if _side_by_side(batch):
            chunks = _chunks(body, start, _lines_done(batch))
            try:
                _store_side_by_side(
                    batch=batch,
                    checked_chunks=_checked_in_order(checking, chunks, checker, language, copy_for),
                    now=now,
                    progress=progress,
                )
                return
            except _OutOfTurn:
                logger.info("inbound batch %s: the rest stored one chunk at a time", batch.pk)
        chunks = _chunks(body, start, _lines_done(batch))
        for checked in _checked_in_order(checking, chunks, checker, language, copy_for):
            _store_chunk(batch=batch, checked=checked, source=checker.source, now=now)
            if progress:
                progress(_lines_done(batch))


def _finish(batch: ExchangeBatch, *, actor: Actor, received_by: str) -> None:
    with transaction.atomic():
        locked = ExchangeBatch.objects.select_for_update().get(pk=batch.pk)
        locked.status = (
            BatchStatus.IMPORTED if not locked.rows_refused else BatchStatus.PARTIALLY_IMPORTED
        )
        locked.claimed_until = None
        locked.save(update_fields=["status", "claimed_until"])
        audit_record(
            actor=actor,
            action="exchangebatch.received",
            target=locked,
            partner=locked.partner,
            partner_batch_id=locked.partner_batch_id,
            records=locked.record_count,
            imported=locked.rows_ok,
            duplicates=locked.rows_duplicate,
            refused=locked.rows_refused,
            checksum=locked.checksum,
            handled_by=received_by,
        )
        webhook_event(
            Event.ENTRY_EXIT_BATCH_IMPORTED,
            key=str(locked.pk),
            batch=locked.pk,
            partner=locked.partner,
            status=locked.status,
            records=locked.record_count,
            imported=locked.rows_ok,
            duplicates=locked.rows_duplicate,
            refused=locked.rows_refused,
        )
    batch.refresh_from_db()
    logger.info(
        "inbound batch %s from %s (their %s) %s: %s records, %s imported, %s already held, "
        "%s refused, sha256 %s",
        batch.pk,
        batch.partner,
        batch.partner_batch_id,
        batch.status,
        batch.record_count,
        batch.rows_ok,
        batch.rows_duplicate,
        batch.rows_refused,
        batch.checksum,
    )
    outbox_put(topic="entry_exit.batch_imported", key=f"batch.imported:{batch.pk}", batch=batch.pk)


def inbound_batch_import(
    *,
    partner: Partner,
    body: bytes,
    now: datetime,
    file_name: str = "",
    received_by: str = "",
    actor: Actor = None,
    progress: Callable[[int], None] | None = None,
) -> InboundResult:
    """Import one batch from ``partner``; see the module's docstring for the contract.

    1. Check the header against the body; refuse the batch whole if anything is off.
    2. Find the batch by (partner, batch id): one imported before is answered with its
       report; the same id with other bytes is refused; one left half-way is resumed.
    3. Claim it (a run importing it already makes this one a conflict, 409).
    4. Import the record lines after those already done, chunk by chunk.
    5. Mark it imported (or partially: some rows refused), audit and log it.

    ``progress`` is called with the record lines done after each chunk. Raises
    ``EntryExitError`` (conflict) if another run is importing the batch now.
    """
    checksum = exchange_format.sha256(body)
    header, start, error = _header_check(partner, body)
    refusal: _Refusal = {
        "partner": partner,
        "checksum": checksum,
        "file_name": file_name,
        "received_by": received_by,
        "actor": actor,
        "now": now,
        "header": header,
    }
    if error:
        return _refuse(**refusal, error=error)
    assert header is not None  # no error: the header was read
    batch = _previous(partner, header["batch_id"])
    if batch is not None and batch.checksum != checksum:
        return _refuse(**refusal, error=_error("batch_id", "batch_id_reused"))
    if batch is not None and batch.status in DONE:
        return _redelivered(batch, actor=actor, received_by=received_by)
    if batch is None:
        try:
            with transaction.atomic():
                batch = ExchangeBatch.objects.create(
                    direction=BatchDirection.INBOUND,
                    partner=partner.name,
                    partner_batch_id=header["batch_id"],
                    status=BatchStatus.RECEIVED,
                    record_count=header["record_count"],
                    checksum=checksum,
                    file_name=file_name[:200],
                    created_at=now,
                    received_at=now,
                    handled_by=received_by[:100],
                    actor=acting_user(actor),
                )
        except IntegrityError:
            # The same batch, delivered at the same moment: the other delivery created it.
            batch = _previous(partner, header["batch_id"])
            if batch is None:
                raise
            if batch.checksum != checksum:
                return _refuse(**refusal, error=_error("batch_id", "batch_id_reused"))
    if not _claim(batch, now):
        batch.refresh_from_db()
        if batch.status in DONE:
            return _redelivered(batch, actor=actor, received_by=received_by)
        raise _being_imported()
    try:
        _import_rows(
            batch=batch, body=body, start=start, partner=partner, now=now, progress=progress
        )
    except BaseException:
        # Let a re-run carry on now rather than when the claim runs out.
        ExchangeBatch.objects.filter(pk=batch.pk).update(claimed_until=None)
        logger.warning(
            "inbound batch %s from %s stopped after %s of %s record lines; importing it "
            "again carries on from there",
            batch.pk,
            partner.name,
            _lines_done(batch),
            batch.record_count,
        )
        raise
    _finish(batch, actor=actor, received_by=received_by)
    return InboundResult(batch, "imported")
