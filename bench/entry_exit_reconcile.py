"""Entry/Exit reconciliation: a day's exits (19,000) matched against a year of entries
(about 7 million records) on PostgreSQL, with the matching indexed.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, migrated and dropped again, like ``booking.py``):

1. Setup (not measured): the travellers who leave on the day, their earlier entries and
   their exits, with the noise and ground truth of ``entry_exit.reconciliation.synthetic``
   (typos, middle names left out, new documents, two documents, exits with no entry),
   loaded with COPY; then the rest of a year's entries (``--entries`` in all), drawn
   in the server from a COPY'd table of other travellers with the same generator (names
   from the same pools, so every exit has namesakes to be told apart from). The plain
   indexes of the records are built after the load, then ANALYZE.
2. EXPLAIN of the two candidate queries (tier 1 by document, tier 2 by date of birth and
   nationality) for a chunk of exits: index scans on the partial indexes, no
   sequential scan of the entries.
3. Measured: the background job for the day's batch (``reconciliation_run``), as a worker
   runs it; then once more (idempotent: nothing written).
4. Against the ground truth: reconciled share, wrong matches (an exit matched to any
   entry but the traveller's latest before it, or matched when it has none).

Then one line:
``reconcile: <N> exits/s, day <T> s, reconciled <P> % (public figure 94.5 %), wrong
matches <W>`` (the exit status is 1 when W is not 0).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python \
        bench/entry_exit_reconcile.py [--entries 7000000] [--exits 19000]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from booking import drop_database, scratch_from_environment, setup_django

# This file is in bench/, beside a bench named entry_exit.py: once ``booking`` is imported,
# this directory leaves the path, so that ``entry_exit`` is the project's package.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

ENTRIES = 7_000_000
EXITS = 19_000
SEED = 12
# Other travellers behind the background entries: each crosses a few times a year.
ENTRIES_PER_PERSON = 4
PUBLIC_FIGURE = 94.5

COLUMNS = (
    "surname",
    "given_names",
    "surname_normalised",
    "given_names_normalised",
    "date_of_birth",
    "sex",
    "nationality",
    "document_type",
    "document_number",
    "document_country",
    "status",
    "event",
    "occurred_at",
    "port_id",
    "airport_code",
    "source",
    "source_record_id",
    "received_at",
    "inbound_batch_id",
    "purge_on",
    "legal_hold",
)


def _day() -> date:
    return (datetime.now(UTC) - timedelta(days=1)).date()


def _copy_text(rows: list[dict], ports: dict[str, int], batch: int | None) -> bytes:
    out = io.StringIO()
    received = datetime.now(UTC)
    purge_on = date(received.year + 15, 1, 1).isoformat()
    for row in rows:
        values = {
            **row,
            "port_id": ports[row["port_code"]] if row["port_code"] else None,
            "received_at": received.isoformat(),
            "inbound_batch_id": batch,
            "purge_on": purge_on,
            "legal_hold": "f",
        }
        fields = []
        for name in COLUMNS:
            value = values[name]
            if value is None:
                fields.append("\\N")
            elif isinstance(value, datetime | date):
                fields.append(value.isoformat())
            else:
                fields.append(str(value).replace("\\", "\\\\").replace("\t", " "))
        out.write("\t".join(fields) + "\n")
    return out.getvalue().encode()


def _copy(cursor, table: str, columns: tuple[str, ...], data: bytes) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(data)


def setup(entries: int, exits: int):
    from django.db import connection
    from django.utils import timezone

    from entry_exit.models import CrossingRecord, ExchangeBatch, Port
    from entry_exit.reconciliation.synthetic import identities, normalised, reconcile_world

    started = time.perf_counter()
    day = _day()
    table = CrossingRecord._meta.db_table
    ports = dict(Port.objects.values_list("code", "id"))
    canada = list(Port.objects.filter(country="CA").values_list("id", flat=True))
    world = reconcile_world(travellers=exits, seed=SEED, day=day, prefix="bench")
    batch = ExchangeBatch.objects.create(
        direction="inbound",
        partner="cbp",
        partner_batch_id=1,
        status="imported",
        record_count=len(world.exits),
        rows_ok=len(world.exits),
        created_at=timezone.now(),
        received_at=timezone.now(),
        handled_by="bench/entry_exit_reconcile.py",
    )
    background = max(entries - len(world.entries), 0)
    people = max(background // ENTRIES_PER_PERSON, 1)
    connection.ensure_connection()
    pg = connection.connection
    with pg.cursor() as cursor:
        # The plain indexes are built after the load (much faster than row by row);
        # constraint indexes (primary key, unique) stay.
        indexes = cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            (table, table),
        ).fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        _copy(cursor, table, COLUMNS, _copy_text(world.entries, ports, None))
        _copy(cursor, table, COLUMNS, _copy_text(world.exits, ports, batch.pk))
        cursor.execute(
            "CREATE TEMP TABLE bench_people (n int, surname text, given_names text, "
            "surname_normalised text, given_names_normalised text, date_of_birth date, "
            "sex text, nationality text, document_type text, document_number text, "
            "document_country text, status text)"
        )
        out = io.StringIO()
        for n, person in enumerate(identities(count=people, seed=SEED, day=day)):
            kind, number, country = person.documents[0]
            out.write(
                "\t".join(
                    (
                        str(n),
                        person.surname,
                        person.given_names,
                        normalised(person.surname),
                        normalised(person.given_names),
                        person.date_of_birth.isoformat(),
                        person.sex,
                        person.nationality,
                        kind,
                        number,
                        country,
                        person.status,
                    )
                )
                + "\n"
            )
        with cursor.copy("COPY bench_people FROM STDIN") as copy:
            copy.write(out.getvalue().encode())
        del out
        generated = time.perf_counter() - started
        cursor.execute("SELECT setseed(0.12)")
        cursor.execute(
            f"""
            INSERT INTO {table} ({", ".join(COLUMNS)})
            SELECT p.surname, p.given_names, p.surname_normalised, p.given_names_normalised,
                   p.date_of_birth, p.sex, p.nationality, p.document_type, p.document_number,
                   p.document_country, p.status, 'land_entry_canada',
                   %s::timestamptz - random() * interval '365 days',
                   (%s::bigint[])[1 + floor(random() * %s)::int], '', 'cbsa_primary',
                   'bg-' || g, now(), NULL, %s::date, false
            FROM generate_series(0, %s - 1) AS g
            JOIN bench_people p ON p.n = (g::bigint * 7919) %% %s
            """,
            (
                datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                canada,
                len(canada),
                date(day.year + 16, 1, 1),
                background,
                people,
            ),
        )
        loaded = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_people")
        for _name, definition in indexes:
            cursor.execute(definition)
    pg.commit()
    # What autovacuum does on a live table: statistics and the visibility map (which lets
    # the matching's index-only scans skip the table's rows).
    import psycopg

    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute(f"VACUUM ANALYZE {table}")
    total = CrossingRecord.objects.count()
    print(
        f"setup: {total:,} records ({len(world.entries):,} entries of the {len(world.exits):,} "
        f"leaving travellers, {background:,} entries of {people:,} others, "
        f"{len(world.exits):,} exits), noise {world.noise}: generated in {generated:.0f} s, "
        f"loaded in {loaded - generated:.0f} s, indexed in "
        f"{time.perf_counter() - started - loaded:.0f} s"
    )
    return world, batch


def explain(batch) -> bool:
    """Print the candidate queries' plans; True when neither scans the entries whole."""
    from django.db import connection

    from entry_exit.models import CrossingRecord
    from entry_exit.reconciliation import candidates, services

    ids = list(
        CrossingRecord.objects.filter(inbound_batch=batch)
        .order_by("id")
        .values_list("id", flat=True)[: services.CHUNK]
    )
    exits = candidates.exits_load(ids)
    # A batch's worth of entries of the leaving travellers, as if they had arrived late.
    entries = list(
        CrossingRecord.objects.filter(
            source_record_id__startswith="bench-", event="land_entry_canada"
        )
        .order_by("id")
        .values_list("id", flat=True)[: services.CHUNK]
    )
    ok = True
    with connection.cursor() as cursor:
        for name, (sql, params) in (
            ("tier 1 (document)", candidates.by_document_sql(exits)),
            ("tier 2 (date of birth, nationality)", candidates.by_name_sql(exits, {})),
            ("late entries' exits", candidates.late_entry_exits_sql(entries)),
        ):
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # A long list of ids in a condition, shortened to its count.
            plan = re.sub(
                r"'\{(\d+(?:,\d+){9,})\}'",
                lambda found: f"'{{…{found[1].count(',') + 1} ids…}}'",
                plan,
            )
            print(f"plan of the {name} look-up, {len(exits)} exits or entries:\n{plan}")
            ok &= "Seq Scan on entry_exit_crossingrecord" not in plan
    return ok


def _timed(module, name: str, spent: dict[str, float]) -> None:
    """Wrap module.name to add its time to spent[name] (where the day's seconds go)."""
    function = getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    setattr(module, name, timed)


def measure(world, batch) -> tuple[float, float, int, int]:
    from entry_exit.models import CrossingRecord
    from entry_exit.reconciliation import candidates, services
    from entry_exit.reconciliation.models import ExitMatch
    from entry_exit.reconciliation.services import reconciliation_run

    spent: dict[str, float] = {}
    for module, name in (
        (candidates, "by_document"),
        (candidates, "by_name"),
        (candidates, "exits_load"),
        (services, "match_decide"),
    ):
        _timed(module, name, spent)
    started = time.perf_counter()
    result = reconciliation_run(batch_id=batch.pk)
    seconds = time.perf_counter() - started
    print(
        f"day: {result} in {seconds:.2f} s; of which "
        + ", ".join(f"{name} {value:.2f} s" for name, value in spent.items())
    )
    started = time.perf_counter()
    again = reconciliation_run(batch_id=batch.pk)
    print(
        f"again: {again['written']} rows written in {time.perf_counter() - started:.2f} s "
        "(idempotent: 0)"
    )
    source_ids = dict(
        CrossingRecord.objects.values_list("id", "source_record_id").filter(inbound_batch=batch)
    )
    matched = ExitMatch.objects.filter(exit__inbound_batch=batch, outcome="matched")
    wrong = 0
    entries = dict(
        CrossingRecord.objects.filter(pk__in=matched.values("entry_id")).values_list(
            "id", "source_record_id"
        )
    )
    rows = list(matched.values_list("exit_id", "entry_id", "tier", "reason"))
    by_reason: dict[str, list[int]] = {}
    for exit_id, entry_id, _tier, reason in rows:
        good = world.truth[source_ids[exit_id]] == entries[entry_id]
        wrong += not good
        if not good and os.environ.get("BENCH_DEBUG"):
            print(
                "WRONG",
                reason,
                source_ids[exit_id],
                entries[entry_id],
                world.truth[source_ids[exit_id]],
            )
        by_reason.setdefault(reason, [0, 0])[not good] += 1
    print(f"matched by reason (right, wrong): {by_reason}")
    reconciled = 100 * len(rows) / len(world.exits)
    return seconds, reconciled, wrong, len(world.exits)


def _project_package() -> None:
    import importlib

    importlib.invalidate_caches()
    package = importlib.import_module("entry_exit")
    if not hasattr(package, "__path__"):
        raise SystemExit(f"bench: {package.__file__} shadows the entry_exit package")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=ENTRIES, help="Entries in all.")
    parser.add_argument("--exits", type=int, default=EXITS, help="The day's exits.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args(argv)
    target = scratch_from_environment()
    if target is None:
        return 2
    print(
        f"NEXUS Entry/Exit reconciliation bench: scratch database {target.name} on "
        f"{target.where}, {os.cpu_count()} CPUs here"
    )
    drop_database(target, recreate=True)
    try:
        _project_package()
        setup_django()
        from django.core.management import call_command
        from django.db import connections

        try:
            call_command("migrate", verbosity=0, interactive=False)
            world, batch = setup(args.entries, args.exits)
            indexed = explain(batch)
            seconds, reconciled, wrong, exits = measure(world, batch)
        finally:
            connections.close_all()
    finally:
        if args.keep:
            print(f"kept the scratch database {target.name}")
        else:
            drop_database(target)
    if not indexed:
        print("WARNING: a candidate query scans the entries sequentially")
    print(
        f"reconcile: {exits / seconds:.0f} exits/s, day {seconds:.2f} s, reconciled "
        f"{reconciled:.1f} % (public figure {PUBLIC_FIGURE} %), wrong matches {wrong}"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
