"""Inbound batches as the partner writes them, for the inbound tests."""

from datetime import UTC, datetime

from entry_exit import exchange_format

# The moment the tests receive batches; the crossings are shortly before.
RECEIVED = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
US_PORT = "T-US-INB"


def us_row(number: int, **changes) -> dict:
    """A foreign national's land entry into the US (an exit from Canada) as CBP sends it."""
    row = {
        "type": "record",
        "record_id": f"cbp-{number:07d}",
        "surname": "Okafor",
        "given_names": "Chidi Émeka",
        "date_of_birth": "1979-11-02",
        "sex": "M",
        "nationality": "NGA",
        "document_type": "passport",
        "document_number": f"A{number:08d}",
        "document_country": "NGA",
        "status": "foreign_national",
        "event": "land_entry_us",
        "occurred_at": "2026-03-02T10:15:00-05:00",
        "port_code": US_PORT,
    }
    row.update(changes)
    return row


def partner_batch(
    rows, *, batch_id: int = 1, sender: str = "CBP", record_count: int | None = None
) -> bytes:
    """A file in the exchange format: the header (with the records' SHA-256) and a line
    per row; a row given as bytes is written as it is (a broken line)."""
    lines = [row if isinstance(row, bytes) else exchange_format.line(row) for row in rows]
    body = b"".join(lines)
    header = {
        "type": "header",
        "format": exchange_format.FORMAT,
        "version": exchange_format.VERSION,
        "sender": sender,
        "batch_id": batch_id,
        "phase": 1,
        "created_at": "2026-03-02T15:55:00Z",
        "record_count": len(lines) if record_count is None else record_count,
        "records_sha256": exchange_format.sha256(body),
    }
    return exchange_format.line(header) + body
