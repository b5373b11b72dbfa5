"""The exchange file: JSON Lines, UTF-8, one header line then one line per record.

Published as ``docs/entry_exit_outbound.schema.json`` and described in
``docs/entry_exit_exchange.md``. Every line is a JSON object with sorted keys, no spaces
and no escaped non-ASCII, ending in ``\\n``: the same batch always gives the same bytes.
``records_sha256`` in the header is the SHA-256 of every byte after the header line; the
batch's own ``checksum`` is the SHA-256 of the whole file.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime

FORMAT = "nexus-entry-exit"
VERSION = 1
SENDER = "CBSA"


# The fields of a record line, as docs/entry_exit_outbound.schema.json publishes them.
RECORD_FIELDS = frozenset(
    {
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


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def record_line(record) -> dict:
    """The shareable fields of a land entry into Canada, and nothing else: the biographic
    elements, the document, the status category the rules allowed it under, the event,
    the instant and the port."""
    return {
        "type": "record",
        "record_id": record.source_record_id,
        "surname": record.surname,
        "given_names": record.given_names,
        "date_of_birth": record.date_of_birth.isoformat(),
        "sex": record.sex,
        "nationality": record.nationality,
        "document_type": record.document_type,
        "document_number": record.document_number,
        "document_country": record.document_country,
        "status": record.status,
        "event": record.event,
        "occurred_at": instant(record.occurred_at),
        "port_code": record.port.code,
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


def outbound_body(*, batch_id: int, phase: int, created_at: datetime, records: Iterable) -> bytes:
    lines = [line(record_line(record)) for record in records]
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
