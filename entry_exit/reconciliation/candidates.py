"""The candidate entries of a set of exits, fetched set-wise.

On PostgreSQL each step is one statement over the whole chunk of exits (``unnest`` of
arrays joined LATERAL to the entries), each exit's look-up an index scan on the partial
indexes that ``migrations/0002_entry_indexes`` creates on the crossing records: no
sequential scan of the entries per exit, whatever their number. On other databases (the
tests' SQLite) the same look-ups run through the ORM, one exit at a time.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Q

from entry_exit.choices import Event
from entry_exit.models import CrossingRecord
from entry_exit.reconciliation.matching import Traveller
from entry_exit.reconciliation.models import ExitMatch, Outcome

ENTRY = Event.LAND_ENTRY_CANADA
EXIT_EVENTS = (Event.LAND_ENTRY_US, Event.AIR_EXIT)
# At most this many entries per exit come back from the name tier (the latest ones): a
# date of birth and nationality shared by more is not narrowed by names anyway.
MAX_BY_NAME = 200

FIELDS = (
    "id",
    "surname_normalised",
    "given_names_normalised",
    "document_number",
    "document_country",
    "occurred_at",
    "sex",
)


@dataclass(frozen=True)
class Exit:
    traveller: Traveller
    date_of_birth: date
    nationality: str


def _traveller(row) -> Traveller:
    return Traveller(*row)


def exits_load(ids: list[int]) -> list[Exit]:
    """The exit records among ``ids``, oldest first (an earlier exit takes an entry
    before a later one does)."""
    rows = (
        CrossingRecord.objects.filter(pk__in=ids, event__in=EXIT_EVENTS)
        .order_by("occurred_at", "id")
        .values_list(*FIELDS, "date_of_birth", "nationality")
    )
    return [Exit(_traveller(row[:7]), row[7], row[8]) for row in rows]


def _table() -> str:
    return connection.ops.quote_name(CrossingRecord._meta.db_table)


def by_document_sql(exits: list[Exit]) -> tuple[str, list]:
    columns = ", ".join(f"e.{name}" for name in FIELDS)
    # Identifiers from the model and constants only; every value is a parameter.
    sql = f"""
        SELECT x.exit_id, {columns}
        FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::date[], %s::timestamptz[])
            AS x(exit_id, number, country, born, crossed)
        CROSS JOIN LATERAL (
            SELECT {", ".join(FIELDS)} FROM {_table()}
            WHERE event = %s AND document_number = x.number AND document_country = x.country
              AND date_of_birth = x.born AND occurred_at < x.crossed
            ORDER BY occurred_at DESC, id DESC
            LIMIT 1
        ) e
    """  # noqa: S608
    params = [
        [item.traveller.pk for item in exits],
        [item.traveller.document_number for item in exits],
        [item.traveller.document_country for item in exits],
        [item.date_of_birth for item in exits],
        [item.traveller.occurred_at for item in exits],
        str(ENTRY),
    ]
    return sql, params


def by_name_sql(exits: list[Exit], after: dict[int, datetime]) -> tuple[str, list]:
    columns = ", ".join(f"e.{name}" for name in FIELDS)
    # Identifiers from the model and constants only; every value is a parameter.
    sql = f"""
        SELECT x.exit_id, {columns}
        FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::timestamptz[],
                    %s::timestamptz[], %s::varchar[], %s::varchar[], %s::varchar[])
            AS x(exit_id, born, nationality, since, crossed, sex, surname, given)
        CROSS JOIN LATERAL (
            SELECT {", ".join(FIELDS)} FROM {_table()}
            WHERE event = %s AND date_of_birth = x.born AND nationality = x.nationality
              AND occurred_at > coalesce(x.since, '-infinity') AND occurred_at < x.crossed
              AND (sex = x.sex OR sex = 'X' OR x.sex = 'X')
              AND (left(surname_normalised, 1) = left(x.surname, 1)
                   OR left(given_names_normalised, 1) = left(x.given, 1))
            ORDER BY occurred_at DESC, id DESC
            LIMIT {MAX_BY_NAME}
        ) e
    """  # noqa: S608
    params = [
        [item.traveller.pk for item in exits],
        [item.date_of_birth for item in exits],
        [item.nationality for item in exits],
        [after.get(item.traveller.pk) for item in exits],
        [item.traveller.occurred_at for item in exits],
        [item.traveller.sex for item in exits],
        [item.traveller.surname for item in exits],
        [item.traveller.given for item in exits],
        str(ENTRY),
    ]
    return sql, params


def _entries():
    return CrossingRecord.objects.filter(event=ENTRY)


def by_document(exits: list[Exit]) -> dict[int, Traveller]:
    """Each exit's latest earlier entry on its document and date of birth (tier 1)."""
    if not exits:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*by_document_sql(exits))
            return {row[0]: _traveller(row[1:]) for row in cursor.fetchall()}
    found = {}
    for item in exits:
        row = (
            _entries()
            .filter(
                document_number=item.traveller.document_number,
                document_country=item.traveller.document_country,
                date_of_birth=item.date_of_birth,
                occurred_at__lt=item.traveller.occurred_at,
            )
            .order_by("-occurred_at", "-id")
            .values_list(*FIELDS)
            .first()
        )
        if row:
            found[item.traveller.pk] = _traveller(row)
    return found


def by_name(exits: list[Exit], after: dict[int, datetime]) -> dict[int, list[Traveller]]:
    """Each exit's earlier entries with its date of birth and nationality (tier 2's
    block), only those after ``after[exit]`` where given: the latest MAX_BY_NAME.

    Blocking, so that names are compared only where they may match: the same sex (or an
    unspecified one, X, on either side), and the same first letter of the surname or of
    the given names (a slip in both first letters at once is not caught)."""
    found: dict[int, list[Traveller]] = {item.traveller.pk: [] for item in exits}
    if not exits:
        return found
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*by_name_sql(exits, after))
            for row in cursor.fetchall():
                found[row[0]].append(_traveller(row[1:]))
        return found
    for item in exits:
        entries = _entries().filter(
            date_of_birth=item.date_of_birth,
            nationality=item.nationality,
            occurred_at__lt=item.traveller.occurred_at,
        )
        if item.traveller.sex != "X":
            entries = entries.filter(sex__in=[item.traveller.sex, "X"])
        initials = Q(surname_normalised__startswith=item.traveller.surname[:1])
        if item.traveller.given:
            initials |= Q(given_names_normalised__startswith=item.traveller.given[:1])
        entries = entries.filter(initials)
        if after.get(item.traveller.pk):
            entries = entries.filter(occurred_at__gt=after[item.traveller.pk])
        rows = entries.order_by("-occurred_at", "-id").values_list(*FIELDS)[:MAX_BY_NAME]
        found[item.traveller.pk] = [_traveller(row) for row in rows]
    return found


def late_entry_exits_sql(entry_ids: list[int]) -> tuple[str, list]:
    events = ", ".join(f"'{event}'" for event in EXIT_EVENTS)
    # Identifiers and event codes from the models; every value is a parameter.
    sql = f"""
        SELECT DISTINCT m.exit_id
        FROM {_table()} e
        CROSS JOIN LATERAL (
            SELECT x.id FROM {_table()} x
            WHERE x.event IN ({events}) AND x.date_of_birth = e.date_of_birth
              AND x.nationality = e.nationality AND x.occurred_at > e.occurred_at
              AND (x.sex = e.sex OR x.sex = 'X' OR e.sex = 'X')
              AND (left(x.surname_normalised, 1) = left(e.surname_normalised, 1)
                   OR left(x.given_names_normalised, 1) = left(e.given_names_normalised, 1))
        ) x
        JOIN {connection.ops.quote_name(ExitMatch._meta.db_table)} m
            ON m.exit_id = x.id AND m.decided_by_id IS NULL
        LEFT JOIN {_table()} matched ON matched.id = m.entry_id
        WHERE e.id = ANY(%s) AND e.event = '{ENTRY}'
          AND (m.outcome = 'unmatched'
               OR (m.outcome = 'matched' AND matched.occurred_at < e.occurred_at))
    """  # noqa: S608
    return sql, [entry_ids]


def late_entry_exits(entry_ids: list[int]) -> list[int]:
    """Exits that entries among ``entry_ids`` (received late) may concern: after one of
    them, with its date of birth and nationality (and the name tier's blocking), unmatched
    or matched to an entry older than it; rows an analyst decided are left alone. On
    PostgreSQL driven from the entries through the exits' partial index."""
    if not entry_ids:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(*late_entry_exits_sql(entry_ids))
            return [row[0] for row in cursor.fetchall()]
    later = _entries().filter(
        pk__in=entry_ids,
        date_of_birth=OuterRef("exit__date_of_birth"),
        nationality=OuterRef("exit__nationality"),
        occurred_at__lt=OuterRef("exit__occurred_at"),
    )
    rows = ExitMatch.objects.filter(decided_by__isnull=True).filter(
        Q(outcome=Outcome.UNMATCHED) & Exists(later)
        | Q(outcome=Outcome.MATCHED)
        & Exists(later.filter(occurred_at__gt=OuterRef("entry__occurred_at")))
    )
    return list(rows.values_list("exit_id", flat=True))
