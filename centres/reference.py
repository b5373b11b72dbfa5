"""Loading the project's own reference data about centres (``centres/data/centres.json``).

The file is the project's copy of the public facts (names, addresses, time zones, TTP
location ids) plus demonstration opening hours. It is read from inside the package, never
from outside the repository.
"""

import json
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from django.db import transaction

from centres.models import Centre, OpeningRule, Weekday
from common.audit import audit_record

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "centres.json"

# The centre fields the reference file owns; anything else (is_active) is the administrators'.
CENTRE_FIELDS = (
    "kind",
    "name",
    "short_name",
    "name_fr",
    "short_name_fr",
    "country",
    "has_cbsa",
    "has_cbp",
    "address",
    "address_additional",
    "address_fr",
    "address_additional_fr",
    "city",
    "city_fr",
    "region",
    "postal_code",
    "phone",
    "time_zone",
    "takes_appointments",
    "ttp_location_id",
    "ttp_location_code",
)

DAYS = {
    "mon": Weekday.MONDAY,
    "tue": Weekday.TUESDAY,
    "wed": Weekday.WEDNESDAY,
    "thu": Weekday.THURSDAY,
    "fri": Weekday.FRIDAY,
    "sat": Weekday.SATURDAY,
    "sun": Weekday.SUNDAY,
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rules_created: int = 0
    # Reference key -> centre, for every row imported.
    centres: dict[str, Centre] = field(default_factory=dict)


def reference_load(path: Path = REFERENCE_FILE) -> dict[str, Any]:
    """The reference document: ``centres`` (the rows) and ``rules_valid_from``."""
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def _find(row: dict[str, Any]) -> Centre | None:
    # Centres with a TTP id are matched on it; the others (preclearance areas, US sides of
    # split sites) on (kind, name), so renaming one in the file makes a new centre.
    if row.get("ttp_location_id"):
        return Centre.objects.filter(ttp_location_id=row["ttp_location_id"]).first()
    return Centre.objects.filter(
        kind=row["kind"], name=row["name"], ttp_location_id__isnull=True
    ).first()


def _rules_for(centre: Centre, hours: list[dict[str, Any]], valid_from: date) -> list[OpeningRule]:
    return [
        OpeningRule(
            centre=centre,
            weekday=DAYS[day],
            opens_at=time.fromisoformat(block["opens"]),
            closes_at=time.fromisoformat(block["closes"]),
            slot_minutes=block["slot_minutes"],
            booths=block["booths"],
            valid_from=valid_from,
        )
        for block in hours
        for day in block["days"]
    ]


def centres_import_reference(
    *, rows: list[dict[str, Any]], rules_valid_from: date | None = None
) -> ImportResult:
    """Create or update centres from reference rows; idempotent.

    1. Upsert each centre's own fields (matched by TTP id, else by kind and name); a
       centre whose fields already match is not saved again.
    2. Link preclearance areas to their airport and split sites to their counterpart,
       by the rows' ``key``, once every centre exists.
    3. Give a bookable centre the row's opening hours only if it has no opening rules
       yet: once it has some, its hours belong to its administrators.

    Slots are not generated here; the caller runs ``centre_slots_generate`` afterwards.
    """
    rules_valid_from = rules_valid_from or date.today()
    result = ImportResult()
    with transaction.atomic():
        changed: set[str] = set()
        for row in rows:
            centre = _find(row) or Centre()
            created = centre.pk is None
            for name in CENTRE_FIELDS:
                value = row.get(name)
                if name == "ttp_location_id":
                    value = value or None
                elif value is None:
                    value = ""
                if getattr(centre, name) != value:
                    setattr(centre, name, value)
                    changed.add(row["key"])
            if row["key"] in changed:
                centre.full_clean(exclude=["airport", "counterpart"])
                centre.save()
            if created:
                result.created += 1
            result.centres[row["key"]] = centre

        for row in rows:
            centre = result.centres[row["key"]]
            airport = result.centres[row["airport"]] if row.get("airport") else None
            counterpart = result.centres[row["counterpart"]] if row.get("counterpart") else None
            wanted = (airport.pk if airport else None, counterpart.pk if counterpart else None)
            if (centre.airport_id, centre.counterpart_id) != wanted:
                centre.airport, centre.counterpart = airport, counterpart
                # Its own fields were validated above; check the links and the constraints.
                centre.full_clean(exclude=CENTRE_FIELDS)
                centre.save(update_fields=["airport", "counterpart"])
                changed.add(row["key"])

        for row in rows:
            centre = result.centres[row["key"]]
            if centre.pk and row["key"] in changed:
                audit_record(
                    actor=None,
                    action="centre.imported",
                    target=centre,
                    key=row["key"],
                    ttp_location_id=centre.ttp_location_id,
                )
            if not row.get("hours") or centre.opening_rules.exists():
                continue
            rules = _rules_for(centre, row["hours"], rules_valid_from)
            for rule in rules:
                rule.full_clean()
                rule.save()
                audit_record(
                    actor=None, action="openingrule.created", target=rule, centre=centre.pk
                )
            result.rules_created += len(rules)

        result.updated = len(changed) - result.created
        result.unchanged = len(rows) - len(changed)
    return result
