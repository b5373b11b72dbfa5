"""The TTP-compatible soonest-slot look-up with a year of slots at every centre.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, filled and dropped again, like ``booking.py``):

1. The same data as ``soonest.py``: 26 centres, a slot every 20 minutes from 07:00 to
   19:00 every day for a year, the first 60 days mostly full; each centre gets a TTP
   location id.
2. Time ``GET /schedulerapi/slots?orderBy=soonest&limit=1&locationId=X&minimum=1``
   through Django's test client (every middleware, URL resolution, DRF, JSON) with the
   cache switched off (``DummyCache``), so every request reaches the database; X turns
   over the centres.
   Then the view function alone (``RequestFactory``, no middleware) and the SQL statement
   alone, to tell Python's share from the database's.
3. Print p50/p95 of each, the statements per request and the plan, then one line:
   ``scheduler: <S> slots, soonest slot p50 <A> ms, p95 <B> ms, view p95 <V> ms,
   SQL p95 <Q> ms (no cache, <N> queries)``.
"""

from __future__ import annotations

import argparse
import os
import sys

from soonest import NOT_POSTGRES, NotPostgres, p, population_arguments, timed, year_of_slots

URL = "/schedulerapi/slots?orderBy=soonest&limit=1&locationId={}&minimum=1"


def main(argv: list[str] | None = None) -> int:
    parser = population_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]), 500)
    args = parser.parse_args(argv)
    try:
        with year_of_slots(args, allowed_hosts="testserver") as slots:
            report(args, slots)
    except NotPostgres:
        print(NOT_POSTGRES)
        return 2
    return 0


def report(args: argparse.Namespace, slots: int) -> None:
    from django.db import connection
    from django.db.models import F
    from django.test import Client, RequestFactory, override_settings
    from django.test.utils import CaptureQueriesContext

    from bookings.scheduler_api import SlotsView
    from centres.models import Centre

    Centre.objects.update(ttp_location_id=F("id") + 5000)
    ids = list(Centre.objects.values_list("ttp_location_id", flat=True))

    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=dummy):
        # As behind the TLS proxy: no redirect to https with DEBUG=False.
        client = Client(headers={"X-Forwarded-Proto": "https"})
        with CaptureQueriesContext(connection) as queries:
            first = client.get(URL.format(ids[0]))
            again = client.get(URL.format(ids[0]))
        assert first.status_code == 200, (first.status_code, first.headers)
        assert len(first.json()) == 1, first.content
        assert again.json() == first.json()
        per_request = len(queries) // 2  # the second request is not served from a cache
        statement = queries.captured_queries[-1]["sql"]
        turn = iter(range(10**9))
        samples = timed(lambda: client.get(URL.format(ids[next(turn) % len(ids)])), args.runs)
        # The view alone (no middleware), and the statement alone (the database's share).
        view = SlotsView.as_view()
        factory = RequestFactory()
        view_samples = timed(
            lambda: view(factory.get(URL.format(ids[next(turn) % len(ids)]))).render(),
            args.runs,
        )
    with connection.cursor() as cursor:
        sql_samples = timed(lambda: cursor.execute(statement) or cursor.fetchall(), args.runs)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    index = "slot_open_by_centre_start" if "slot_open_by_centre_start" in plan else "none"
    sort = "with a sort" if "Sort" in plan else "no sort"
    if os.environ.get("BENCH_SHOW_PLAN"):
        print(statement, plan, sep="\n")
    print(f"statements per request: {per_request}; plan uses index: {index}, {sort}")
    for label, runs in (
        ("test client, every middleware", samples),
        ("view function alone", view_samples),
        ("SQL statement alone", sql_samples),
    ):
        print(
            f"soonest slot, {label}: p50 {p(runs, 50):.2f} ms, "
            f"p95 {p(runs, 95):.2f} ms over {args.runs} runs"
        )
    connection.close()
    print(
        f"scheduler: {slots} slots, soonest slot p50 {p(samples, 50):.2f} ms, "
        f"p95 {p(samples, 95):.2f} ms, view p95 {p(view_samples, 95):.2f} ms, "
        f"SQL p95 {p(sql_samples, 95):.2f} ms (no cache, {per_request} queries)"
    )


if __name__ == "__main__":
    sys.exit(main())
