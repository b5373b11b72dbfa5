"""Entry/Exit outbound: how long one full batch (50,000 records) takes to build, write and
send, and how long re-sending it takes after a failed send.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, migrated and dropped again, like ``booking.py``):

1. Store 50,000 shareable CBSA land entries into Canada (foreign nationals at a few
   ports), by ``bulk_create``: not what is timed.
2. ``outbound_batch_build`` (the rules' query, one item per record), then
   ``outbound_batch_write`` (every item re-checked, the file built once, its checksum),
   then ``outbound_batch_send`` through the folder transport: each timed apart.
3. The same batch marked failed and sent again (the file rebuilt from the records and
   checked against its checksum before it leaves), timed; the two files must be equal.

Prints one line:
``entry_exit outbound: <N> records, build <T> s, write <T> s, send <T> s, total <T> s,
re-send <T> s, same bytes <yes/no>``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from booking import drop_database, scratch_from_environment, setup_django

BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

RECORDS = 50_000


def _project_package() -> None:
    import importlib

    importlib.invalidate_caches()
    package = importlib.import_module("entry_exit")
    if not hasattr(package, "__path__"):
        raise SystemExit(f"bench: {package.__file__} shadows the entry_exit package")


def fill(count: int) -> None:
    from entry_exit.models import CrossingRecord, Port, purge_date

    ports = [
        Port.objects.create(
            code=f"B-CA-{n}",
            name=f"Bench port {n}",
            country="CA",
            region="ON",
            time_zone="America/Toronto",
        )
        for n in range(5)
    ]
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    received = start + timedelta(hours=1)
    records = (
        CrossingRecord(
            surname=f"Müller-{n}",
            given_names="Anne-Sophie",
            surname_normalised=f"MUELLER{n}",
            given_names_normalised="ANNE SOPHIE",
            date_of_birth=date(1950, 1, 1) + timedelta(days=n % 20_000),
            sex="F",
            nationality="DEU",
            document_type="passport",
            document_number=f"C{n:08d}",
            document_country="DEU",
            status="foreign_national",
            event="land_entry_canada",
            occurred_at=start + timedelta(seconds=n),
            port=ports[n % len(ports)],
            source="cbsa_primary",
            source_record_id=f"bench-{n}",
            received_at=received,
            purge_on=purge_date(received, 15),
        )
        for n in range(count)
    )
    CrossingRecord.objects.bulk_create(records, batch_size=5000)


def run(count: int, outbox: Path) -> str:
    from django.conf import settings
    from django.utils import timezone

    from entry_exit.models import BatchStatus, ExchangeBatch
    from entry_exit.services.outbound import (
        outbound_batch_build,
        outbound_batch_send,
        outbound_batch_write,
    )

    settings.ENTRY_EXIT_PHASE = 1
    settings.ENTRY_EXIT_TRANSPORT = "folder"
    settings.ENTRY_EXIT_OUTBOX_DIR = outbox
    now = timezone.now()

    started = time.perf_counter()
    batch = outbound_batch_build(phase=1, now=now, handled_by="bench")
    build = time.perf_counter() - started
    assert batch is not None and batch.record_count == count, batch

    started = time.perf_counter()
    body = outbound_batch_write(batch=batch, now=now)
    write = time.perf_counter() - started
    assert body is not None

    started = time.perf_counter()
    sent = outbound_batch_send(batch=batch, now=now, handled_by="bench", body=body)
    send = time.perf_counter() - started
    assert sent
    [path] = outbox.glob("*.jsonl")
    first = path.read_bytes()
    path.unlink()

    # As if the send had failed: the batch waits for a re-send, which rebuilds its file.
    ExchangeBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED)
    started = time.perf_counter()
    assert outbound_batch_send(batch=batch, now=now + timedelta(minutes=10), handled_by="bench")
    resend = time.perf_counter() - started
    [path] = outbox.glob("*.jsonl")
    same = path.read_bytes() == first == body
    return (
        f"entry_exit outbound: {count} records, build {build:.2f} s, write {write:.2f} s, "
        f"send {send:.2f} s, total {build + write + send:.2f} s, re-send {resend:.2f} s, "
        f"same bytes {'yes' if same else 'no'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args(argv)
    target = scratch_from_environment()
    if target is None:
        return 2
    print(f"NEXUS outbound bench: {target.name} on {target.where}, {os.cpu_count()} CPUs")
    drop_database(target, recreate=True)
    try:
        _project_package()
        setup_django()
        from django.core.management import call_command
        from django.db import connections

        try:
            call_command("migrate", verbosity=0, interactive=False)
            fill(args.records)
            with tempfile.TemporaryDirectory(prefix="entry-exit-outbound-") as outbox:
                line = run(args.records, Path(outbox))
        finally:
            connections.close_all()
    finally:
        if not args.keep:
            drop_database(target)
    print(line)
    return 0 if line.endswith("yes") else 1


if __name__ == "__main__":
    sys.exit(main())
