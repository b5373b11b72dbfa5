"""Entry/Exit air exit: a PAXLST manifest file of 100,000 passengers through the real import.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, migrated and dropped again, like ``booking.py``):

1. Generate (not measured) one interchange of 400 flights of 250 passengers leaving
   Canadian airports two days ago (``entry_exit.manifests.synthetic``, the generator of
   the demo data): about 10 MB of UN/EDIFACT.
2. Measured: ``manifest_interchange_import``, the service behind the carriers' endpoint
   and ``manage.py entry_exit_manifest_import`` — reading the EDIFACT (segments, release
   characters, control counts), one exchange row per traveller through
   ``inbound_batch_import`` (validation, names normalised, chunks, COPY), then each
   message applied to its flight (travellers linked to their records).
   The reconciliation job the import queues is not run here (it goes to the broker, as in
   production; ``bench/entry_exit_reconcile.py`` measures it).
3. The same file again (answered from its report: nothing stored) and a corrected
   version of every flight (a later interchange: the flights' records replaced, each
   still once), timed and checked.

Then one line: ``paxlst: <N> passengers/s`` (N: passengers per second of step 2). The exit
status is 1 when a count is wrong (a passenger not imported, or doubled).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python \
        bench/entry_exit_paxlst.py [--passengers 100000]

From ``bench/entry_exit.py`` (the same scratch database): import it at the top, beside
``from booking import …`` (before this directory leaves the path) with ``from
entry_exit_paxlst import paxlst_bench``, and call ``paxlst_bench()`` in ``main`` after the
other steps; it prints the same figures and line and returns (rate, wrong counts).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from booking import drop_database, scratch_from_environment, setup_django

# This file is in bench/, beside a bench named entry_exit.py: once ``booking`` is imported,
# this directory leaves the path, so that ``entry_exit`` is the project's package.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

PASSENGERS = 100_000
PER_FLIGHT = 250
SEED = 7


def _check(label: str, got: int, expected: int) -> int:
    if got != expected:
        print(f"paxlst: WRONG {label}: {got}, expected {expected}")
        return 1
    return 0


def paxlst_bench(*, passengers: int = PASSENGERS) -> tuple[float, int]:
    """Generate, import (measured), deliver again and correct; print the figures and the
    ``paxlst:`` line; return (passengers per second, wrong counts). Needs Django set up
    on a migrated database that holds no air exit records yet."""
    from django.utils import timezone

    from entry_exit.manifests.carriers import Carrier
    from entry_exit.manifests.models import ManifestTraveller
    from entry_exit.manifests.services import manifest_interchange_import
    from entry_exit.manifests.synthetic import paxlst_interchange
    from entry_exit.models import CrossingRecord

    day = (datetime.now(UTC) - timedelta(days=2)).date()
    flights = max(1, passengers // PER_FLIGHT)
    per_flight = passengers // flights
    passengers = flights * per_flight
    started = time.perf_counter()
    body = paxlst_interchange(
        seed=SEED, day=day, flights=flights, passengers=per_flight, reference=1
    )
    print(
        f"generated: {flights} flights of {per_flight} passengers, {len(body) / 1e6:.1f} MB of "
        f"PAXLST in {time.perf_counter() - started:.1f} s"
    )
    carrier = Carrier(name="bench")

    def run(payload: bytes):
        begin = time.perf_counter()
        result = manifest_interchange_import(
            carrier=carrier,
            body=payload,
            now=timezone.now(),
            file_name="bench.edi",
            received_by="bench/entry_exit_paxlst.py",
        )
        return result, time.perf_counter() - begin

    result, seconds = run(body)
    report = result.report
    rate = passengers / seconds
    print(
        f"import: {report['messages']} messages, {report['travellers']} travellers, "
        f"{report['imported']} imported, {report['refused']} refused, "
        f"{len(report['errors'])} faults: {seconds:.2f} s ({rate:,.0f} passengers/s)"
    )
    air_exits = CrossingRecord.objects.filter(event="air_exit")
    wrong = _check("imported", report["imported"], passengers)
    wrong += _check("air exit records", air_exits.count(), passengers)

    again, seconds = run(body)
    print(f"same file again: {again.outcome} in {seconds * 1000:.0f} ms")
    wrong += _check("records after the same file again", air_exits.count(), passengers)

    # A later version of every flight: the same passengers, prepared an hour later.
    corrected = paxlst_interchange(
        seed=SEED,
        day=day,
        flights=flights,
        passengers=per_flight,
        reference=2,
        prepared_at=datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
        + timedelta(hours=1),
    )
    fixed, seconds = run(corrected)
    print(
        f"corrected version of every flight: {fixed.outcome}, "
        f"{fixed.report['duplicates']} records kept as they were, "
        f"{fixed.report['imported']} new, in {seconds:.2f} s"
    )
    wrong += _check("records after the corrected version", air_exits.count(), passengers)
    linked = ManifestTraveller.objects.filter(
        manifest__status="current", record__isnull=False
    ).count()
    wrong += _check("current travellers linked to a record", linked, passengers)
    print(f"paxlst: {rate:.0f} passengers/s")
    return rate, wrong


def _project_package() -> None:
    """Import the project's ``entry_exit`` package under that name before Django does."""
    import importlib

    importlib.invalidate_caches()
    package = importlib.import_module("entry_exit")
    if not hasattr(package, "__path__"):
        raise SystemExit(f"bench: {package.__file__} shadows the entry_exit package")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passengers", type=int, default=PASSENGERS)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args(argv)
    # The reconciliation job an import queues goes to the broker, as in production (an
    # in-memory one here, which nothing consumes): bench/entry_exit_reconcile.py times it.
    target = scratch_from_environment(CELERY_TASK_ALWAYS_EAGER="False")
    if target is None:
        return 2
    print(
        f"NEXUS Entry/Exit PAXLST bench: scratch database {target.name} on {target.where}, "
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
            _rate, wrong = paxlst_bench(passengers=args.passengers)
        finally:
            connections.close_all()
    finally:
        if args.keep:
            print(f"kept the scratch database {target.name}")
        else:
            drop_database(target)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
