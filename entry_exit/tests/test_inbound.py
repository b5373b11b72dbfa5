"""Inbound batches from the partner: each record kept once, bad rows reported and the good
ones kept, a damaged batch refused whole, an import that stopped half-way carried on."""

import json
import logging
from datetime import timedelta

import pytest

from common.models import AuditEvent
from entry_exit.choices import Source
from entry_exit.models import BatchStatus, CrossingRecord, ExchangeBatch
from entry_exit.partners import Partner
from entry_exit.services import EntryExitError, inbound_batch_import
from entry_exit.services import inbound as inbound_module
from entry_exit.tests.batches import RECEIVED, US_PORT, partner_batch, us_row
from entry_exit.tests.factories import PortFactory

CBP = Partner(name="cbp")


@pytest.fixture
def us_port(db):
    return PortFactory(code=US_PORT, us=True)


def receive(body: bytes, *, partner: Partner = CBP, now=RECEIVED, **kwargs):
    return inbound_batch_import(partner=partner, body=body, now=now, **kwargs)


def stored_ids() -> list[str]:
    return sorted(
        CrossingRecord.objects.filter(source=Source.US_PARTNER).values_list(
            "source_record_id", flat=True
        )
    )


# --- A good batch ----------------------------------------------------------------------


def test_a_good_batch_is_imported_with_its_report(us_port):
    body = partner_batch([us_row(n) for n in range(3)], batch_id=41)

    result = receive(body, file_name="cbp-41.jsonl", received_by="test")

    batch = result.batch
    assert result.outcome == "imported"
    assert batch.status == BatchStatus.IMPORTED
    assert (batch.partner, batch.partner_batch_id, batch.direction) == ("cbp", 41, "inbound")
    assert (batch.record_count, batch.rows_ok, batch.rows_duplicate, batch.rows_refused) == (
        3,
        3,
        0,
        0,
    )
    assert batch.checksum == inbound_module.exchange_format.sha256(body)
    assert batch.claimed_until is None
    assert stored_ids() == ["cbp-0000000", "cbp-0000001", "cbp-0000002"]
    record = CrossingRecord.objects.get(source_record_id="cbp-0000001")
    assert record.event == "land_entry_us"
    assert record.inbound_batch == batch
    assert record.port == us_port
    assert record.received_at == RECEIVED
    assert record.purge_on.year == 2041
    assert record.given_names == "Chidi Émeka"
    assert record.given_names_normalised == "CHIDI EMEKA"
    assert result.report["imported"] == 3
    event = AuditEvent.objects.get(action="exchangebatch.received")
    assert event.data["imported"] == 3
    assert event.data["checksum"] == batch.checksum


def test_an_empty_batch_is_imported(us_port):
    result = receive(partner_batch([], batch_id=2))
    assert result.batch.status == BatchStatus.IMPORTED
    assert result.batch.record_count == 0


# --- Bad rows: reported by line, field and reason; the good rows kept --------------------


def test_bad_rows_are_reported_by_line_field_and_reason_and_good_rows_kept(us_port):
    rows = [
        us_row(0),
        us_row(1, date_of_birth="2099-01-01", sex="Q"),
        us_row(2),
        b"{not json\n",
        us_row(4, event="land_entry_canada"),
        us_row(5, colour="blue"),
        b'["a list"]\n',
        us_row(7, document_number="ab123"),
    ]

    result = receive(partner_batch(rows, batch_id=7))

    batch = result.batch
    assert batch.status == BatchStatus.PARTIALLY_IMPORTED
    assert (batch.rows_ok, batch.rows_duplicate, batch.rows_refused) == (2, 0, 6)
    assert stored_ids() == ["cbp-0000000", "cbp-0000002"]
    found = {(error["line"], error["field"], error["code"]) for error in batch.row_errors}
    # The header is line 1: record n is line n + 2.
    assert found == {
        (3, "date_of_birth", "date_future"),
        (3, "sex", "sex"),
        (5, "", "line"),
        (6, "event", "event_source"),
        (6, "port_code", "port_country"),
        (7, "colour", "unknown_field"),
        (8, "", "line"),
        (9, "document_number", "document_number_lowercase"),
    }
    assert all(error["reason"] for error in batch.row_errors)


def test_a_report_never_carries_the_values_it_refuses(us_port):
    secret = "zq98765"
    rows = [us_row(0, document_number=secret, surname=f"Bad{secret}9", given_names="\x00")]

    result = receive(partner_batch(rows, batch_id=8))

    stored = json.dumps(result.report) + json.dumps(
        list(AuditEvent.objects.values_list("data", flat=True))
    )
    assert secret not in stored.lower()
    assert result.batch.rows_refused == 1


# --- Refused whole ---------------------------------------------------------------------


def _tamper(body: bytes) -> bytes:
    return body.replace(b"Okafor", b"Okafoe", 1)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(
            lambda: _tamper(partner_batch([us_row(0), us_row(1)])), "checksum", id="checksum"
        ),
        pytest.param(
            lambda: partner_batch([us_row(0)], record_count=2), "record_count", id="count"
        ),
        pytest.param(lambda: partner_batch([us_row(0)])[:-1], "checksum", id="cut-short"),
        pytest.param(lambda: partner_batch([us_row(0)], sender="CBSA"), "sender", id="sender"),
        pytest.param(lambda: partner_batch([us_row(0)], batch_id=0), "batch_id", id="batch-id"),
        pytest.param(lambda: b"", "header", id="empty"),
        pytest.param(lambda: b'{"type":"record"}\n', "header", id="no-header"),
        pytest.param(lambda: b"\xff\xfe\n", "header", id="not-utf8"),
    ],
)
def test_a_batch_whose_header_does_not_hold_is_refused_whole(us_port, make, code):
    result = receive(make(), file_name="bad.jsonl")

    batch = result.batch
    assert (result.outcome, result.code) == ("refused", code)
    assert batch.status == BatchStatus.REFUSED
    assert batch.last_error == code
    assert batch.row_errors[0]["code"] == code
    assert batch.rows_ok == 0
    assert stored_ids() == []
    assert AuditEvent.objects.filter(action="exchangebatch.refused").count() == 1


def test_a_refused_delivery_does_not_stop_the_batch_arriving_whole_later(us_port):
    body = partner_batch([us_row(0), us_row(1)], batch_id=9)
    assert receive(_tamper(body)).outcome == "refused"

    result = receive(body)

    assert result.outcome == "imported"
    assert stored_ids() == ["cbp-0000000", "cbp-0000001"]


def test_a_batch_id_delivered_again_with_other_contents_is_refused(us_port):
    receive(partner_batch([us_row(0)], batch_id=10))

    result = receive(partner_batch([us_row(1)], batch_id=10))

    assert (result.outcome, result.code) == ("refused", "batch_id_reused")
    assert stored_ids() == ["cbp-0000000"]


# --- Idempotent ------------------------------------------------------------------------


def test_the_same_batch_twice_leaves_each_record_once_and_answers_its_report(us_port):
    body = partner_batch([us_row(n) for n in range(4)], batch_id=11)
    first = receive(body)

    again = receive(body, now=RECEIVED + timedelta(minutes=5))

    assert again.outcome == "redelivered"
    assert again.batch.pk == first.batch.pk
    assert again.report == first.report
    assert len(stored_ids()) == 4
    assert ExchangeBatch.objects.filter(direction="inbound").count() == 1
    assert AuditEvent.objects.filter(action="exchangebatch.redelivered").count() == 1


def test_overlapping_batches_leave_each_record_once_and_count_the_overlap(us_port):
    receive(partner_batch([us_row(n) for n in range(0, 6)], batch_id=12))

    second = receive(partner_batch([us_row(n) for n in range(4, 10)], batch_id=13))

    assert (second.batch.rows_ok, second.batch.rows_duplicate) == (4, 2)
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(10)]
    assert (
        CrossingRecord.objects.get(source_record_id="cbp-0000005").inbound_batch.partner_batch_id
        == 12
    )


def test_a_record_twice_in_one_batch_is_kept_once(us_port):
    result = receive(partner_batch([us_row(0), us_row(1), us_row(0)], batch_id=14))

    assert (result.batch.rows_ok, result.batch.rows_duplicate) == (2, 1)
    assert result.batch.status == BatchStatus.IMPORTED


def test_the_same_record_id_from_another_source_is_another_record(us_port):
    PortFactory(code="T-CA-INB")
    cbsa = Partner(name="loopback", sender="CBSA", source=Source.CBSA_PRIMARY)
    receive(partner_batch([us_row(0)], batch_id=15))
    row = us_row(0, event="land_entry_canada", port_code="T-CA-INB")

    result = receive(partner_batch([row], batch_id=15, sender="CBSA"), partner=cbsa)

    assert result.batch.rows_ok == 1
    assert CrossingRecord.objects.filter(source_record_id="cbp-0000000").count() == 2


# --- Stopped half-way and run again ----------------------------------------------------


def test_an_import_killed_half_way_and_run_again_ends_with_every_record_once(us_port, monkeypatch):
    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 3)
    body = partner_batch([us_row(n) for n in range(8)] + [us_row(1, sex="Q")], batch_id=16)
    real_store = inbound_module._store_chunk
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        real_store(**kwargs)

    monkeypatch.setattr(inbound_module, "_store_chunk", dies_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        receive(body)

    batch = ExchangeBatch.objects.get(partner_batch_id=16)
    assert batch.status == BatchStatus.RECEIVED
    assert (batch.rows_ok, batch.claimed_until) == (3, None)
    assert len(stored_ids()) == 3

    result = receive(body, now=RECEIVED + timedelta(minutes=1))

    assert result.outcome == "imported"
    assert result.batch.pk == batch.pk
    assert result.batch.status == BatchStatus.PARTIALLY_IMPORTED
    assert (result.batch.rows_ok, result.batch.rows_duplicate, result.batch.rows_refused) == (
        8,
        0,
        1,
    )
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(8)]
    assert [error["line"] for error in result.batch.row_errors] == [10]


def test_a_batch_another_run_is_importing_is_a_conflict(us_port):
    body = partner_batch([us_row(0)], batch_id=17)
    receive(body)
    batch = ExchangeBatch.objects.get(partner_batch_id=17)
    ExchangeBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RECEIVED, claimed_until=RECEIVED + timedelta(minutes=10)
    )

    with pytest.raises(EntryExitError) as refused:
        receive(body)

    assert refused.value.code == "batch_being_imported"
    assert refused.value.kind == "conflict"


def test_a_claim_that_ran_out_is_taken_over(us_port):
    body = partner_batch([us_row(0)], batch_id=18)
    receive(body)
    batch = ExchangeBatch.objects.get(partner_batch_id=18)
    CrossingRecord.objects.all().delete()
    ExchangeBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.RECEIVED, rows_ok=0, claimed_until=RECEIVED
    )

    result = receive(body, now=RECEIVED + timedelta(seconds=1))

    assert result.outcome == "imported"
    assert stored_ids() == ["cbp-0000000"]


# --- Logs ------------------------------------------------------------------------------


def test_nothing_personal_is_logged(us_port, caplog):
    caplog.set_level(logging.DEBUG)
    rows = [us_row(0), us_row(1, sex="Q", surname="Zyxwvutsrq")]
    body = partner_batch(rows, batch_id=19)

    receive(body)
    receive(body)
    receive(_tamper(partner_batch(rows, batch_id=20)))

    logged = caplog.text
    assert "inbound batch" in logged
    for value in ("Okafor", "OKAFOR", "Zyxwvutsrq", "A00000000", "1979-11-02", "Chidi"):
        assert value not in logged


# --- At once, on PostgreSQL ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_imported_twice_at_once_leaves_each_record_once(monkeypatch):
    from common.tests.threads import run_at_once

    PortFactory(code=US_PORT, us=True)
    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 50)
    body = partner_batch([us_row(n) for n in range(400)], batch_id=21)

    results = run_at_once(lambda: receive(body), lambda: receive(body))

    outcomes = sorted(
        result.code if isinstance(result, EntryExitError) else result.outcome for result in results
    )
    assert outcomes in (["batch_being_imported", "imported"], ["imported", "redelivered"])
    assert len(stored_ids()) == 400
    batch = ExchangeBatch.objects.get(direction="inbound")
    assert (batch.status, batch.rows_ok, batch.rows_duplicate) == (BatchStatus.IMPORTED, 400, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_imported_at_once_leave_each_record_once(monkeypatch):
    from common.tests.threads import run_at_once

    PortFactory(code=US_PORT, us=True)
    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 50)
    first = partner_batch([us_row(n) for n in range(0, 300)], batch_id=22)
    second = partner_batch([us_row(n) for n in range(100, 400)], batch_id=23)

    results = run_at_once(lambda: receive(first), lambda: receive(second))

    assert [result.outcome for result in results] == ["imported", "imported"]
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(400)]
    batches = ExchangeBatch.objects.filter(direction="inbound")
    assert sum(batch.rows_ok for batch in batches) == 400
    assert sum(batch.rows_duplicate for batch in batches) == 200


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_chunk_with_records_held_already_is_stored_the_exact_way(us_port, monkeypatch):
    """The straight COPY meets a record the table holds: the unique constraint stops it,
    nothing of it stays (a savepoint), and the chunk is stored the exact way (temporary
    table, ON CONFLICT), counting only what this batch stored."""
    receive(partner_batch([us_row(n) for n in range(0, 3)], batch_id=30))

    result = receive(partner_batch([us_row(n) for n in range(1, 6)], batch_id=31))

    assert (result.batch.rows_ok, result.batch.rows_duplicate) == (3, 2)
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(6)]
    assert CrossingRecord.objects.filter(inbound_batch=result.batch).count() == 3


def test_row_errors_are_given_in_the_language_of_the_import(us_port, monkeypatch):
    """The lines are checked in a thread beside the storing: the reasons still come in
    the language active where the import was called."""
    from django.utils import translation

    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 2)
    body = partner_batch([us_row(n, sex="Q") for n in range(5)], batch_id=32)

    with translation.override("fr"):
        result = receive(body)

    reasons = {error["reason"] for error in result.batch.row_errors}
    assert reasons == {"Le sexe est M, F ou X."}
    assert [error["line"] for error in result.batch.row_errors] == [2, 3, 4, 5, 6]


# --- The COPY text (PostgreSQL) -------------------------------------------------------


def test_the_copy_columns_are_every_field_of_a_record_but_its_key():
    fields = [field.attname for field in CrossingRecord._meta.concrete_fields]
    assert sorted(inbound_module.COPY_COLUMNS) == sorted(name for name in fields if name != "id")


def test_the_copy_text_escapes_what_the_format_reserves_and_writes_null_for_no_port(us_port):
    from entry_exit.validation import record_validate

    clean = record_validate(us_row(7), source=Source.US_PARTNER, now=RECEIVED).record
    clean = {**clean, "surname": "A\\B\tC\nD\rE", "port": None}

    text = inbound_module._copy_text([clean], batch_id=12, now=RECEIVED)

    assert text.endswith("\n") and text.count("\n") == 1
    values = dict(zip(inbound_module.COPY_COLUMNS, text[:-1].split("\t"), strict=True))
    assert values["surname"] == "A\\\\B\\tC\\nD\\rE"
    assert values["port_id"] == "\\N"
    assert values["inbound_batch_id"] == "12"
    assert values["occurred_at"] == "2026-03-02T15:15:00+00:00"
    assert values["date_of_birth"] == "1979-11-02"
    assert values["received_at"] == RECEIVED.isoformat()
    assert values["legal_hold"] == "f"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_record_stored_by_copy_is_the_record_the_orm_would_store(us_port):
    from django.forms.models import model_to_dict

    from entry_exit.services.records import crossing_record_build
    from entry_exit.validation import record_validate

    result = receive(partner_batch([us_row(3, surname="O'Brien-Ñúñez")], batch_id=33))

    stored = CrossingRecord.objects.get()
    clean = record_validate(
        us_row(3, surname="O'Brien-Ñúñez"), source=Source.US_PARTNER, now=RECEIVED
    ).record
    built = crossing_record_build(clean=clean, received_at=RECEIVED, inbound_batch=result.batch)
    assert model_to_dict(stored, exclude=["id"]) == model_to_dict(built, exclude=["id"])


# --- Chunks stored side by side (PostgreSQL, outside a transaction) ---------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_chunks_stored_side_by_side_are_counted_in_order(monkeypatch):
    PortFactory(code=US_PORT, us=True)
    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 3)
    stored_in_turn = []
    real = inbound_module._store_in_turn

    def spy(**kwargs):
        stored_in_turn.append(kwargs["turn"])
        real(**kwargs)

    monkeypatch.setattr(inbound_module, "_store_in_turn", spy)
    rows = [us_row(n) for n in range(10)]
    rows[4] = us_row(4, sex="Q")  # refused
    rows.append(us_row(2))  # the same record again, in another chunk
    progress = []

    result = receive(partner_batch(rows, batch_id=40), progress=progress.append)

    assert sorted(stored_in_turn) == [0, 1, 2, 3]
    assert progress == [3, 6, 9, 11]
    batch = result.batch
    assert (batch.rows_ok, batch.rows_duplicate, batch.rows_refused) == (9, 1, 1)
    assert [error["line"] for error in batch.row_errors] == [6]
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(10) if n != 4]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_chunk_not_committed_in_its_turn_leaves_those_before_and_the_rest_goes_in_turn(
    monkeypatch,
):
    PortFactory(code=US_PORT, us=True)
    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 2)
    real = inbound_module._store_in_turn
    counted_alone = []
    real_alone = inbound_module._store_chunk

    def third_out_of_turn(**kwargs):
        if kwargs["turn"] == 2:
            raise inbound_module._being_imported()
        real(**kwargs)

    def alone(**kwargs):
        counted_alone.append(inbound_module._lines_done(kwargs["batch"]))
        real_alone(**kwargs)

    monkeypatch.setattr(inbound_module, "_store_in_turn", third_out_of_turn)
    monkeypatch.setattr(inbound_module, "_store_chunk", alone)

    result = receive(partner_batch([us_row(n) for n in range(9)], batch_id=41))

    assert result.outcome == "imported"
    assert (result.batch.rows_ok, result.batch.rows_duplicate) == (9, 0)
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(9)]
    # Chunks 0 and 1 were committed side by side; from chunk 2 on, one at a time.
    assert counted_alone == [4, 6, 8]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_side_by_side_killed_half_way_keeps_an_exact_prefix_and_ends_once(
    monkeypatch,
):
    PortFactory(code=US_PORT, us=True)
    monkeypatch.setattr(inbound_module, "CHUNK_ROWS", 3)
    real = inbound_module._store_in_turn

    def dies_in_the_third_chunk(**kwargs):
        if kwargs["turn"] == 2:
            raise RuntimeError("killed")
        real(**kwargs)

    monkeypatch.setattr(inbound_module, "_store_in_turn", dies_in_the_third_chunk)
    body = partner_batch([us_row(n) for n in range(14)], batch_id=42)
    with pytest.raises(RuntimeError):
        receive(body)

    batch = ExchangeBatch.objects.get(partner_batch_id=42)
    assert batch.status == BatchStatus.RECEIVED
    assert batch.rows_ok == 6  # the chunks before the one that died, and nothing after
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(6)]
    monkeypatch.setattr(inbound_module, "_store_in_turn", real)

    result = receive(body, now=RECEIVED + timedelta(minutes=31))

    assert (result.outcome, result.batch.rows_ok, result.batch.rows_duplicate) == (
        "imported",
        14,
        0,
    )
    assert stored_ids() == [f"cbp-{n:07d}" for n in range(14)]
