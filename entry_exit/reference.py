"""Loading the ports of entry from the project's reference file (``data/ports.json``).

The file lists Canada–US land crossings in pairs, each side with its code, names, province
or state and IANA time zone; its ``about`` lines say which codes are published ones and
which are ours. It is read from inside the package, never from outside the repository.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from common.audit import audit_record
from entry_exit.choices import Country
from entry_exit.errors import EntryExitError
from entry_exit.models import Port

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "ports.json"

# The port fields the reference file owns; ``is_active`` is the administrators'.
PORT_FIELDS = (
    "code_is_official",
    "cbp_port_code",
    "name",
    "name_fr",
    "country",
    "region",
    "time_zone",
)

SIDES = (("canada", Country.CANADA), ("united_states", Country.UNITED_STATES))


@dataclass
class PortsImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Code -> port, for every row imported.
    ports: dict[str, Port] = field(default_factory=dict)


def reference_rows(path: Path = REFERENCE_FILE) -> list[dict[str, Any]]:
    """One row per port: its fields from ``PORT_FIELDS``, ``code`` and the code of its
    ``counterpart`` across the border."""
    with path.open(encoding="utf-8") as f:
        pairs = json.load(f)["pairs"]
    rows = []
    for pair in pairs:
        for (side, country), (other, _country) in zip(SIDES, reversed(SIDES), strict=True):
            row = {"name_fr": "", "cbp_port_code": "", **pair[side], "country": str(country)}
            row["counterpart"] = pair[other]["code"]
            rows.append(row)
    codes = [row["code"] for row in rows]
    if len(set(codes)) != len(codes):
        raise EntryExitError("A port code appears twice in the reference file.", code="ports")
    return rows


def ports_import_reference(*, path: Path = REFERENCE_FILE) -> PortsImportResult:
    """Create or update the ports of the reference file, matched by code; idempotent.

    1. Upsert each port's own fields; a port whose fields already match is not saved.
    2. Pair each with its counterpart, both ways, once every port exists (a pairing that
       changes is undone first: each port has at most one counterpart).
    3. Audit each port that changed. Ports the file no longer lists are left alone.
    """
    rows = reference_rows(path)
    result = PortsImportResult()
    changed: set[str] = set()
    with transaction.atomic():
        existing = {
            port.code: port
            for port in Port.objects.select_for_update().filter(
                code__in=[row["code"] for row in rows]
            )
        }
        for row in rows:
            port = existing.get(row["code"]) or Port(code=row["code"])
            created = port.pk is None
            for name in PORT_FIELDS:
                if getattr(port, name) != row[name]:
                    setattr(port, name, row[name])
                    changed.add(port.code)
            if created or port.code in changed:
                port.full_clean(exclude=["counterpart"], validate_constraints=False)
                port.save()
            result.created += created
            result.ports[port.code] = port

        repaired = [
            row
            for row in rows
            if result.ports[row["code"]].counterpart_id != result.ports[row["counterpart"]].pk
        ]
        Port.objects.filter(code__in=[row["code"] for row in repaired]).update(counterpart=None)
        for row in repaired:
            port = result.ports[row["code"]]
            port.counterpart = result.ports[row["counterpart"]]
            port.save(update_fields=["counterpart"])
            changed.add(port.code)

        for code in sorted(changed):
            port = result.ports[code]
            audit_record(
                actor=None,
                action="port.imported",
                target=port,
                code=code,
                counterpart=port.counterpart.code if port.counterpart else None,
            )
    result.updated = len(changed) - result.created
    result.unchanged = len(rows) - len(changed)
    return result
