"""What the database itself refuses: an outbound item the share rules forbid, a record
twice from one source, an air exit at a land port. Run on SQLite and on PostgreSQL."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction

from entry_exit.choices import Event, StatusCategory
from entry_exit.models import BatchStatus, ExchangeBatch, OutboundItem, purge_date
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory, port_pair

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
C = StatusCategory


def outbound_batch(phase: int = 1) -> ExchangeBatch:
    return ExchangeBatch.objects.create(
        direction="outbound", partner="cbp", phase=phase, status="building", created_at=NOW
    )


def item(batch, record, **copied) -> OutboundItem:
    values = {
        "phase": batch.phase,
        "status": record.status,
        "nationality": record.nationality,
        "event": record.event,
        **copied,
    }
    return OutboundItem.objects.create(batch=batch, record=record, **values)


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


# --- OutboundItem: the share rules, in the database --------------------------------------


@pytest.mark.parametrize(
    ("phase", "status", "nationality"),
    [
        (1, C.CANADIAN_CITIZEN, "CAN"),
        (1, C.US_CITIZEN, "USA"),
        (1, C.REGISTERED_INDIAN, "CAN"),
        (1, C.PROTECTED_PERSON, "SYR"),
        (1, C.PERMANENT_RESIDENT_CA, "USA"),  # a permanent resident who is a US citizen
        (1, C.LAWFUL_PERMANENT_RESIDENT_US, "CAN"),  # an LPR who is a Canadian citizen
        (1, C.FOREIGN_NATIONAL, "USA"),
        (2, C.REGISTERED_INDIAN, "CAN"),
        (2, C.PROTECTED_PERSON, "SYR"),
    ],
)
def test_the_database_refuses_an_item_the_rules_forbid(phase, status, nationality):
    batch = outbound_batch(phase)
    record = CrossingRecordFactory(status=status, nationality=nationality)
    assert refused(lambda: item(batch, record))
    assert not OutboundItem.objects.exists()


@pytest.mark.parametrize("event", [Event.AIR_EXIT, Event.LAND_ENTRY_US])
def test_the_database_refuses_an_item_for_an_event_never_shared(event):
    batch = outbound_batch(2)
    record = CrossingRecordFactory()
    assert refused(lambda: item(batch, record, event=event))


@pytest.mark.parametrize(
    ("phase", "status", "nationality"),
    [
        (1, C.FOREIGN_NATIONAL, "FRA"),
        (1, C.PERMANENT_RESIDENT_CA, "MEX"),
        (1, C.LAWFUL_PERMANENT_RESIDENT_US, "IND"),
        (2, C.CANADIAN_CITIZEN, "CAN"),
        (2, C.US_CITIZEN, "USA"),
        (2, C.PERMANENT_RESIDENT_CA, "USA"),
    ],
)
def test_the_database_takes_an_item_the_rules_allow(phase, status, nationality):
    batch = outbound_batch(phase)
    record = CrossingRecordFactory(status=status, nationality=nationality)
    assert not refused(lambda: item(batch, record))


def test_an_item_copying_a_false_phase_is_refused_too():
    # A phase-1 batch's item claiming phase 2 for a citizen: the phase the item carries
    # must allow it, and the services always copy the batch's.
    batch = outbound_batch(1)
    record = CrossingRecordFactory(status=C.CANADIAN_CITIZEN, nationality="CAN")
    assert refused(lambda: item(batch, record, phase=3))


def test_a_record_is_in_one_outbound_item_only():
    record = CrossingRecordFactory()
    item(outbound_batch(), record)
    assert refused(lambda: item(outbound_batch(), record))


# --- CrossingRecord ----------------------------------------------------------------------


def test_a_source_delivers_a_record_id_once():
    CrossingRecordFactory(source_record_id="abc")
    assert refused(lambda: CrossingRecordFactory(source_record_id="abc"))
    # Another source may use the same id.
    assert not refused(lambda: CrossingRecordFactory(source_record_id="abc", us_entry=True))


def test_an_air_exit_has_an_airport_and_no_port():
    assert not refused(lambda: CrossingRecordFactory(air_exit=True))
    assert refused(lambda: CrossingRecordFactory(air_exit=True, port=PortFactory()))
    assert refused(lambda: CrossingRecordFactory(air_exit=True, airport_code=""))


def test_a_land_crossing_has_a_port_and_no_airport():
    assert refused(lambda: CrossingRecordFactory(port=None))
    assert refused(lambda: CrossingRecordFactory(airport_code="YUL"))


def test_a_source_records_only_its_own_event():
    assert refused(lambda: CrossingRecordFactory(event=Event.LAND_ENTRY_US))
    assert refused(lambda: CrossingRecordFactory(us_entry=True, source="cbsa_primary"))


# --- ExchangeBatch and Port --------------------------------------------------------------


def test_an_outbound_batch_has_a_phase_and_an_outbound_status():
    def batch(**fields):
        values = {"direction": "outbound", "partner": "cbp", "phase": 1, "status": "building"}
        values.update(fields)
        return lambda: ExchangeBatch.objects.create(created_at=NOW, **values)

    assert refused(batch(phase=None))
    assert refused(batch(phase=3))
    assert refused(batch(status=BatchStatus.IMPORTED))
    assert refused(batch(direction="inbound"))  # an inbound batch has no phase
    assert not refused(batch(direction="inbound", phase=None, status=BatchStatus.RECEIVED))


def test_a_port_is_paired_once_and_never_with_itself():
    canada, united_states = port_pair()
    assert refused(lambda: PortFactory(counterpart=united_states))
    canada.counterpart = canada
    assert refused(lambda: canada.save())


def test_only_a_us_port_has_a_cbp_port_code():
    assert refused(lambda: PortFactory(cbp_port_code="3004"))
    assert not refused(lambda: PortFactory(us=True, cbp_port_code="3004"))


# --- The purge date ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "years", "purge_on"),
    [
        (datetime(2026, 3, 2, 15, 0, tzinfo=UTC), 15, date(2041, 3, 2)),
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 15, date(2043, 3, 1)),  # kept the full term
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 4, date(2032, 2, 29)),
        # The UTC day: 23:30 in Vancouver on 31 December is 1 January in UTC.
        (datetime(2027, 1, 1, 7, 30, tzinfo=UTC), 15, date(2042, 1, 1)),
    ],
)
def test_the_purge_date_is_the_retention_after_the_utc_day_of_receipt(received_at, years, purge_on):
    assert purge_date(received_at, years) == purge_on
