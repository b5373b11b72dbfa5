"""Importing manifests: air exit records through the inbound import, the later version of
a flight winning, faults reported at their place, and nothing ever sent to the partner."""

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, connections

from common.models import AuditEvent
from entry_exit.choices import Event, Source
from entry_exit.manifests import services
from entry_exit.manifests.carriers import Carrier
from entry_exit.manifests.models import (
    Manifest,
    ManifestFlight,
    ManifestInterchange,
    ManifestTraveller,
)
from entry_exit.manifests.services import manifest_interchange_import
from entry_exit.manifests.synthetic import paxlst_interchange
from entry_exit.manifests.tests.messages import (
    NOW,
    PUBLISHED_PASSENGER,
    interchange,
    message,
    passenger,
)
from entry_exit.models import CrossingRecord, ExchangeBatch, OutboundItem
from entry_exit.services.outbound import outbound_batches_run
from entry_exit.tests.factories import CrossingRecordFactory

pytestmark = pytest.mark.django_db

AIR_CANADA = Carrier(name="ac", airlines=frozenset({"AC"}))


def send(body: bytes, *, carrier: Carrier = AIR_CANADA, now: datetime = NOW):
    return manifest_interchange_import(carrier=carrier, body=body, now=now, received_by="test")


def air_exits():
    return CrossingRecord.objects.filter(event=Event.AIR_EXIT)


def test_the_published_example_becomes_one_air_exit_record():
    result = send(interchange([message([PUBLISHED_PASSENGER])]))

    assert result.outcome == "imported"
    record = air_exits().get()
    assert record.source == Source.CARRIER_MANIFEST
    assert (record.surname, record.given_names) == ("SURNAME", "GIVEN MIDDLE")
    assert record.given_names_normalised == "GIVEN MIDDLE"
    assert record.sex == "M" and record.date_of_birth == date(1977, 10, 19)
    assert (record.nationality, record.document_country) == ("USA", "USA")
    assert (record.document_type, record.document_number) == ("passport", "823632598")
    assert record.status == "us_citizen"
    assert record.airport_code == "YYZ" and record.port is None
    # 13:40 in Toronto on 2 March 2026 (EST, UTC-5).
    assert record.occurred_at == datetime(2026, 3, 2, 18, 40, tzinfo=UTC)
    traveller = ManifestTraveller.objects.get()
    assert traveller.record == record and traveller.role == "passenger"
    assert traveller.segment == 9
    manifest = Manifest.objects.get()
    assert manifest.status == "current" and manifest.flight.current == manifest
    assert (manifest.departure_airport, manifest.arrival_airport) == ("YYZ", "LHR")
    assert manifest.arrival_local == "2026-03-03T02:00"
    assert manifest.passengers == 1 and manifest.crew == 0
    report = result.report
    assert report["imported"] == 1 and report["refused"] == 0 and report["errors"] == []
    assert ExchangeBatch.objects.get().partner == "carrier:ac"


def test_the_same_file_again_changes_nothing():
    body = interchange([message([passenger(), passenger("GAGNON")])])
    first = send(body)
    again = send(body, now=NOW + timedelta(minutes=3))

    assert again.outcome == "redelivered"
    assert again.interchange == first.interchange
    assert air_exits().count() == 2
    assert ManifestTraveller.objects.count() == 2 and Manifest.objects.count() == 1


def test_an_import_stopped_before_its_flights_were_applied_is_finished_by_a_redelivery(
    monkeypatch,
):
    body = interchange([message([passenger(), passenger("GAGNON")])])

    def crash(**kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(services, "manifests_apply", crash)
    with pytest.raises(RuntimeError):
        send(body)
    assert air_exits().count() == 2  # the import's chunks were committed
    assert not ManifestInterchange.objects.exists() and not Manifest.objects.exists()
    monkeypatch.undo()

    result = send(body, now=NOW + timedelta(minutes=5))

    assert result.outcome == "imported"
    assert air_exits().count() == 2
    assert ManifestTraveller.objects.filter(record__isnull=False).count() == 2
    assert ManifestFlight.objects.get().current == Manifest.objects.get()
    assert send(body).outcome == "redelivered"


def test_crew_and_passengers_are_kept_apart():
    send(
        interchange(
            [
                message([passenger(), passenger("GAGNON")], reference="1"),
                message([passenger("WONG", qualifier="FM")], reference="2", document_code="250"),
            ]
        )
    )
    flights = ManifestFlight.objects.order_by("list_kind")
    assert [flight.list_kind for flight in flights] == ["crew", "passenger"]
    crew = ManifestTraveller.objects.filter(role="crew")
    assert [t.record.surname for t in crew] == ["WONG"]
    assert ManifestTraveller.objects.filter(role="passenger").count() == 2
    # A corrected passenger list leaves the crew list alone.
    send(interchange([message([passenger()])], reference="1002", prepared="260303:1000"))
    assert set(air_exits().values_list("surname", flat=True)) == {"TREMBLAY", "WONG"}


def test_a_corrected_manifest_replaces_the_flights_records_and_nothing_is_doubled():
    send(interchange([message([passenger(), passenger("GAGNON"), passenger("SMITH")])]))
    unchanged = air_exits().get(surname="TREMBLAY")

    corrected = [passenger(), passenger("GAGNON", born="850318")]
    result = send(interchange([message(corrected)], reference="1002", prepared="260303:0930"))

    assert result.outcome == "imported"
    assert sorted(air_exits().values_list("surname", "date_of_birth")) == [
        ("GAGNON", date(1985, 3, 18)),
        ("TREMBLAY", date(1985, 3, 17)),
    ]
    assert air_exits().get(surname="TREMBLAY").pk == unchanged.pk  # kept, not stored again
    first, second = Manifest.objects.order_by("version")
    assert (first.status, second.status) == ("superseded", "current")
    assert ManifestFlight.objects.get().current == second
    assert second.travellers.filter(record__isnull=True).count() == 0
    assert result.report["duplicates"] == 1 and result.report["imported"] == 1
    applied = AuditEvent.objects.filter(action="manifestinterchange.applied").order_by("pk")
    assert [event.data["records_replaced"] for event in applied] == [0, 2]


def test_a_correction_does_not_delete_a_record_under_legal_hold():
    send(interchange([message([passenger(), passenger("GAGNON")])]))
    air_exits().filter(surname="GAGNON").update(legal_hold=True)

    send(interchange([message([passenger()])], reference="1002", prepared="260303:0930"))

    assert sorted(air_exits().values_list("surname", flat=True)) == ["GAGNON", "TREMBLAY"]
    applied = AuditEvent.objects.filter(action="manifestinterchange.applied").order_by("pk").last()
    assert applied.data["records_kept_under_legal_hold"] == 1
    assert applied.data["records_replaced"] == 0


def test_an_older_version_arriving_late_does_not_override_the_newer():
    newer = interchange([message([passenger()])], reference="1002", prepared="260303:0930")
    older = interchange(
        [message([passenger(), passenger("GAGNON")])], reference="1001", prepared="260303:0900"
    )
    send(newer)
    result = send(older)

    assert result.outcome == "imported"
    assert list(air_exits().values_list("surname", flat=True)) == ["TREMBLAY"]
    current = ManifestFlight.objects.get().current
    assert current.interchange.reference == "1002"
    assert Manifest.objects.get(interchange__reference="1001").status == "superseded"


def test_a_malformed_message_is_refused_with_its_place_and_the_rest_is_imported():
    body = interchange(
        [
            message([passenger()], reference="1"),
            message([passenger("GAGNON")], reference="2", flight="AC857", unt_count=5),
            message([passenger("SMITH")], reference="3", flight="AC858"),
        ]
    )
    result = send(body)

    report = result.report
    assert result.outcome == "imported"
    assert sorted(air_exits().values_list("surname", flat=True)) == ["SMITH", "TREMBLAY"]
    assert report["messages"] == 3 and report["messages_refused"] == 1
    (error,) = report["errors"]
    assert error["message"] == "2" and error["segment"] == 17 and error["tag"] == "UNT"
    assert error["element"] == 1 and error["code"] == "unt_count"
    assert error["offset"] == body.decode().index("UNT+5")


def test_a_refused_traveller_is_reported_at_the_segment_its_field_came_from():
    result = send(interchange([message([passenger(), passenger("GAGNON", nationality="ZZZ")])]))

    report = result.report
    assert report["imported"] == 1 and report["refused"] == 1
    errors = {(e["field"], e["code"]): e for e in report["errors"]}
    nationality = errors["nationality", "country_code"]
    # The second traveller's NAD is segment 16; NAT is its fourth segment.
    assert (nationality["message"], nationality["segment"], nationality["tag"]) == ("1", 19, "NAT")
    assert (nationality["element"], nationality["component"]) == (2, 1)
    assert "ZZZ" not in json.dumps(report)  # never a value
    refused = ManifestTraveller.objects.get(position=2)
    assert refused.record is None and refused.segment == 16


def test_a_departure_not_yet_made_is_refused_by_the_validation():
    result = send(interchange([message([passenger()], departs="2603031340")]))
    (error,) = result.report["errors"]
    assert (error["field"], error["code"], error["tag"]) == (
        "occurred_at",
        "instant_future",
        "DTM+189",
    )
    assert error["segment"] == 6
    assert not air_exits().exists()


def test_only_a_flight_leaving_canada_makes_exit_records():
    result = send(
        interchange(
            [
                message([passenger()], reference="1", departure="LHR", arrival="YYZ"),
                message([passenger("SMITH")], reference="2", departure="YVR", arrival="NRT"),
            ]
        )
    )
    assert list(air_exits().values_list("surname", "airport_code")) == [("SMITH", "YVR")]
    assert result.report["messages_not_leaving_canada"] == 1
    assert result.report["errors"] == []


def test_a_carrier_may_not_report_another_airlines_flight():
    result = send(
        interchange(
            [
                message([passenger()], reference="1"),
                message([passenger("SMITH")], reference="2", flight="WS12", airline="WS"),
            ]
        )
    )
    assert list(air_exits().values_list("surname", flat=True)) == ["TREMBLAY"]
    (error,) = result.report["errors"]
    assert (error["message"], error["tag"], error["code"]) == ("2", "TDT", "airline")


def test_an_envelope_fault_refuses_the_whole_interchange():
    result = send(interchange([message([passenger()])], count=2))

    assert result.outcome == "refused" and result.code == "unz_count"
    assert not air_exits().exists()
    assert result.interchange.status == "refused"
    assert result.interchange.batch.status == "refused"
    (error,) = result.report["errors"]
    assert error["tag"] == "UNZ" and error["element"] == 1
    assert AuditEvent.objects.filter(action="manifestinterchange.refused").exists()


def test_a_control_reference_reused_with_other_contents_is_refused():
    send(interchange([message([passenger()])]))
    result = send(interchange([message([passenger("GAGNON")])]))

    assert result.outcome == "refused" and result.code == "batch_id_reused"
    assert list(air_exits().values_list("surname", flat=True)) == ["TREMBLAY"]


def test_a_synthetic_day_imports_every_traveller():
    body = paxlst_interchange(
        seed=3, day=date(2026, 3, 1), flights=3, passengers=20, crew=4, airline="AC"
    )
    result = send(body)
    report = result.report
    assert report["errors"] == [] and report["refused"] == 0
    assert report["imported"] == 3 * 24
    assert ManifestTraveller.objects.filter(role="crew").count() == 12
    assert ManifestInterchange.objects.get().messages == 6


@pytest.mark.parametrize("phase", [1, 2])
def test_air_exit_records_are_never_sent_to_the_partner(settings, phase):
    settings.ENTRY_EXIT_PHASE = phase
    send(
        paxlst_interchange(seed=4, day=date(2026, 3, 1), flights=4, passengers=25, crew=3),
    )
    # And a land entry the phase shares, so the run does send a batch.
    shared = CrossingRecordFactory()
    assert air_exits().count() == 4 * 28
    # Every status category an air exit can carry is there.
    assert set(air_exits().values_list("status", flat=True)) == {
        "canadian_citizen",
        "us_citizen",
        "foreign_national",
    }

    summary = outbound_batches_run(now=NOW + timedelta(days=1))

    assert summary.sent == 1
    assert list(OutboundItem.objects.values_list("record", flat=True)) == [shared.pk]
    assert not OutboundItem.objects.filter(record__event=Event.AIR_EXIT).exists()
    files = list(settings.ENTRY_EXIT_OUTBOX_DIR.glob("*.jsonl"))
    lines = [json.loads(line) for path in files for line in path.read_bytes().splitlines()]
    assert [line["record_id"] for line in lines if line["type"] == "record"] == [
        shared.source_record_id
    ]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (row locks, threads)"
)
@pytest.mark.django_db(transaction=True)
def test_two_versions_of_a_flight_imported_at_once_leave_the_later_one():
    older = interchange(
        [message([passenger(), passenger("GAGNON")])], reference="1001", prepared="260303:0900"
    )
    newer = interchange(
        [message([passenger("SMITH"), passenger("WONG")])],
        reference="1002",
        prepared="260303:0930",
    )
    errors = []

    def deliver(body):
        try:
            send(body)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(body,)) for body in (older, newer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(air_exits().values_list("surname", flat=True)) == ["SMITH", "WONG"]
    assert ManifestFlight.objects.get().current.interchange.reference == "1002"
