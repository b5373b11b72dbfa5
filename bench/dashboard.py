"""The programme-figures dashboard over two years of history, by week: the worst case.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, filled and dropped again, like ``booking.py``):

1. The 34 reference centres, slots up to the horizon at the bookable ones (so each
   centre's soonest open time is a real look-up), two years of figures (730 days ending
   yesterday, ``demo.history``) at every centre, and a programme administrator.
2. ``GET /en/programme/figures/?start=<730 days ago>&end=<yesterday>&grain=week`` through
   Django's test client (every middleware, the session, the charts drawn on the server,
   the template, the collected static files) with ``DEBUG=False``: 5 requests to warm
   up, then 60 timed; the queries of one request counted.
3. Print one line:
   ``dashboard: p95 <T> ms, <Q> queries, <D> days of history, <C> centres``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from booking import drop_database, scratch_from_environment, setup_django
from soonest import p

BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]

DAYS = 730
WARM_UP = 5
RUNS = 60


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args(argv)
    # DEBUG=False and the rest as every bench (booking.py); the test client's host.
    target = scratch_from_environment()
    if target is None:
        return 2
    os.environ["ALLOWED_HOSTS"] = "testserver"
    drop_database(target, recreate=True)
    try:
        with tempfile.TemporaryDirectory(prefix="dashboard-static-") as static:
            # With DEBUG=False the pages link the collected, hashed static files.
            os.environ["STATIC_ROOT"] = static
            setup_django()
            from django.core.management import call_command
            from django.db import connections

            try:
                call_command("migrate", verbosity=0, interactive=False)
                call_command("collectstatic", verbosity=0, interactive=False)
                first, last = fill(args.days)
                line = run(first, last, args.runs)
            finally:
                connections.close_all()
    finally:
        if not args.keep:
            drop_database(target)
    print(line)
    return 0


def fill(days: int):
    """The reference centres, their slots, ``days`` days of figures ending yesterday and a
    programme administrator. Returns the first and last day of the figures."""
    from datetime import date

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from centres.models import StaffProfile
    from centres.reference import centres_import_reference, reference_load
    from centres.services import centre_slots_generate
    from demo.history import history_load

    now = timezone.now()
    reference = reference_load()
    result = centres_import_reference(
        rows=reference["centres"],
        rules_valid_from=date.fromisoformat(reference["rules_valid_from"]),
    )
    for centre in result.centres.values():
        if centre.takes_appointments and centre.is_active:
            centre_slots_generate(centre=centre, now=now)
    today = timezone.localdate(now)
    first = today - timedelta(days=days)
    history_load(today=today, start=first)
    user = get_user_model().objects.create_user(username="bench.admin", password=None)
    StaffProfile.objects.create(user=user, role=StaffProfile.Role.PROGRAMME_ADMIN)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return first, today - timedelta(days=1)


def run(first, last, runs: int) -> str:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from common.tests.helpers import force_login_verified
    from figures.models import CentreDay, FiguresDay

    # As behind the TLS proxy: no redirect to https with DEBUG=False.
    client = Client(headers={"X-Forwarded-Proto": "https"})
    force_login_verified(client, get_user_model().objects.get(username="bench.admin"))
    url = reverse("figures:dashboard")
    query = {"start": first.isoformat(), "end": last.isoformat(), "grain": "week"}

    def get():
        response = client.get(url, query)
        assert response.status_code == 200, (response.status_code, response.headers)
        return response

    for _ in range(WARM_UP):
        get()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        samples.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        page = get().content.decode()
    # The page answered the question (not the form sent back with an error): its charts.
    assert page.count("<svg") >= 4 and "errorlist" not in page, page[:2000]
    days = FiguresDay.objects.count()
    centres = CentreDay.objects.values("centre").distinct().count()
    return (
        f"dashboard: p95 {p(samples, 95):.1f} ms, {len(queries)} queries, "
        f"{days} days of history, {centres} centres"
    )


if __name__ == "__main__":
    sys.exit(main())
