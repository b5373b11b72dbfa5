"""Importing a carrier's PAXLST interchange: every write of the manifests app.

``manifest_interchange_import`` is the one entry point (the carriers' endpoint and the
file command both call it):

1. Read the interchange (``paxlst.interchange_read``). A fault in the envelope refuses it
   whole: an inbound batch and an interchange row are stored as refused, with the fault's
   place. A fault in a message refuses that message only.
2. Set aside the messages of flights not leaving Canada (``airports``) and refuse those of
   an airline the carrier may not report for.
3. Turn every traveller of the remaining messages into a row of the exchange format —
   event ``air_exit``, source ``carrier_manifest``, the departure airport and time, a
   status category read from the nationality (``status_from_nationality``) — and import
   them with ``inbound_batch_import``: the same validation, batch, claim, chunks and
   idempotency as the land feed. The rows are a function of the file alone, so the same
   file delivered again is the same batch (answered with its report), and an import that
   stopped carries on.
4. Apply the messages to their flights (``manifests_apply``, in the transaction that
   stores the interchange's row): the later version of a flight's list wins and the
   records of the other versions that it does not repeat are deleted; an older version
   arriving late changes nothing. The same file delivered again is answered with its
   report at once (read from that row); after a crash between the import and this step
   there is no row yet, and the delivery goes through the import (which answers from the
   batch) and applies it then.
5. Report the faults — message faults and refused rows alike — by message, segment,
   element and component, never with a value.
"""

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypedDict

from django.db import connection, transaction
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from common.actors import Actor, acting_user
from common.audit import audit_record
from entry_exit import exchange_format
from entry_exit.choices import CANADA, UNITED_STATES, Event, Source, StatusCategory
from entry_exit.manifests import paxlst
from entry_exit.manifests.airports import airport_time_zone
from entry_exit.manifests.carriers import Carrier
from entry_exit.manifests.models import (
    InterchangeStatus,
    Manifest,
    ManifestFlight,
    ManifestInterchange,
    ManifestStatus,
    ManifestTraveller,
    Role,
)
from entry_exit.models import BatchDirection, BatchStatus, CrossingRecord, ExchangeBatch
from entry_exit.services.inbound import (
    MAX_STORED_ROW_ERRORS,
    InboundResult,
    inbound_batch_import,
    inbound_batch_report,
)

logger = logging.getLogger("entry_exit.exchange")

LOOKUP_CHUNK = 5_000

MESSAGES = {
    "airline": _("This carrier may not report manifests for this flight's airline."),
}


def status_from_nationality(nationality: str) -> str:
    """The status category of an air exit record. A manifest says nationality, not status:
    a Canadian or US document is read as a citizen of that country, any other as a foreign
    national. A permanent resident of Canada travelling on a foreign passport is recorded
    as a foreign national: the manifest cannot tell them apart, and an air exit is never
    shared, so the category only sorts the records for the analysts."""
    if nationality == CANADA:
        return StatusCategory.CANADIAN_CITIZEN
    if nationality == UNITED_STATES:
        return StatusCategory.US_CITIZEN
    return StatusCategory.FOREIGN_NATIONAL


def manifest_version(interchange: paxlst.Interchange, message: paxlst.Message) -> str:
    """A string that sorts the versions of a flight's list: the later UNB preparation
    time wins; in the same minute, the higher interchange control reference; then the
    higher message reference (numbers compared as numbers: left-padded)."""
    return (
        f"{interchange.prepared_at:%Y%m%d%H%M}|{interchange.reference[-14:]:0>14}|"
        f"{message.reference[-14:]:0>14}"
    )


def _batch_id(reference: str) -> int:
    """The exchange header's batch id for an interchange control reference: the number
    itself when it is one, otherwise a stable number from its SHA-256."""
    if reference.isascii() and reference.isdigit() and 1 <= int(reference) < 2**63:
        return int(reference)
    return int.from_bytes(hashlib.sha256(reference.encode()).digest()[:8], "big") % 2**62 + 1


def _record_id(message: paxlst.Message, row: dict[str, str]) -> str:
    """The record's id: a digest of its flight and its values. The same person, unchanged,
    in a corrected manifest is the same record (kept, not stored twice); a corrected
    person is a new record, and the old one goes with the version it came from."""
    key = "\x1f".join(
        [message.carrier_code, message.flight_number, row["occurred_at"]]
        + [row[name] for name in sorted(row)]
    )
    return "paxlst-" + hashlib.sha256(key.encode()).hexdigest()[:40]


@dataclass
class _Departing:
    message: paxlst.Message
    departed_at: datetime
    first_line: int  # the line of its first traveller in the exchange file


def _departure(message: paxlst.Message) -> datetime | None:
    zone = airport_time_zone(message.departure_airport)
    if zone is None or message.departure_local is None:
        return None
    return message.departure_local.replace(tzinfo=zone).astimezone(UTC)


def _rows(departing: list[_Departing]) -> list[dict[str, str]]:
    rows = []
    for item in departing:
        message = item.message
        occurred_at = item.departed_at.isoformat()
        for traveller in message.travellers:
            row = {
                "surname": traveller.surname,
                "given_names": traveller.given_names,
                "date_of_birth": traveller.date_of_birth,
                "sex": traveller.sex,
                "nationality": traveller.nationality,
                "document_type": traveller.document_type,
                "document_number": traveller.document_number,
                "document_country": traveller.document_country,
                "status": status_from_nationality(traveller.nationality),
                "event": str(Event.AIR_EXIT),
                "occurred_at": occurred_at,
                "airport_code": message.departure_airport,
                "role": traveller.role,
            }
            row["record_id"] = _record_id(message, row)
            del row["role"]
            row["type"] = "record"
            rows.append(row)
    return rows


def _exchange_body(*, carrier: Carrier, reference: str, rows: list[dict[str, str]]) -> bytes:
    lines = b"".join(exchange_format.line(row) for row in rows)
    header = {
        "type": "header",
        "format": exchange_format.FORMAT,
        "version": exchange_format.VERSION,
        "sender": carrier.partner.sender,
        "batch_id": _batch_id(reference),
        "record_count": len(rows),
        "records_sha256": exchange_format.sha256(lines),
    }
    return exchange_format.line(header) + lines


def _row_fault(
    error: dict[str, Any], *, lines: dict[int, tuple[paxlst.Message, paxlst.Traveller]]
) -> dict[str, Any]:
    """A refused row's error, at the place in the message its field came from."""
    message, traveller = lines[error["line"]]
    key, element, component = paxlst.FIELD_POSITION.get(error["field"], ("NAD", None, None))
    segment = traveller.segments.get(key) or message.segments.get(key)
    if segment is None:  # the segment is missing: the fault is the traveller's
        segment, key, element, component = traveller.segments["NAD"], "NAD", None, None
    tag = key[:3] + ("+" + key[3:] if len(key) > 3 else "")
    return {
        "message": message.reference,
        "segment": segment,
        "tag": tag,
        "element": element,
        "component": component,
        "offset": None,
        "field": error["field"],
        "code": error["code"],
        "reason": error["reason"],
    }


@dataclass
class ManifestResult:
    """What became of one interchange: ``imported``, ``redelivered`` (the same file
    before: nothing changed) or ``refused`` (whole; ``code`` says why)."""

    interchange: ManifestInterchange
    outcome: str
    code: str = ""

    @property
    def report(self) -> dict[str, Any]:
        return manifest_interchange_report(self.interchange)


def manifest_interchange_report(interchange: ManifestInterchange) -> dict[str, Any]:
    """The interchange's report, for the carrier and the command: identifiers, counts and
    each fault's place (message, segment, tag, element, component), code and reason."""
    batch = inbound_batch_report(interchange.batch) if interchange.batch else {}
    return {
        "interchange": interchange.pk,
        "carrier": interchange.carrier,
        "reference": interchange.reference,
        "status": interchange.status,
        "checksum": interchange.checksum,
        "batch": batch.get("batch"),
        "messages": interchange.messages,
        "messages_refused": interchange.messages_refused,
        "messages_not_leaving_canada": interchange.messages_elsewhere,
        "travellers": batch.get("records", 0),
        "imported": batch.get("imported", 0),
        "duplicates": batch.get("duplicates", 0),
        "refused": batch.get("refused", 0),
        "errors": interchange.errors,
        "errors_truncated": len(interchange.errors) >= MAX_STORED_ROW_ERRORS,
    }


def _refuse(
    *,
    carrier: Carrier,
    checksum: str,
    file_name: str,
    received_by: str,
    actor: Actor,
    now: datetime,
    fault: paxlst.Fault,
) -> ManifestResult:
    error = fault.as_dict()
    with transaction.atomic():
        batch = ExchangeBatch.objects.create(
            direction=BatchDirection.INBOUND,
            partner=carrier.partner.name,
            status=BatchStatus.REFUSED,
            checksum=checksum,
            file_name=file_name[:200],
            created_at=now,
            received_at=now,
            last_error=fault.code,
            row_errors=[{"line": 1, "field": "", "code": fault.code, "reason": error["reason"]}],
            handled_by=received_by[:100],
            actor=acting_user(actor),
        )
        interchange = ManifestInterchange.objects.create(
            carrier=carrier.name,
            checksum=checksum,
            file_name=file_name[:200],
            status=InterchangeStatus.REFUSED,
            batch=batch,
            errors=[error],
            received_at=now,
        )
        audit_record(
            actor=actor,
            action="manifestinterchange.refused",
            target=interchange,
            carrier=carrier.name,
            checksum=checksum,
            reason=fault.code,
            segment=fault.segment,
            handled_by=received_by,
        )
    logger.warning(
        "manifest interchange %s from carrier %s refused (%s at segment %s): sha256 %s",
        interchange.pk,
        carrier.name,
        fault.code,
        fault.segment,
        checksum,
    )
    return ManifestResult(interchange, "refused", fault.code)


def _redelivered(
    interchange: ManifestInterchange, *, actor: Actor, received_by: str
) -> ManifestResult:
    """The same file from the same carrier, imported and applied before: its report."""
    audit_record(
        actor=actor,
        action="manifestinterchange.redelivered",
        target=interchange,
        carrier=interchange.carrier,
        checksum=interchange.checksum,
        handled_by=received_by,
    )
    logger.info(
        "manifest interchange %s from carrier %s delivered again: answered with its report",
        interchange.pk,
        interchange.carrier,
    )
    return ManifestResult(interchange, "redelivered")


class _Refusal(TypedDict):
    """``_refuse``'s arguments but the fault: the same for every refusal of a delivery."""

    carrier: Carrier
    checksum: str
    file_name: str
    received_by: str
    actor: Actor
    now: datetime


def manifest_interchange_import(
    *,
    carrier: Carrier,
    body: bytes,
    now: datetime,
    file_name: str = "",
    received_by: str = "",
    actor: Actor = None,
    progress: Callable[[int], None] | None = None,
) -> ManifestResult:
    """Import one PAXLST interchange from ``carrier``; see the module's docstring.

    ``progress`` is called with the travellers done after each chunk. Raises
    ``EntryExitError`` (conflict) while another run imports the same file.
    """
    checksum = hashlib.sha256(body).hexdigest()
    refusal: _Refusal = {
        "carrier": carrier,
        "checksum": checksum,
        "file_name": file_name,
        "received_by": received_by,
        "actor": actor,
        "now": now,
    }
    held = (
        ManifestInterchange.objects.filter(carrier=carrier.name, checksum=checksum)
        .exclude(status=InterchangeStatus.REFUSED)
        .select_related("batch")
        .first()
    )
    if held is not None:
        return _redelivered(held, actor=actor, received_by=received_by)
    try:
        interchange = paxlst.interchange_read(body)
    except paxlst.Fault as fault:
        return _refuse(**refusal, fault=fault)

    faults = [fault.as_dict() for fault in interchange.faults]
    departing: list[_Departing] = []
    elsewhere = airline_refused = 0
    line = 2  # the exchange file's header is line 1
    for message in interchange.messages:
        if not carrier.may_report(message.carrier_code):
            airline_refused += 1
            faults.append(
                {
                    "message": message.reference,
                    "segment": message.segments["TDT"],
                    "tag": "TDT",
                    "element": 5,
                    "component": 1,
                    "offset": None,
                    "field": "",
                    "code": "airline",
                    "reason": str(MESSAGES["airline"]),
                }
            )
            continue
        departed_at = _departure(message)
        if departed_at is None:
            elsewhere += 1
            continue
        departing.append(_Departing(message, departed_at, line))
        line += len(message.travellers)
    rows = _rows(departing)
    exchange_body = _exchange_body(carrier=carrier, reference=interchange.reference, rows=rows)
    result: InboundResult = inbound_batch_import(
        partner=carrier.partner,
        body=exchange_body,
        now=now,
        file_name=file_name,
        received_by=received_by,
        actor=actor,
        progress=progress,
    )
    if result.outcome == "refused":
        # The same control reference with other contents (batch_id_reused): the batch
        # row is the refusal; the interchange says so too.
        place = paxlst.Fault("unb_element", segment=1, tag="UNB", element=5).as_dict()
        error = result.batch.row_errors[0]
        with transaction.atomic():
            row = ManifestInterchange.objects.create(
                carrier=carrier.name,
                reference=interchange.reference[:35],
                sender=interchange.sender[:35],
                prepared_at=interchange.prepared_at.replace(tzinfo=UTC),
                checksum=checksum,
                file_name=file_name[:200],
                status=InterchangeStatus.REFUSED,
                batch=result.batch,
                messages=interchange.message_count,
                errors=[{**place, "code": result.code, "reason": error["reason"]}],
                received_at=now,
            )
        return ManifestResult(row, "refused", result.code)

    lines = {
        item.first_line + index: (item.message, traveller)
        for item in departing
        for index, traveller in enumerate(item.message.travellers)
    }
    row_faults = [_row_fault(error, lines=lines) for error in result.batch.row_errors]
    with transaction.atomic():
        row, created = ManifestInterchange.objects.get_or_create(
            carrier=carrier.name,
            checksum=checksum,
            status=InterchangeStatus.IMPORTED,
            defaults={
                "reference": interchange.reference[:35],
                "sender": interchange.sender[:35],
                "prepared_at": interchange.prepared_at.replace(tzinfo=UTC),
                "file_name": file_name[:200],
                "batch": result.batch,
                "messages": interchange.message_count,
                "messages_refused": len(interchange.faults) + airline_refused,
                "messages_elsewhere": elsewhere,
                "errors": (faults + row_faults)[:MAX_STORED_ROW_ERRORS],
                "received_at": now,
            },
        )
        if created:
            audit_record(
                actor=actor,
                action="manifestinterchange.received",
                target=row,
                carrier=carrier.name,
                batch=result.batch.pk,
                messages=row.messages,
                messages_refused=row.messages_refused,
                messages_elsewhere=elsewhere,
                checksum=checksum,
                handled_by=received_by,
            )
        # In the same transaction as the interchange's row: a row means it was applied.
        manifests_apply(
            interchange=row,
            departing=departing,
            version=lambda message: manifest_version(interchange, message),
            record_ids=[row_values["record_id"] for row_values in rows],
            now=now,
            actor=actor,
        )
    outcome = "imported" if created else "redelivered"
    logger.info(
        "manifest interchange %s from carrier %s %s: %s messages, %s refused, %s not leaving "
        "Canada; batch %s",
        row.pk,
        carrier.name,
        outcome,
        row.messages,
        row.messages_refused,
        row.messages_elsewhere,
        result.batch.pk,
    )
    return ManifestResult(row, outcome)


def _records_by_id(record_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(record_ids), LOOKUP_CHUNK):
        found.update(
            CrossingRecord.objects.filter(
                source=Source.CARRIER_MANIFEST,
                source_record_id__in=record_ids[start : start + LOOKUP_CHUNK],
            ).values_list("source_record_id", "pk")
        )
    return found


_TRAVELLER_COLUMNS = ("manifest_id", "role", "position", "segment", "record_id")


# A traveller's row: manifest id, role, position, segment and record id (None: refused).
_TravellerRow = tuple[int, str, int, int, int | None]
# A flight's list: carrier, flight number, local departure date and list kind.
_FlightKey = tuple[str, str, date, str]


def _travellers_insert(rows: Iterable[_TravellerRow]) -> None:
    """Store the travellers, given as (manifest id, role, position, segment, record id):
    on PostgreSQL with COPY (a hundred thousand travellers in a second rather than ten),
    elsewhere in bulk."""
    if connection.vendor != "postgresql":
        ManifestTraveller.objects.bulk_create(
            (ManifestTraveller(**dict(zip(_TRAVELLER_COLUMNS, row, strict=True))) for row in rows),
            batch_size=LOOKUP_CHUNK,
        )
        return
    table = connection.ops.quote_name(ManifestTraveller._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _TRAVELLER_COLUMNS)
    # Table and column names come from the model, never from input.
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _flight_key(message: paxlst.Message) -> _FlightKey:
    # Only a departing message's flight is looked up: it has its departure time.
    assert message.departure_local is not None
    return (
        message.carrier_code[:3],
        message.flight_number[:17],
        message.departure_local.date(),
        message.list_kind,
    )


def _flights_locked(departing: list[_Departing]) -> dict[_FlightKey, ManifestFlight]:
    """The interchange's flights, created where new, locked in id order (two imports of
    the same flights take turns and never wait on each other in a cycle)."""
    keys = {_flight_key(item.message): item.message.departure_airport for item in departing}
    ManifestFlight.objects.bulk_create(
        [
            ManifestFlight(
                carrier_code=key[0],
                flight_number=key[1],
                departure_date=key[2],
                list_kind=key[3],
                departure_airport=airport,
            )
            for key, airport in keys.items()
        ],
        ignore_conflicts=True,
    )
    flights: dict[_FlightKey, ManifestFlight] = {}
    ordered = list(keys)
    for start in range(0, len(ordered), LOOKUP_CHUNK // 10):
        wanted = Q(
            *(
                Q(
                    carrier_code=key[0],
                    flight_number=key[1],
                    departure_date=key[2],
                    list_kind=key[3],
                )
                for key in ordered[start : start + LOOKUP_CHUNK // 10]
            ),
            _connector=Q.OR,
        )
        for flight in ManifestFlight.objects.select_for_update().filter(wanted).order_by("pk"):
            key = (
                flight.carrier_code,
                flight.flight_number,
                flight.departure_date,
                flight.list_kind,
            )
            flights[key] = flight
    return flights


def manifests_apply(
    *,
    interchange: ManifestInterchange,
    departing: list[_Departing],
    version: Callable[[paxlst.Message], str],
    record_ids: list[str],
    now: datetime,
    actor: Actor = None,
) -> None:
    """Record each message as a version of its flight's list, and make the latest version
    of each flight the one whose records stand. One transaction for the interchange.

    1. Find or create the flights (carrier, flight number, local departure date, list)
       and lock them.
    2. Create the manifests and their travellers, each linked to its record (imported
       before; a refused row has none). Manifests already there mean this interchange was
       applied before, whole: nothing more to do.
    3. For each flight, the winner is the latest version among the current one and this
       interchange's. Every record of the flight that the winner does not hold is deleted
       (unless under legal hold);
       the winner is marked current, the other versions superseded. A flight seen for the
       first time, with one version, has nothing to compare.
    """
    if not departing:
        return
    with transaction.atomic():
        flights = _flights_locked(departing)
        if Manifest.objects.filter(interchange=interchange).exists():
            return  # applied before, in one transaction: whole
        records = _records_by_id(record_ids)
        manifests = []
        for item in departing:
            message = item.message
            manifests.append(
                Manifest(
                    interchange=interchange,
                    flight=flights[_flight_key(message)],
                    message_reference=message.reference[:35],
                    document_code=message.document_code[:3],
                    departure_airport=message.departure_airport,
                    departed_at=item.departed_at,
                    arrival_airport=message.arrival_airport[:3],
                    arrival_local=(
                        message.arrival_local.strftime("%Y-%m-%dT%H:%M")
                        if message.arrival_local
                        else ""
                    ),
                    version=version(message),
                    status=ManifestStatus.SUPERSEDED,
                    passengers=sum(1 for t in message.travellers if t.role == Role.PASSENGER),
                    crew=sum(1 for t in message.travellers if t.role == Role.CREW),
                    received_at=now,
                )
            )
        Manifest.objects.bulk_create(manifests)
        _travellers_insert(
            (
                manifest.pk,
                traveller.role,
                traveller.position,
                traveller.segments["NAD"],
                records.get(record_ids[item.first_line - 2 + index]),
            )
            for item, manifest in zip(departing, manifests, strict=True)
            for index, traveller in enumerate(item.message.travellers)
        )

        current_versions = dict(
            Manifest.objects.filter(
                pk__in=[flight.current_id for flight in flights.values() if flight.current_id]
            ).values_list("pk", "version")
        )
        candidates: dict[int, list[tuple[str, int]]] = {
            flight.pk: ([(current_versions[flight.current_id], flight.current_id)])
            if flight.current_id
            else []
            for flight in flights.values()
        }
        for manifest in manifests:
            candidates[manifest.flight_id].append((manifest.version, manifest.pk))
        winners = {flight: max(versions)[1] for flight, versions in candidates.items()}
        contested = [flight for flight, versions in candidates.items() if len(versions) > 1]
        stale: set[int] = set()
        held = 0
        if contested:
            replaced = CrossingRecord.objects.filter(
                manifest_travellers__manifest__flight__in=contested
            ).exclude(manifest_travellers__manifest__in=[winners[f] for f in contested])
            # A record under legal hold outlives the version it came from: a correction
            # does not delete what a hold keeps (it stays, linked to that version).
            stale = set(replaced.filter(legal_hold=False).values_list("pk", flat=True))
            held = replaced.filter(legal_hold=True).count()
        for start in range(0, len(stale), LOOKUP_CHUNK):
            chunk = list(stale)[start : start + LOOKUP_CHUNK]
            CrossingRecord.objects.filter(pk__in=chunk).delete()
        changed = [flight for flight in flights.values() if flight.current_id != winners[flight.pk]]
        for flight in changed:
            flight.current_id = winners[flight.pk]
        ManifestFlight.objects.bulk_update(changed, ["current"], batch_size=LOOKUP_CHUNK)
        Manifest.objects.filter(flight__in=changed).update(
            status=Case(
                When(pk__in=[winners[flight.pk] for flight in changed], then=Value("current")),
                default=Value(ManifestStatus.SUPERSEDED),
            )
        )
        audit_record(
            actor=actor,
            action="manifestinterchange.applied",
            target=interchange,
            manifests=len(manifests),
            flights=len(flights),
            versions_made_current=len(changed),
            records_replaced=len(stale),
            records_kept_under_legal_hold=held,
        )
