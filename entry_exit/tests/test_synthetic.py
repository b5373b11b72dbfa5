"""Synthetic feeds (entry_exit.synthetic, manage.py entry_exit_generate): deterministic for
a seed, valid except the rows spoilt on purpose, every category in both directions, and a
file the import command takes as it is."""

import io
import json
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from entry_exit import exchange_format
from entry_exit.choices import Event, Source, StatusCategory
from entry_exit.models import BatchStatus, CrossingRecord, ExchangeBatch, Port
from entry_exit.names import name_normalise
from entry_exit.synthetic import (
    BAD_KINDS,
    FIRST_NATIONS,
    NAMES,
    batch_file,
    crossing_rows,
    record_lines,
)
from entry_exit.validation import record_validate

DAY = date(2026, 3, 1)
# Received the morning after the day of the crossings.
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOURCES = {"in": Source.US_PARTNER, "out": Source.CBSA_PRIMARY}


def test_the_same_seed_gives_the_same_bytes_and_another_seed_others():
    first = batch_file(count=300, seed=5, direction="in", day=DAY, bad_share=0.05)

    assert batch_file(count=300, seed=5, direction="in", day=DAY, bad_share=0.05) == first
    assert batch_file(count=300, seed=6, direction="in", day=DAY, bad_share=0.05) != first


def test_a_row_is_the_same_whichever_call_makes_it():
    whole = list(crossing_rows(count=2_500, seed=3, direction="out", day=DAY))
    middle = list(crossing_rows(count=700, seed=3, direction="out", day=DAY, first=1_400))

    assert middle == whole[1_400:2_100]
    assert len({row["record_id"] for row in whole}) == 2_500


def test_every_name_in_the_pools_has_an_icao_form():
    pools = [*NAMES.values(), FIRST_NATIONS]
    for given_names, surnames in pools:
        for name in (*given_names, *surnames):
            assert name_normalise(name)


@pytest.mark.django_db
@pytest.mark.parametrize("direction", ["in", "out"])
def test_rows_are_valid_except_the_spoilt_ones(direction):
    ports = {port.code: port for port in Port.objects.all()}
    rows = list(crossing_rows(count=3_000, seed=11, direction=direction, day=DAY, bad_share=0.1))
    spoilt = Counter()
    categories = Counter()

    for row in rows:
        bad = row.pop("_bad", None)
        result = record_validate(row, source=SOURCES[direction], now=NOW, ports=ports)
        if bad:
            spoilt[bad] += 1
            assert not result.ok, bad
        else:
            assert result.ok, (row["record_id"], result.errors)
            categories[row["status"]] += 1
            assert (
                row["event"]
                == {"in": Event.LAND_ENTRY_US, "out": Event.LAND_ENTRY_CANADA}[direction]
            )

    assert set(spoilt) == set(BAD_KINDS)
    assert 0.07 < sum(spoilt.values()) / len(rows) < 0.13
    assert set(categories) == set(StatusCategory.values)
    # Citizens of the two countries are most of the traffic; the rare categories appear.
    citizens = categories["canadian_citizen"] + categories["us_citizen"]
    assert citizens > 0.75 * sum(categories.values())


def test_nationality_and_document_fit_the_category():
    rows = list(crossing_rows(count=3_000, seed=2, direction="out", day=DAY))
    by_category = {}
    for row in rows:
        by_category.setdefault(row["status"], []).append(row)

    assert {r["nationality"] for r in by_category["canadian_citizen"]} == {"CAN"}
    assert {r["nationality"] for r in by_category["us_citizen"]} == {"USA"}
    assert {r["document_country"] for r in by_category["protected_person"]} == {"CAN"}
    assert "CAN" not in {r["nationality"] for r in by_category["protected_person"]}
    # Some permanent residents of Canada are US citizens (phase 1 keeps them home).
    assert "USA" in {r["nationality"] for r in by_category["permanent_resident_ca"]}
    passports = [r for r in rows if r["document_type"] == "passport"]
    assert all(len(r["document_number"]) <= 9 for r in passports)
    hours = {datetime.fromisoformat(r["occurred_at"]).astimezone(UTC).hour for r in rows}
    assert len(hours) == 24
    assert {datetime.fromisoformat(r["occurred_at"]).astimezone(UTC).date() for r in rows} == {DAY}


def test_the_header_fits_the_records():
    body = batch_file(count=50, seed=1, direction="out", day=DAY)
    header_line, _, records = body.partition(b"\n")
    header = json.loads(header_line)

    assert header["sender"] == "CBSA"
    assert header["record_count"] == 50 == records.count(b"\n")
    assert header["records_sha256"] == exchange_format.sha256(records)
    assert records == record_lines(crossing_rows(count=50, seed=1, direction="out", day=DAY))


@pytest.mark.django_db
def test_the_generate_command_writes_a_file_the_import_command_takes(tmp_path):
    path = tmp_path / "feed.jsonl"
    out = io.StringIO()
    call_command(
        "entry_exit_generate",
        str(path),
        "--records=400",
        "--seed=9",
        "--direction=in",
        f"--day={DAY}",
        "--bad-share=0.05",
        stdout=out,
    )
    again = tmp_path / "again.jsonl"
    call_command(
        "entry_exit_generate",
        str(again),
        "--records=400",
        "--seed=9",
        f"--day={DAY}",
        "--bad-share=0.05",
        stdout=io.StringIO(),
    )
    assert path.read_bytes() == again.read_bytes()
    spoilt = sum(
        1
        for row in crossing_rows(count=400, seed=9, direction="in", day=DAY, bad_share=0.05)
        if "_bad" in row
    )

    call_command("entry_exit_import", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    call_command("entry_exit_import", str(again), stdout=io.StringIO(), stderr=io.StringIO())

    batch = ExchangeBatch.objects.get()
    assert batch.status == BatchStatus.PARTIALLY_IMPORTED
    assert (batch.rows_ok, batch.rows_refused, batch.rows_duplicate) == (400 - spoilt, spoilt, 0)
    assert CrossingRecord.objects.filter(source=Source.US_PARTNER).count() == 400 - spoilt
