"""Soonest open slot look-ups with a year of slots at every centre.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, filled and dropped again, like ``booking.py``):

1. 26 bookable centres, each with a slot every 20 minutes from 07:00 to 19:00 local
   time on every day for a year; the first months are mostly full, as they are in
   real life, so a look-up has to skip many full slots.
2. Time ``centres_with_soonest_slot()`` (every centre with its soonest open time, one
   query: the "find a centre" page) and ``slots_soonest_open()`` (one centre's soonest
   ten open slots: the "pick a time" page), through the real selectors.
3. Print their p50/p95 and the index the plan uses, then one line:
   ``soonest: <S> slots, all centres p95 <A> ms, one centre p95 <B> ms``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from booking import PG_SCHEMES, drop_database, scratch_target, setup_django

CENTRES = 26
DAYS = 365


def populate(full_share: float, full_days: int) -> int:
    from django.db import connection

    from centres.models import Centre

    centres = Centre.objects.bulk_create(
        Centre(
            name=f"Bench centre {i}",
            kind=Centre.Kind.AIRPORT_ENROLMENT,
            country="CA",
            city="Bench",
            region="ON",
            time_zone="America/Toronto",
            takes_appointments=True,
        )
        for i in range(CENTRES)
    )
    with connection.cursor() as cursor:
        # One slot every 20 minutes, 07:00-19:00 local (12:00-24:00 UTC, near enough for a
        # benchmark), every day for a year; the soonest ``full_days`` days are mostly full.
        cursor.execute(
            """
            INSERT INTO centres_slot (centre_id, starts_at, ends_at, capacity, booked)
            SELECT c.id, t, t + interval '20 minutes', 3,
                   CASE WHEN t < now() + make_interval(days => %s) AND random() < %s
                        THEN 3 ELSE 0 END
            FROM centres_centre c,
                 generate_series(date_trunc('day', now()) + interval '1 day',
                                 date_trunc('day', now()) + make_interval(days => %s),
                                 interval '1 day') AS d,
                 generate_series(d + interval '12 hours', d + interval '23 hours 40 minutes',
                                 interval '20 minutes') AS t
            WHERE c.id = ANY(%s)
            """,
            [full_days, full_share, DAYS, [c.pk for c in centres]],
        )
        cursor.execute("ANALYZE centres_slot")
        cursor.execute("SELECT count(*) FROM centres_slot")
        return cursor.fetchone()[0]


class NotPostgres(Exception):
    """DATABASE_URL does not name a PostgreSQL server."""


def population_arguments(parser: argparse.ArgumentParser, runs: int) -> argparse.ArgumentParser:
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--full-share", type=float, default=0.9)
    parser.add_argument("--full-days", type=int, default=60)
    return parser


@contextmanager
def year_of_slots(args: argparse.Namespace, *, allowed_hosts: str) -> Iterator[int]:
    """A scratch database ``<dbname>_bench`` with Django set up on it, migrated and filled
    with a year of slots at every centre (``populate``); dropped afterwards. Yields the
    number of slots; raises ``NotPostgres`` without a PostgreSQL ``DATABASE_URL``."""
    url = os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in PG_SCHEMES:
        raise NotPostgres
    target = scratch_target(url)
    drop_database(target, recreate=True)
    try:
        os.environ["DATABASE_URL"] = target.url
        os.environ["DEBUG"] = "False"
        os.environ["ALLOWED_HOSTS"] = allowed_hosts
        os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
        setup_django()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        slots = populate(args.full_share, args.full_days)
        print(
            f"setup: {slots} slots at {CENTRES} centres over {DAYS} days "
            f"in {time.perf_counter() - started:.1f} s"
        )
        yield slots
    finally:
        drop_database(target)


NOT_POSTGRES = (
    "bench: set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test"
)


def timed(fn, runs: int) -> list[float]:
    fn()  # warm the plan cache and connection
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = population_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]), 300)
    args = parser.parse_args(argv)
    try:
        with year_of_slots(args, allowed_hosts="localhost") as slots:
            report(args, slots)
    except NotPostgres:
        print(NOT_POSTGRES)
        return 2
    return 0


def report(args: argparse.Namespace, slots: int) -> None:
    from django.db import connection

    from centres.models import Centre
    from centres.selectors import centres_with_soonest_slot, slots_soonest_open

    all_centres = timed(lambda: list(centres_with_soonest_slot()), args.runs)
    centres = list(Centre.objects.all())
    turn = iter(range(10**9))
    one_centre = timed(
        lambda: list(slots_soonest_open(centre=centres[next(turn) % len(centres)])),
        args.runs,
    )
    with connection.cursor() as cursor:
        sql, params = slots_soonest_open(centre=centres[0]).query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    index = "slot_open_by_centre_start" if "slot_open_by_centre_start" in plan else "none"
    print(f"plan for one centre uses index: {index}")
    print(
        f"all centres (find a centre): p50 {p(all_centres, 50):.2f} ms, "
        f"p95 {p(all_centres, 95):.2f} ms over {args.runs} runs"
    )
    print(
        f"one centre, 10 soonest (pick a time): p50 {p(one_centre, 50):.2f} ms, "
        f"p95 {p(one_centre, 95):.2f} ms over {args.runs} runs"
    )
    connection.close()
    print(
        f"soonest: {slots} slots, all centres p95 {p(all_centres, 95):.2f} ms, "
        f"one centre p95 {p(one_centre, 95):.2f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
