"""No forbidden record ever leaves: generated travellers of every status category,
nationality and event, in both phases — with records changed and the phase turned back
between building a batch and writing it — and every file written is checked line by
line against the seed, read here independently of ``entry_exit.rules``."""

import itertools
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entry_exit.choices import Event, StatusCategory
from entry_exit.models import CrossingRecord
from entry_exit.services import outbound_batch_build, outbound_batches_run
from entry_exit.tests.factories import CrossingRecordFactory, port_pair

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 5, tzinfo=UTC)
CATEGORIES = list(StatusCategory.values)
NATIONALITIES = ["CAN", "USA", "FRA", "MEX", "IND", "CHN", "XXA", "XXB", "GBN", "UNO"]
EVENTS = list(Event.values)

# The seed (004), phase by phase: who may be sent, and the nationalities that keep them home.
SEED = {
    1: {
        "foreign_national": {"CAN", "USA"},  # "non U.S. or Canadian citizens"
        # "who are not U.S. citizens"; a Canadian document contradicts the category.
        "permanent_resident_ca": {"CAN", "USA"},
        # "who are not Canadian citizens"; an American document contradicts the category.
        "lawful_permanent_resident_us": {"CAN", "USA"},
    },
    # "all travellers (including Canadian and U.S. citizens)"; Registered Indians and
    # protected persons stay home (our decision, docs/entry_exit_rules.md).
    2: {
        "canadian_citizen": set(),
        "us_citizen": set(),
        "foreign_national": set(),
        "permanent_resident_ca": set(),
        "lawful_permanent_resident_us": set(),
    },
}


def seed_allows(phase: int, record: CrossingRecord) -> bool:
    if record.source != "cbsa_primary" or record.event != "land_entry_canada":
        return False
    kept_home = SEED[phase].get(record.status)
    return kept_home is not None and record.nationality not in kept_home


def make(traveller, ports) -> CrossingRecord:
    category, nationality, event = traveller
    place = {
        Event.LAND_ENTRY_CANADA: {"port": ports[0]},
        Event.LAND_ENTRY_US: {"us_entry": True, "port": ports[1]},
        Event.AIR_EXIT: {"air_exit": True},
    }[event]
    return CrossingRecordFactory(
        status=category, nationality=nationality, document_country=nationality, **place
    )


def written_lines(outbox: Path) -> list[tuple[dict, dict]]:
    """(header, record line) for every record line in every file written."""
    lines = []
    for path in sorted(outbox.iterdir()) if outbox.exists() else []:
        header, *records = [json.loads(line) for line in path.read_bytes().splitlines()]
        assert header["record_count"] == len(records)
        lines += [(header, record) for record in records]
    return lines


def check_exchange(outbox: Path, *, phase_in_force: int) -> None:
    """Every line written is a record the seed allows, as the record stood when it was
    written, under its batch's phase and under the phase in force; each record is
    written once."""
    records = {record.source_record_id: record for record in CrossingRecord.objects.all()}
    lines = written_lines(outbox)
    forbidden = [
        record["record_id"]
        for header, record in lines
        if not all(
            seed_allows(phase, records[record["record_id"]])
            for phase in {header["phase"], phase_in_force}
        )
    ]
    assert forbidden == [], f"{len(forbidden)} forbidden records sent"
    sent = [record["record_id"] for _header, record in lines]
    assert len(sent) == len(set(sent))


traveller = st.tuples(
    st.sampled_from(CATEGORIES), st.sampled_from(NATIONALITIES), st.sampled_from(EVENTS)
)
change = st.tuples(
    st.integers(min_value=0), st.sampled_from(CATEGORIES), st.sampled_from(NATIONALITIES)
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    travellers=st.lists(traveller, min_size=1, max_size=25),
    built_in=st.sampled_from([1, 2]),
    written_in=st.sampled_from([1, 2]),
    changes=st.lists(change, max_size=5),
    more=st.lists(traveller, max_size=10),
)
def test_no_forbidden_record_is_ever_written(travellers, built_in, written_in, changes, more):
    """1. Records of every kind; a batch built under ``built_in``.
    2. Some records change afterwards (as if a bug or a hand edit slipped them in).
    3. The phase in force becomes ``written_in`` and the exchange runs; more arrive and it
       runs again. Every line of every file is then checked against the seed."""
    with tempfile.TemporaryDirectory() as folder, transaction.atomic():
        outbox = Path(folder) / "outbox"
        with override_settings(ENTRY_EXIT_OUTBOX_DIR=outbox, ENTRY_EXIT_PHASE=built_in):
            ports = port_pair()
            records = [make(t, ports) for t in travellers]
            outbound_batch_build(phase=built_in, now=NOW)
            for index, category, nationality in changes:
                record = records[index % len(records)]
                CrossingRecord.objects.filter(pk=record.pk).update(
                    status=category, nationality=nationality
                )
        with override_settings(ENTRY_EXIT_OUTBOX_DIR=outbox, ENTRY_EXIT_PHASE=written_in):
            outbound_batches_run(now=NOW)
            for t in more:
                make(t, ports)
            outbound_batches_run(now=NOW + timedelta(minutes=5))
            check_exchange(outbox, phase_in_force=written_in)
            # Complete too: whatever the phase in force allows has left.
            sent = {record["record_id"] for _header, record in written_lines(outbox)}
            allowed = {
                r.source_record_id
                for r in CrossingRecord.objects.all()
                if seed_allows(written_in, r)
            }
            assert allowed == sent
        transaction.set_rollback(True)


@pytest.mark.parametrize("phase", [1, 2])
def test_every_category_nationality_and_event_at_once(settings, tmp_path, phase):
    settings.ENTRY_EXIT_PHASE = phase
    ports = port_pair()
    for combination in itertools.product(CATEGORIES, NATIONALITIES, EVENTS):
        make(combination, ports)

    outbound_batches_run(now=NOW)

    outbox = Path(settings.ENTRY_EXIT_OUTBOX_DIR)
    check_exchange(outbox, phase_in_force=phase)
    sent = sorted(record["record_id"] for _header, record in written_lines(outbox))
    expected = sorted(
        r.source_record_id for r in CrossingRecord.objects.all() if seed_allows(phase, r)
    )
    assert sent == expected
    # 7 categories x 10 nationalities x 3 events; phase 1 sends 3 categories x 8
    # nationalities, phase 2 sends 5 categories x 10, land entries into Canada only.
    assert len(sent) == {1: 24, 2: 50}[phase]
