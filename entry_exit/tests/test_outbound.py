"""The outbound exchange: what is built, written and sent; each record once; a failed
send retried with the same bytes; what slipped in dropped and reported, never sent."""

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.db import connection

from common.models import AuditEvent
from entry_exit import transport
from entry_exit.choices import StatusCategory
from entry_exit.models import BatchStatus, CrossingRecord, ExchangeBatch, OutboundItem
from entry_exit.services import (
    EntryExitError,
    outbound_batch_build,
    outbound_batch_send,
    outbound_batch_write,
    outbound_batches_run,
)
from entry_exit.services import outbound as outbound_service
from entry_exit.tasks import outbound_batches_run_task
from entry_exit.tests.factories import CrossingRecordFactory, port_pair

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 5, tzinfo=UTC)
SCHEMA = json.loads((settings.BASE_DIR / "docs" / "entry_exit_outbound.schema.json").read_text())
C = StatusCategory
RECORD_KEYS = {
    "type",
    "record_id",
    "surname",
    "given_names",
    "date_of_birth",
    "sex",
    "nationality",
    "document_type",
    "document_number",
    "document_country",
    "status",
    "event",
    "occurred_at",
    "port_code",
}


@pytest.fixture
def ports():
    return port_pair()


@pytest.fixture
def entry(ports):
    """A land entry into Canada at the test port."""

    def make(**fields) -> CrossingRecord:
        return CrossingRecordFactory(port=ports[0], **fields)

    return make


class FailingTransport:
    name = "failing"

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def send(self, *, file_name: str, body: bytes) -> str:
        self.bodies.append(body)
        raise OSError(28, "No space left on device")


@pytest.fixture
def failing(monkeypatch):
    failing = FailingTransport()
    monkeypatch.setitem(transport.TRANSPORTS, "folder", lambda: failing)
    return failing


def outbox_files() -> list[Path]:
    outbox = Path(settings.ENTRY_EXIT_OUTBOX_DIR)
    return sorted(outbox.iterdir()) if outbox.exists() else []


def read_lines(path: Path) -> tuple[dict, list[dict]]:
    lines = [json.loads(line) for line in path.read_bytes().splitlines()]
    return lines[0], lines[1:]


def sent_record_ids() -> list[str]:
    ids = []
    for path in outbox_files():
        _header, records = read_lines(path)
        ids += [record["record_id"] for record in records]
    return ids


# --- Build, write, send ------------------------------------------------------------------


def test_a_run_sends_every_new_shareable_record_and_nothing_else(entry, ports):
    shared = [
        entry(status=C.FOREIGN_NATIONAL, nationality="FRA"),
        entry(status=C.PERMANENT_RESIDENT_CA, nationality="MEX"),
        entry(status=C.LAWFUL_PERMANENT_RESIDENT_US, nationality="IND"),
    ]
    kept_home = [
        entry(status=C.CANADIAN_CITIZEN, nationality="CAN"),
        entry(status=C.US_CITIZEN, nationality="USA"),
        entry(status=C.REGISTERED_INDIAN, nationality="CAN"),
        entry(status=C.PROTECTED_PERSON, nationality="SYR"),
        entry(status=C.PERMANENT_RESIDENT_CA, nationality="USA"),
        CrossingRecordFactory(air_exit=True),
        CrossingRecordFactory(us_entry=True, port=ports[1]),
    ]

    summary = outbound_batches_run(now=NOW)

    assert (summary.built, summary.sent, summary.records_sent) == (1, 1, 3)
    assert sorted(sent_record_ids()) == sorted(r.source_record_id for r in shared)
    assert not OutboundItem.objects.filter(record__in=kept_home).exists()
    batch = ExchangeBatch.objects.get()
    assert (batch.status, batch.record_count, batch.attempts) == (BatchStatus.SENT, 3, 1)
    assert batch.sent_at == NOW and batch.partner == "cbp" and batch.phase == 1


def test_each_record_is_sent_once_across_runs(entry):
    first = [entry() for _ in range(3)]
    outbound_batches_run(now=NOW)
    second = [entry() for _ in range(2)]

    summary = outbound_batches_run(now=NOW + timedelta(minutes=5))
    again = outbound_batches_run(now=NOW + timedelta(minutes=10))

    assert (summary.built, summary.records_sent) == (1, 2)
    assert (again.built, again.sent) == (0, 0)
    ids = sent_record_ids()
    assert sorted(ids) == sorted(r.source_record_id for r in first + second)
    assert len(ids) == len(set(ids))
    assert len(outbox_files()) == 2


def test_a_run_with_nothing_new_builds_nothing(entry):
    assert outbound_batch_build(phase=1, now=NOW) is None
    assert outbound_batches_run(now=NOW).built == 0
    assert not ExchangeBatch.objects.exists()


def test_a_run_builds_as_many_batches_as_it_needs(entry, monkeypatch):
    monkeypatch.setattr(outbound_service, "MAX_BATCH_RECORDS", 2)
    records = [entry() for _ in range(5)]

    summary = outbound_batches_run(now=NOW)

    assert (summary.built, summary.sent, summary.records_sent) == (3, 3, 5)
    assert sorted(sent_record_ids()) == sorted(r.source_record_id for r in records)


def test_the_beat_task_runs_the_exchange(entry):
    entry()
    result = outbound_batches_run_task.delay().get()
    assert result["sent"] == 1 and result["records_sent"] == 1
    assert ExchangeBatch.objects.get().handled_by == "celery beat"


def test_beat_runs_it_every_entry_exit_batch_seconds():
    entry = settings.CELERY_BEAT_SCHEDULE["entry-exit-outbound"]
    assert entry["task"] == "entry_exit.tasks.outbound_batches_run_task"
    assert entry["schedule"] == settings.ENTRY_EXIT_BATCH_SECONDS == 300


def test_a_phase_not_in_force_is_refused(entry):
    entry(status=C.CANADIAN_CITIZEN, nationality="CAN")
    with pytest.raises(EntryExitError) as refused:
        outbound_batch_build(phase=2, now=NOW)
    assert refused.value.code == "phase"
    with pytest.raises(EntryExitError):
        outbound_batch_build(phase=3, now=NOW)


def test_phase_2_sends_citizens_but_never_registered_indians_or_protected_persons(entry, settings):
    settings.ENTRY_EXIT_PHASE = 2
    citizens = [entry(status=C.CANADIAN_CITIZEN, nationality="CAN"), entry(status=C.US_CITIZEN)]
    entry(status=C.REGISTERED_INDIAN, nationality="CAN")
    entry(status=C.PROTECTED_PERSON, nationality="AFG")

    outbound_batches_run(now=NOW)

    assert sorted(sent_record_ids()) == sorted(r.source_record_id for r in citizens)
    header, _records = read_lines(outbox_files()[0])
    assert header["phase"] == 2


# --- The file ----------------------------------------------------------------------------


def test_the_file_is_a_header_then_one_line_per_record_and_matches_the_schema(entry):
    records = [entry(), entry(given_names="", surname="Ærø")]
    outbound_batches_run(now=NOW)
    [path] = outbox_files()
    batch = ExchangeBatch.objects.get()

    body = path.read_bytes()
    header, lines = read_lines(path)

    assert (
        path.name
        == batch.file_name
        == f"nexus-entry-exit-{batch.pk:08d}-phase1-20260302T150500Z.jsonl"
    )
    assert body.endswith(b"\n") and body.count(b"\n") == 3
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for line in [header, *lines]:
        validator.validate(line)
    assert header == {
        "type": "header",
        "format": "nexus-entry-exit",
        "version": 1,
        "sender": "CBSA",
        "batch_id": batch.pk,
        "phase": 1,
        "created_at": "2026-03-02T15:05:00Z",
        "record_count": 2,
        "records_sha256": header["records_sha256"],
    }
    assert [line["record_id"] for line in lines] == [r.source_record_id for r in records]


def test_the_checksums_verify(entry):
    entry()
    entry()
    outbound_batches_run(now=NOW)
    [path] = outbox_files()
    body = path.read_bytes()
    header_line, rest = body.split(b"\n", 1)

    assert json.loads(header_line)["records_sha256"] == hashlib.sha256(rest).hexdigest()
    assert ExchangeBatch.objects.get().checksum == hashlib.sha256(body).hexdigest()


def test_a_record_line_carries_the_shareable_fields_only(entry, ports):
    record = entry(
        surname="Müller-Lüdenscheidt",
        given_names="Anne",
        occurred_at=datetime(2026, 3, 2, 9, 58, 30, tzinfo=UTC),
        legal_hold=True,
    )
    outbound_batches_run(now=NOW)
    _header, [line] = read_lines(outbox_files()[0])

    assert set(line) == RECORD_KEYS
    assert line == {
        "type": "record",
        "record_id": record.source_record_id,
        "surname": "Müller-Lüdenscheidt",  # as received, not normalised
        "given_names": "Anne",
        "date_of_birth": "1984-05-17",
        "sex": "F",
        "nationality": "DEU",
        "document_type": "passport",
        "document_number": record.document_number,
        "document_country": "DEU",
        "status": "foreign_national",
        "event": "land_entry_canada",
        "occurred_at": "2026-03-02T09:58:30Z",
        "port_code": ports[0].code,
    }
    assert "Müller".encode() in outbox_files()[0].read_bytes()  # UTF-8, not \\u escapes


# --- What slipped in ---------------------------------------------------------------------


def test_a_record_that_changed_after_the_build_is_dropped_and_reported(entry):
    kept, slipped = entry(), entry()
    batch = outbound_batch_build(phase=1, now=NOW)
    CrossingRecord.objects.filter(pk=slipped.pk).update(status=C.CANADIAN_CITIZEN)

    body = outbound_batch_write(batch=batch, now=NOW)

    batch.refresh_from_db()
    assert slipped.source_record_id.encode() not in body
    assert kept.source_record_id.encode() in body
    assert (batch.record_count, batch.dropped_count) == (1, 1)
    assert batch.dropped == [{"record": slipped.pk, "reason": "category"}]
    assert not OutboundItem.objects.filter(record=slipped).exists()
    assert AuditEvent.objects.filter(
        action="outbounditem.dropped", target_id=str(batch.pk)
    ).exists()


def test_a_record_whose_copy_no_longer_matches_is_dropped(entry):
    record = entry(nationality="FRA", document_country="FRA")
    batch = outbound_batch_build(phase=1, now=NOW)
    CrossingRecord.objects.filter(pk=record.pk).update(nationality="MEX")  # still shareable

    assert outbound_batch_write(batch=batch, now=NOW) is None
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EMPTY
    assert batch.dropped == [{"record": record.pk, "reason": "changed"}]


def test_a_phase_turned_back_drops_the_citizens_of_a_batch_not_yet_written(entry, settings):
    settings.ENTRY_EXIT_PHASE = 2
    citizen, visitor = entry(status=C.CANADIAN_CITIZEN, nationality="CAN"), entry()
    batch = outbound_batch_build(phase=2, now=NOW)
    settings.ENTRY_EXIT_PHASE = 1

    outbound_batches_run(now=NOW)

    batch.refresh_from_db()
    assert sent_record_ids() == [visitor.source_record_id]
    assert batch.dropped == [{"record": citizen.pk, "reason": "category"}]
    assert batch.status == BatchStatus.SENT


def test_a_batch_whose_every_item_is_dropped_is_empty_and_nothing_is_sent(entry):
    record = entry()
    batch = outbound_batch_build(phase=1, now=NOW)
    CrossingRecord.objects.filter(pk=record.pk).update(status=C.PROTECTED_PERSON)

    summary = outbound_batches_run(now=NOW)

    batch.refresh_from_db()
    assert (summary.empty, summary.dropped, summary.sent) == (1, 1, 0)
    assert batch.status == BatchStatus.EMPTY and batch.record_count == 0
    assert outbox_files() == []


def test_a_batch_is_written_once(entry):
    entry()
    batch = outbound_batch_build(phase=1, now=NOW)
    outbound_batch_write(batch=batch, now=NOW)
    with pytest.raises(EntryExitError) as refused:
        outbound_batch_write(batch=batch, now=NOW)
    assert refused.value.code == "not_building"


def test_a_run_writes_and_sends_a_batch_an_earlier_run_built_but_never_wrote(entry):
    record = entry()
    outbound_batch_build(phase=1, now=NOW)  # the run died here

    summary = outbound_batches_run(now=NOW + timedelta(minutes=5))

    assert (summary.built, summary.sent) == (0, 1)
    assert sent_record_ids() == [record.source_record_id]


# --- Built once, read as rows -----------------------------------------------------------


class RecordingTransport:
    name = "recording"

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def send(self, *, file_name: str, body: bytes) -> str:
        self.bodies.append(body)
        return file_name


def test_a_run_builds_the_file_once_and_sends_the_bytes_it_wrote(entry, monkeypatch):
    for _ in range(3):
        entry()
    recording = RecordingTransport()
    monkeypatch.setitem(transport.TRANSPORTS, "folder", lambda: recording)
    reads, written = [], []
    item_rows, write = outbound_service._item_rows, outbound_service.outbound_batch_write

    def counted_rows(batch):
        reads.append(batch.pk)
        return item_rows(batch)

    def kept_write(**kwargs):
        written.append(write(**kwargs))
        return written[-1]

    monkeypatch.setattr(outbound_service, "_item_rows", counted_rows)
    monkeypatch.setattr(outbound_service, "outbound_batch_write", kept_write)

    assert outbound_batches_run(now=NOW).sent == 1

    batch = ExchangeBatch.objects.get()
    assert reads == [batch.pk]  # read once, to write; not again to send
    assert recording.bodies[0] is written[0]  # those very bytes
    assert hashlib.sha256(recording.bodies[0]).hexdigest() == batch.checksum


def test_records_are_read_as_rows_not_model_instances(entry, monkeypatch):
    for _ in range(3):
        entry()
    made = []
    init = CrossingRecord.__init__

    def counted_init(self, *args, **kwargs):
        made.append(1)
        init(self, *args, **kwargs)

    monkeypatch.setattr(CrossingRecord, "__init__", counted_init)
    batch = outbound_batch_build(phase=1, now=NOW)
    body = outbound_batch_write(batch=batch, now=NOW)
    ExchangeBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
    assert outbound_batch_send(batch=batch, now=NOW)  # a re-send: rebuilt from rows

    assert made == []
    assert outbox_files()[0].read_bytes() == body


def test_a_send_refuses_bytes_the_batch_was_not_written_with(entry):
    entry()
    batch = outbound_batch_build(phase=1, now=NOW)
    body = outbound_batch_write(batch=batch, now=NOW)

    with pytest.raises(EntryExitError) as refused:
        outbound_batch_send(batch=batch, now=NOW, body=body + b"{}\n")

    assert refused.value.code == "not_written_bytes"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.WRITTEN and batch.claimed_until is None
    assert outbound_batch_send(batch=batch, now=NOW, body=body)
    assert outbox_files()[0].read_bytes() == body


def test_a_build_stops_at_the_batch_size_and_the_next_takes_the_rest(entry, monkeypatch):
    records = [entry() for _ in range(5)]
    monkeypatch.setattr(outbound_service, "MAX_BATCH_RECORDS", 3)

    first = outbound_batch_build(phase=1, now=NOW)
    second = outbound_batch_build(phase=1, now=NOW)

    assert (first.record_count, second.record_count) == (3, 2)
    assert outbound_batch_build(phase=1, now=NOW) is None
    in_order = [
        pk for batch in (first, second) for pk in batch.items.values_list("record", flat=True)
    ]
    assert in_order == [record.pk for record in records]  # oldest first, each once


# --- Failures and re-sends ---------------------------------------------------------------


def test_a_failed_send_is_recorded_and_retried_after_its_backoff_with_the_same_bytes(
    entry, failing, monkeypatch
):
    entry()
    summary = outbound_batches_run(now=NOW)

    batch = ExchangeBatch.objects.get()
    assert (summary.sent, summary.failed) == (0, 1)
    assert batch.status == BatchStatus.FAILED and batch.attempts == 1
    assert batch.last_error == "OSError: No space left on device"
    assert batch.next_attempt_at == NOW + timedelta(seconds=300)

    outbound_batches_run(now=NOW + timedelta(seconds=299))  # too early: not tried
    batch.refresh_from_db()
    assert batch.attempts == 1 and len(failing.bodies) == 1

    outbound_batches_run(now=NOW + timedelta(seconds=300))  # tried, fails again
    batch.refresh_from_db()
    assert batch.attempts == 2
    assert batch.next_attempt_at == NOW + timedelta(seconds=900)  # 300 s, then 600 s
    assert failing.bodies[1] == failing.bodies[0]

    monkeypatch.undo()  # the folder transport again
    summary = outbound_batches_run(now=NOW + timedelta(seconds=900))

    batch.refresh_from_db()
    assert summary.sent == 1
    assert (batch.status, batch.attempts, batch.last_error) == (BatchStatus.SENT, 3, "")
    [path] = outbox_files()
    assert path.read_bytes() == failing.bodies[0]
    assert hashlib.sha256(failing.bodies[0]).hexdigest() == batch.checksum


def test_the_backoff_doubles_and_stops_growing_at_six_hours():
    delays = [outbound_service._backoff(attempt) for attempt in range(1, 10)]
    assert delays[:4] == [timedelta(seconds=s) for s in (300, 600, 1200, 2400)]
    assert delays[-1] == timedelta(hours=6)


def test_new_records_go_in_a_new_batch_while_an_old_one_waits(entry, failing):
    first = entry()
    outbound_batches_run(now=NOW)
    second = entry()
    outbound_batches_run(now=NOW + timedelta(minutes=1))

    batches = list(ExchangeBatch.objects.order_by("id"))
    assert len(batches) == 2
    assert list(batches[0].items.values_list("record", flat=True)) == [first.pk]
    assert list(batches[1].items.values_list("record", flat=True)) == [second.pk]


def test_an_operator_resends_a_failed_batch_with_the_same_bytes(entry, failing, monkeypatch):
    entry()
    outbound_batches_run(now=NOW)
    batch = ExchangeBatch.objects.get()
    monkeypatch.undo()

    assert outbound_batch_send(batch=batch, now=NOW + timedelta(seconds=10), handled_by="operator")

    batch.refresh_from_db()
    assert batch.status == BatchStatus.SENT and batch.handled_by == "operator"
    assert outbox_files()[0].read_bytes() == failing.bodies[0]


def test_a_sent_batch_is_never_sent_again(entry):
    entry()
    outbound_batches_run(now=NOW)
    batch = ExchangeBatch.objects.get()
    with pytest.raises(EntryExitError) as refused:
        outbound_batch_send(batch=batch, now=NOW + timedelta(hours=1))
    assert refused.value.code == "not_sendable"


def test_a_batch_being_sent_by_another_run_is_left_alone(entry, failing):
    entry()
    outbound_batches_run(now=NOW)
    batch = ExchangeBatch.objects.get()
    later = NOW + timedelta(minutes=10)
    ExchangeBatch.objects.filter(pk=batch.pk).update(claimed_until=later + timedelta(minutes=5))

    with pytest.raises(EntryExitError):
        outbound_batch_send(batch=batch, now=later)
    assert outbound_batches_run(now=later).failed == 0


def test_a_written_batch_whose_file_would_change_is_withdrawn_and_its_records_sent_afresh(
    entry, failing, monkeypatch
):
    changed, unchanged = entry(surname="Smith"), entry()
    outbound_batches_run(now=NOW)
    old = ExchangeBatch.objects.get()
    CrossingRecord.objects.filter(pk=changed.pk).update(surname="Smyth")  # records are immutable
    monkeypatch.undo()

    summary = outbound_batches_run(now=NOW + timedelta(minutes=10))

    old.refresh_from_db()
    assert summary.withdrawn == 1 and summary.sent == 1
    assert old.status == BatchStatus.WITHDRAWN
    assert old.last_error == "the file no longer rebuilds to its checksum"
    assert sorted(entry["reason"] for entry in old.dropped) == ["released", "released"]
    ids = sent_record_ids()  # only the new batch was ever delivered
    assert sorted(ids) == sorted([changed.source_record_id, unchanged.source_record_id])
    assert failing.bodies[0] != outbox_files()[0].read_bytes()


def test_a_written_batch_the_rules_no_longer_allow_is_withdrawn_and_never_sent(
    entry, failing, monkeypatch, settings
):
    settings.ENTRY_EXIT_PHASE = 2
    citizen, visitor = entry(status=C.US_CITIZEN, nationality="USA"), entry()
    outbound_batches_run(now=NOW)
    settings.ENTRY_EXIT_PHASE = 1
    monkeypatch.undo()

    outbound_batches_run(now=NOW + timedelta(minutes=10))

    old = ExchangeBatch.objects.get(phase=2)
    assert old.status == BatchStatus.WITHDRAWN
    assert {(d["record"], d["reason"]) for d in old.dropped} == {
        (citizen.pk, "category"),
        (visitor.pk, "released"),
    }
    assert old.dropped_count == 1
    assert sent_record_ids() == [visitor.source_record_id]
    header, _ = read_lines(outbox_files()[0])
    assert header["phase"] == 1


# --- The transport -----------------------------------------------------------------------


def test_the_folder_transport_writes_whole_files_only(tmp_path):
    folder = transport.FolderTransport(tmp_path / "out")
    where = folder.send(file_name="a.jsonl", body=b"x\n")
    folder.send(file_name="a.jsonl", body=b"x\n")  # the same again: harmless

    assert where == str(tmp_path / "out" / "a.jsonl")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.jsonl"]  # no temporary left
    assert (tmp_path / "out" / "a.jsonl").stat().st_mode & 0o777 == 0o600
    for name in ("../a.jsonl", "sub/a.jsonl", ".hidden"):
        with pytest.raises(ValueError):
            folder.send(file_name=name, body=b"x")


def test_a_transport_that_fails_half_way_leaves_no_file(tmp_path, monkeypatch):
    folder = transport.FolderTransport(tmp_path / "out")

    def broken_replace(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(transport.os, "replace", broken_replace)
    with pytest.raises(OSError):
        folder.send(file_name="a.jsonl", body=b"x\n")
    assert list((tmp_path / "out").iterdir()) == []


# --- The exchange log --------------------------------------------------------------------


def test_every_exchange_is_logged_and_audited_without_personal_data(entry, caplog, failing):
    record = entry(surname="Kowalczyk", given_names="Zofia")
    caplog.set_level(logging.INFO, logger="entry_exit.exchange")
    outbound_batches_run(now=NOW)
    failing_log = caplog.text
    batch = ExchangeBatch.objects.get()
    assert f"outbound batch {batch.pk} send failed" in failing_log

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "exchangebatch.built",
        "exchangebatch.written",
        "exchangebatch.send_failed",
    ]
    sent = AuditEvent.objects.get(action="exchangebatch.send_failed").data
    assert sent["checksum"] == batch.checksum and sent["records"] == 1
    for secret in ("Kowalczyk", "Zofia", record.document_number, "1984-05-17"):
        assert secret not in caplog.text
        for data in AuditEvent.objects.values_list("data", flat=True):
            assert secret not in json.dumps(data)


def test_a_sent_batch_is_logged_with_its_counts_and_checksum(entry, caplog):
    entry()
    caplog.set_level(logging.INFO, logger="entry_exit.exchange")
    outbound_batches_run(now=NOW)
    batch = ExchangeBatch.objects.get()
    assert f"sent via folder: 1 records, sha256 {batch.checksum}, attempt 1" in caplog.text
    assert AuditEvent.objects.filter(action="exchangebatch.sent", target_id=str(batch.pk)).exists()


# --- Two runs at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_record_once():
    canada, _united_states = port_pair()
    records = [CrossingRecordFactory(port=canada) for _ in range(40)]
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            for _ in range(3):
                outbound_batches_run(now=NOW)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    ids = sent_record_ids()
    assert sorted(ids) == sorted(r.source_record_id for r in records)
    assert OutboundItem.objects.count() == 40
    assert not ExchangeBatch.objects.exclude(status=BatchStatus.SENT).exists()
