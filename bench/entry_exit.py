"""Entry/Exit exchange: the real inbound import against a raw COPY, and the share rules over a
million records.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, migrated and dropped again, like ``booking.py``):

1. Generate synthetic feeds (``entry_exit.synthetic``, the same as ``manage.py
   entry_exit_generate``): a day's batch of 19,000 US land entries, and 1,000,000 CBSA
   land entries into Canada over every status category, as 20 files of 50,000.
2. Day batch: import the 19,000 through ``inbound_batch_import`` (header and checksum,
   every row through the validation, names normalised, each record once, the batch's
   report), then deliver it again (answered from its report, nothing stored).
3. 1M: import the 20 files the same way, one after the other, for a partner whose files
   are CBSA primary inspection's (``source=cbsa_primary``): the records the outbound
   exchange chooses from.
4. Raw COPY: the same 1,000,000 rows, as stored, copied with psycopg's ``cursor.copy``
   into a bare table with the same columns (no index, constraint or key): what the
   server itself can take.
5. Forbidden: under phase 1, then phase 2, run the real outbound exchange
   (``outbound_batches_run``: build with the rules' query and the items' check
   constraint, re-check, write, re-check, send through the folder transport) over all the
   records, parse every file written and count the records whose category, nationality or
   event that phase forbids — by a table written here from the design note, not by
   ``entry_exit.rules``. Between the phases every outbound batch is deleted, so phase 2
   considers every record again.

Then one line:
``entry_exit: <N> records/s, raw copy <M> rows/s, ratio <N/M>, day batch <T> s, 1M <T> s,
forbidden sent <K>`` (N: records per second of the 1M import; the exit status is 1 when K
is not 0).

6. Part 2 (unless ``--exchange-only``), each in its own process and scratch database:
   ``entry_exit_reconcile.py`` (a day's 19,000 exits against a year of about 7 million
   entries; prints ``reconcile: <N> exits/s, day <T> s, reconciled <P> % (public figure
   94.5 %), wrong matches <W>``) and ``entry_exit_paxlst.py`` (one interchange of 100,000
   passengers through the carriers' import; prints ``paxlst: <N> passengers/s``). The
   exit status is 1 when either fails (a wrong match, a wrong count).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from booking import drop_database, scratch_from_environment, setup_django

# This file is bench/entry_exit.py: once ``booking`` is imported, this directory leaves the
# path, so that ``entry_exit`` is the project's package and not this script.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

DAY_RECORDS = 19_000
FILE_RECORDS = 50_000
FILES = 20
DAY_SEED = 1
MILLION_SEED = 2

# What each phase may send, from docs (ENTRY_EXIT.md, seed 004), independently of
# entry_exit.rules: phase 1 never Canadian or US citizens, Registered Indians or protected
# persons, nor a resident or foreign national whose document nationality is Canadian or
# American; phase 2 never Registered Indians or protected persons. Only land entries into
# Canada, in either phase.
NEVER = {
    1: {"canadian_citizen", "us_citizen", "registered_indian", "protected_person"},
    2: {"registered_indian", "protected_person"},
}
KEPT_HOME_NATIONALITIES = {1: {"CAN", "USA"}, 2: set()}


def forbidden(phase: int, record: dict) -> bool:
    return (
        record.get("event") != "land_entry_canada"
        or record.get("status") in NEVER[phase]
        or record.get("nationality") in KEPT_HOME_NATIONALITIES[phase]
    )


def _million_file(index: int) -> bytes:
    from entry_exit.synthetic import batch_file

    return batch_file(
        count=FILE_RECORDS,
        seed=MILLION_SEED,
        direction="out",
        day=_day(),
        first=index * FILE_RECORDS,
    )


def _day():
    return (datetime.now(UTC) - timedelta(days=1)).date()


def generate(files: int) -> tuple[bytes, list[bytes]]:
    from entry_exit.synthetic import batch_file

    started = time.perf_counter()
    day = batch_file(count=DAY_RECORDS, seed=DAY_SEED, direction="in", day=_day())
    # Forked workers (Django is set up already); the files come back in order.
    with mp.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        million = pool.map(_million_file, range(files))
    print(
        f"generated: a day's batch of {DAY_RECORDS} and {files} files of {FILE_RECORDS} "
        f"({sum(map(len, million)) / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
    )
    return day, million


def import_day(body: bytes) -> float:
    from django.utils import timezone

    from entry_exit.partners import Partner
    from entry_exit.services import inbound_batch_import

    partner = Partner(name="cbp")
    started = time.perf_counter()
    result = inbound_batch_import(
        partner=partner, body=body, now=timezone.now(), received_by="bench/entry_exit.py"
    )
    seconds = time.perf_counter() - started
    report = result.report
    print(
        f"day batch: {report['records']} records, {report['imported']} imported, "
        f"{report['duplicates']} already held, {report['refused']} refused: {seconds:.2f} s "
        f"({report['records'] / seconds:,.0f} records/s)"
    )
    started = time.perf_counter()
    again = inbound_batch_import(
        partner=partner, body=body, now=timezone.now(), received_by="bench/entry_exit.py"
    )
    print(
        f"day batch delivered again: {again.outcome} in "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    return seconds


def import_million(files: list[bytes]) -> tuple[float, int]:
    from django.utils import timezone

    from entry_exit.choices import Source
    from entry_exit.partners import Partner
    from entry_exit.services import inbound_batch_import

    partner = Partner(name="cbsa-bench", sender="CBSA", source=Source.CBSA_PRIMARY)
    imported = refused = 0
    started = time.perf_counter()
    for body in files:
        report = inbound_batch_import(
            partner=partner, body=body, now=timezone.now(), received_by="bench/entry_exit.py"
        ).report
        imported += report["imported"]
        refused += report["refused"] + report["duplicates"]
    seconds = time.perf_counter() - started
    records = len(files) * FILE_RECORDS
    print(
        f"1M: {records} records in {len(files)} batches, {imported} imported, "
        f"{refused} refused or already held: {seconds:.2f} s ({records / seconds:,.0f} records/s)"
    )
    return seconds, records


def raw_copy(files: int) -> float:
    """Rows per second of COPY FROM STDIN of the same rows, as stored, into a bare table;
    and, said but not the ratio's, into a table with the real one's indexes and
    constraints (what index upkeep alone costs)."""
    from django.db import connection

    from entry_exit.models import CrossingRecord

    table = CrossingRecord._meta.db_table
    connection.ensure_connection()
    pg = connection.connection  # psycopg 3
    chunks: list[bytes] = []
    with pg.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE bench_raw_copy (LIKE {table})")
        cursor.execute("ALTER TABLE bench_raw_copy SET LOGGED")  # WAL like the real table
        cursor.execute(f"CREATE TABLE bench_raw_copy_indexed (LIKE {table} INCLUDING ALL)")
        # The rows as stored, in the text format, batch by batch (read before the clock).
        batches = [
            row[0]
            for row in cursor.execute(
                f"SELECT DISTINCT inbound_batch_id FROM {table} WHERE source = 'cbsa_primary' "
                "ORDER BY 1"
            )
        ]
        for batch in batches:
            data = bytearray()
            with cursor.copy(
                f"COPY (SELECT * FROM {table} WHERE inbound_batch_id = {int(batch)}) TO STDOUT"
            ) as copy:
                for block in copy:
                    data += block
            chunks.append(bytes(data))
    pg.commit()
    rows = sum(chunk.count(b"\n") for chunk in chunks)
    rates = {}
    for target in ("bench_raw_copy", "bench_raw_copy_indexed"):
        started = time.perf_counter()
        with pg.cursor() as cursor:
            for chunk in chunks:  # one transaction per batch, as the import commits its chunks
                with cursor.copy(f"COPY {target} FROM STDIN") as copy:
                    copy.write(chunk)
                pg.commit()
        seconds = time.perf_counter() - started
        rates[target] = rows / seconds
        what = "raw copy" if target == "bench_raw_copy" else "raw copy, same indexes"
        print(
            f"{what}: {rows} rows in {len(chunks)} COPY statements: {seconds:.2f} s "
            f"({rows / seconds:,.0f} rows/s)"
        )
    return rates["bench_raw_copy"]


def forbidden_sent(outbox: Path) -> int:
    """Run the real outbound exchange under each phase over every record; count what the
    files hold that the phase forbids."""
    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    from entry_exit.models import CrossingRecord, ExchangeBatch, OutboundItem
    from entry_exit.services.outbound import outbound_batches_run

    total_forbidden = 0
    for phase in (1, 2):
        OutboundItem.objects.all().delete()
        ExchangeBatch.objects.filter(direction="outbound").delete()
        settings.ENTRY_EXIT_PHASE = phase
        settings.ENTRY_EXIT_OUTBOX_DIR = outbox / f"phase{phase}"
        started = time.perf_counter()
        summary = outbound_batches_run(now=timezone.now(), handled_by="bench/entry_exit.py")
        seconds = time.perf_counter() - started
        files = sorted(settings.ENTRY_EXIT_OUTBOX_DIR.glob("*.jsonl"))
        records = bad = 0
        categories: Counter[str] = Counter()
        for path in files:
            lines = path.read_bytes().splitlines()
            header = json.loads(lines[0])
            if header.get("phase") != phase:
                bad += len(lines) - 1
                continue
            for raw in lines[1:]:
                record = json.loads(raw)
                records += 1
                categories[record["status"]] += 1
                bad += forbidden(phase, record)
        # What the phase allows, counted independently: every record the rules allow
        # should have been sent, so the files are neither short nor padded.
        allowed = CrossingRecord.objects.filter(
            source="cbsa_primary", event="land_entry_canada"
        ).exclude(status__in=NEVER[phase])
        if KEPT_HOME_NATIONALITIES[phase]:
            allowed = allowed.exclude(Q(nationality__in=KEPT_HOME_NATIONALITIES[phase]))
        expected = allowed.count()
        print(
            f"phase {phase}: {summary.sent} batches sent, {records} records in {len(files)} "
            f"files (the rules allow {expected} of "
            f"{CrossingRecord.objects.count()} records), {summary.dropped} dropped before "
            f"writing, {bad} forbidden, in {seconds:.1f} s; by category: "
            + ", ".join(f"{name} {n}" for name, n in sorted(categories.items()))
        )
        if records != expected:
            print(f"phase {phase}: WARNING: {expected - records} allowed records not sent")
        total_forbidden += bad
    settings.ENTRY_EXIT_PHASE = 1
    return total_forbidden


def _project_package() -> None:
    """Import the project's ``entry_exit`` package under that name before Django does
    (Django's start-up otherwise ends up with this script under that name)."""
    import importlib

    importlib.invalidate_caches()
    package = importlib.import_module("entry_exit")
    if not hasattr(package, "__path__"):
        raise SystemExit(f"bench: {package.__file__} shadows the entry_exit package")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES, help="Files of 50,000 (20: 1M).")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument(
        "--exchange-only",
        action="store_true",
        help="Only the exchange (part 1): not the reconciliation and PAXLST benches after it.",
    )
    args = parser.parse_args(argv)
    environment = dict(os.environ)  # for the benches run after this one, before the scratch's
    target = scratch_from_environment(CELERY_TASK_ALWAYS_EAGER="False")
    if target is None:
        return 2
    print(
        f"NEXUS Entry/Exit bench: scratch database {target.name} on {target.where}, "
        f"{os.cpu_count()} CPUs here"
    )
    drop_database(target, recreate=True)
    try:
        _project_package()
        setup_django()
        from django.core.management import call_command
        from django.db import connections

        try:
            call_command("migrate", verbosity=0, interactive=False)
            day_body, million = generate(args.files)
            day_seconds = import_day(day_body)
            million_seconds, records = import_million(million)
            del million
            copy_rate = raw_copy(args.files)
            with tempfile.TemporaryDirectory(prefix="entry-exit-bench-") as outbox:
                bad = forbidden_sent(Path(outbox))
        finally:
            connections.close_all()
    finally:
        if args.keep:
            print(f"kept the scratch database {target.name}")
        else:
            drop_database(target)
    rate = records / million_seconds
    print(
        f"entry_exit: {rate:.0f} records/s, raw copy {copy_rate:.0f} rows/s, "
        f"ratio {rate / copy_rate:.2f}, day batch {day_seconds:.2f} s, "
        f"1M {million_seconds:.2f} s, forbidden sent {bad}"
    )
    failed = bool(bad)
    if not args.exchange_only:
        failed |= part_two(environment)
    return 1 if failed else 0


def part_two(environment: dict[str, str]) -> bool:
    """Part 2 of the module, each in its own process and scratch database (they set up
    Django for their own): reconciliation of a day's exits against a year of entries
    (``reconcile: …``), then a PAXLST interchange of 100,000 passengers (``paxlst: …``).
    True when either failed."""
    failed = False
    for script in ("entry_exit_reconcile.py", "entry_exit_paxlst.py"):
        sys.stdout.flush()
        done = subprocess.run([sys.executable, str(BENCH / script)], env=environment, check=False)
        failed |= done.returncode != 0
    return failed


if __name__ == "__main__":
    sys.exit(main())
