"""The exchange file: JSON Lines, UTF-8, one header line then one line per record.

Published as ``docs/entry_exit_outbound.schema.json`` and described in
``docs/entry_exit_exchange.md``. Every line is a JSON object with sorted keys, no spaces
and no escaped non-ASCII, ending in ``\\n``: the same batch always gives the same bytes.
``records_sha256`` in the header is the SHA-256 of every byte after the header line; the
batch's own ``checksum`` is the SHA-256 of the whole file.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

FORMAT = "nexus-entry-exit"
VERSION = 1
SENDER = "CBSA"


# The fields of a record line, as docs/entry_exit_outbound.schema.json publishes them,
# and ``airport_code``, which only an air exit carries: the carriers' manifests
# (``entry_exit.manifests``) are imported as exchange files too. The outbound file never
# writes it (air exits never leave Canada); on a land crossing it is refused.
RECORD_FIELDS = frozenset(
    {
        "airport_code",
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
)


def instant(moment: datetime) -> str:
    """UTC in ISO 8601 with a Z: ``2026-03-02T15:04:05Z`` (microseconds only if any)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def line(obj: dict) -> bytes:
    return (
        json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    )


def sha256(body: bytes | memoryview) -> str:
    return hashlib.sha256(body).hexdigest()


# The columns a record line is made from (``port_code`` is the port's code), read by the
# outbound exchange with ``values()``: rows, not model instances.
RECORD_LINE_COLUMNS = (
    "source_record_id",
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
)


def record_line(values: Mapping) -> dict:
    """The shareable fields of a land entry into Canada, and nothing else: the biographic
    elements, the document, the status category the rules allowed it under, the event,
    the instant and the port. ``values``: ``RECORD_LINE_COLUMNS`` and ``port_code``."""
    return {
        "type": "record",
        "record_id": values["source_record_id"],
        "surname": values["surname"],
        "given_names": values["given_names"],
        "date_of_birth": values["date_of_birth"].isoformat(),
        "sex": values["sex"],
        "nationality": values["nationality"],
        "document_type": values["document_type"],
        "document_number": values["document_number"],
        "document_country": values["document_country"],
        "status": values["status"],
        "event": values["event"],
        "occurred_at": instant(values["occurred_at"]),
        "port_code": values["port_code"],
    }


def header_line(*, batch_id: int, phase: int, created_at: datetime, records: int, digest: str):
    return {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "sender": SENDER,
        "batch_id": batch_id,
        "phase": phase,
        "created_at": instant(created_at),
        "record_count": records,
        "records_sha256": digest,
    }


def outbound_body(
    *, batch_id: int, phase: int, created_at: datetime, record_lines: Iterable[bytes]
) -> bytes:
    """The whole file: the header line, then ``record_lines`` (each ``line(record_line(…))``)
    in the order given."""
    lines = list(record_lines)
    body = b"".join(lines)
    header = header_line(
        batch_id=batch_id,
        phase=phase,
        created_at=created_at,
        records=len(lines),
        digest=sha256(body),
    )
    return line(header) + body


def file_name(*, batch_id: int, phase: int, created_at: datetime) -> str:
    stamp = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{FORMAT}-{batch_id:08d}-phase{phase}-{stamp}.jsonl"
