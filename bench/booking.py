"""Booking throughput: the real booking service under concurrent clients, against raw SQL.

``make bench`` runs this against the PostgreSQL server that ``DATABASE_URL`` names, in a
scratch database ``<dbname>_bench`` that it creates, fills and drops again: the data in
the ``DATABASE_URL`` database itself is never touched.

1. Profile: book a few hundred appointments one at a time through ``appointment_book``;
   report SQL statements, Python CPU and time spent waiting on PostgreSQL per booking.
2. Service: 16 client processes call ``appointment_book`` for a fixed time, each booking
   a random slot among the 50 soonest open slots of one airport centre.
3. Raw: pgbench runs the same booking as one conditional UPDATE + INSERT, with as many
   clients, for as long, choosing slots the same way, on a second, identical centre:
   the physical limit of the server for this booking.
4. Check every slot of the service phase: its counter must stay within its capacity and
   equal its booked appointments. Then print one line:
   ``booking: <N> bookings/s, raw postgres <M> tps, ratio <N/M>, oversold <K>``.

N and M both count successful bookings per second. Attempts refused because the slot
filled up since the client last looked are part of the load, and are reported, but not
counted.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import multiprocessing as mp
import os
import pstats
import random
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_SCHEMES = {"postgres", "postgresql", "pgsql", "psql"}
CAPACITY_SEED = 20240601  # both phases' centres get the same capacities
WARM_UP_BOOKINGS = 5
PROFILED_BOOKINGS = 300


# --- Scratch database ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The scratch database on the server that DATABASE_URL names."""

    name: str
    url: str  # libpq URI of the scratch database, for Django and pgbench
    maintenance_url: str  # the server's ``postgres`` database, to create and drop it
    where: str


def scratch_target(database_url: str) -> Target:
    parts = urlsplit(database_url)
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise SystemExit("bench: DATABASE_URL names no database.")
    name = f"{dbname}_bench"

    def uri(database: str) -> str:
        return urlunsplit(("postgresql", parts.netloc, "/" + quote(database), parts.query, ""))

    where = f"{parts.hostname or 'local socket'}:{parts.port or 5432}"
    return Target(name=name, url=uri(name), maintenance_url=uri("postgres"), where=where)


def scratch_from_environment(**settings: str) -> Target | None:
    """The scratch database for the server that DATABASE_URL names, with the environment
    every bench runs Django in (production-like: DEBUG off, so no query log; spawned
    processes inherit it) plus ``settings``; None, said on stderr, when DATABASE_URL names
    no PostgreSQL server."""
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in PG_SCHEMES:
        print(
            "bench: DATABASE_URL must name a PostgreSQL database, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test make bench\n"
            "The bench works in a scratch database <dbname>_bench on that server, which it "
            "creates and drops again.",
            file=sys.stderr,
        )
        return None
    target = scratch_target(database_url)
    os.environ.update(
        DATABASE_URL=target.url,
        DJANGO_SETTINGS_MODULE="nexus_portal.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        LOG_LEVEL="WARNING",
        EMAIL_URL="dummymail://",
        **settings,
    )
    return target


def drop_database(target: Target, *, recreate: bool = False) -> None:
    import psycopg
    from psycopg import sql

    name = sql.Identifier(target.name)
    with psycopg.connect(target.maintenance_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        if recreate:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def setup_django() -> None:
    """Start Django on the scratch database that ``main`` put in the environment."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_portal.settings")
    import django

    django.setup()


# --- Data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Which rows belong to which phase; ids are assigned here, not by sequences.

    User, applicant and application ``i`` go together up to ``raw_owner``, so booking
    application ``i`` takes user ``i`` as the actor. The raw phase's applications all
    belong to applicant ``raw_owner``: pgbench checks no ownership, it only needs
    applications without an appointment yet.
    """

    clients: int
    apps_per_client: int
    profile_apps: int
    raw_apps: int

    def client_apps(self, client: int) -> range:
        first = 1 + client * self.apps_per_client
        return range(first, first + self.apps_per_client)

    @property
    def profile_apps_range(self) -> range:
        first = 1 + self.clients * self.apps_per_client
        return range(first, first + self.profile_apps)

    @property
    def raw_owner(self) -> int:
        return self.profile_apps_range.stop

    @property
    def raw_apps_range(self) -> range:
        return range(self.raw_owner, self.raw_owner + self.raw_apps)


@dataclass(frozen=True)
class Centres:
    service: int
    raw: int
    profile: int


def plan_slots(slot_minutes: int, horizon_days: int) -> tuple[datetime, timedelta, list[int]]:
    """Slot starts and capacities over the booking horizon, from an hour from now on, so
    that none passes during the run and none lies beyond the horizon."""
    step = timedelta(minutes=slot_minutes)
    first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    count = int((timedelta(days=horizon_days - 1) - timedelta(hours=1)) / step)
    rng = random.Random(CAPACITY_SEED)
    return first, step, [rng.randint(2, 4) for _ in range(count)]


def bench_centre(label: str):
    """A bookable airport enrolment centre of the benchmarks, in Toronto's zone."""
    from centres.models import Centre

    return Centre.objects.create(
        name=f"Bench {label} airport enrolment centre",
        short_name=f"Bench {label}",
        kind=Centre.Kind.AIRPORT_ENROLMENT,
        country=Centre.Country.CANADA,
        has_cbsa=True,
        city="Toronto",
        region="ON",
        time_zone="America/Toronto",
        takes_appointments=True,
    )


def populate(layout: Layout, first: datetime, step: timedelta, capacities: list[int]) -> Centres:
    """Three identical bookable airport centres, users, applicants and applications.

    Plain INSERT … SELECT: a few hundred thousand rows in seconds, where bulk_create
    would take minutes.
    """
    from django.contrib.auth import get_user_model
    from django.core.management.color import no_style
    from django.db import connection

    from centres.models import Slot
    from enrolment.models import Applicant, Application

    user_model = get_user_model()
    centres = Centres(*(bench_centre(label).pk for label in ("service", "raw", "profile")))
    profile_slots = (WARM_UP_BOOKINGS + layout.profile_apps) // 2 + 10
    with connection.cursor() as cursor:
        for centre, count in (
            (centres.service, len(capacities)),
            (centres.raw, len(capacities)),
            (centres.profile, profile_slots),
        ):
            cursor.execute(
                f"""
                INSERT INTO {Slot._meta.db_table} (centre_id, starts_at, ends_at, capacity,
                    booked)
                SELECT %(centre)s, %(first)s + (g - 1) * %(step)s, %(first)s + g * %(step)s,
                       c.capacity, 0
                FROM unnest(%(capacities)s::smallint[]) WITH ORDINALITY AS c(capacity, g)
                """,
                {"centre": centre, "first": first, "step": step, "capacities": capacities[:count]},
            )
        now = datetime.now(UTC)
        people = {"now": now, "people": layout.raw_owner}
        cursor.execute(
            f"""
            INSERT INTO {user_model._meta.db_table} (id, password, is_superuser, username,
                first_name, last_name, email, is_staff, is_active, date_joined)
            SELECT g, '!', false, 'bench' || g, '', '', '', false, true, %(now)s
            FROM generate_series(1, %(people)s) AS g
            """,
            people,
        )
        cursor.execute(
            f"""
            INSERT INTO {Applicant._meta.db_table} (id, user_id, given_names, surname,
                preferred_language, date_of_birth)
            SELECT g, g, 'Bench', 'Applicant ' || g, 'en', DATE '1985-06-15'
            FROM generate_series(1, %(people)s) AS g
            """,
            people,
        )
        cursor.execute(
            f"""
            INSERT INTO {Application._meta.db_table} (id, applicant_id, number, kind, status,
                path, submitted_at, conditionally_approved_at)
            SELECT g, least(g, %(people)s), 'NX' || lpad(g::text, 10, '0'), 'new',
                   'conditionally_approved', '', %(now)s, %(now)s
            FROM generate_series(1, %(last)s) AS g
            """,
            {**people, "last": layout.raw_apps_range.stop - 1},
        )
        for statement in connection.ops.sequence_reset_sql(
            no_style(), [user_model, Applicant, Application]
        ):
            cursor.execute(statement)
        cursor.execute("ANALYZE")
    return centres


def checkpoint() -> None:
    """Write out dirty pages before a phase, so that neither pays for the other's writes."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass  # needs superuser or pg_checkpoint; without it the figures are just noisier


# --- Measuring ----------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float | None:
    """CPU used so far by a process of this host (a PostgreSQL backend, when local)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_cpu() -> tuple[float, float, float] | None:
    """(busy, all, stolen) CPU-seconds of this host so far, from /proc/stat."""
    try:
        line = Path("/proc/stat").read_text().split("\n", 1)[0]
        ticks = [int(v) for v in line.split()[1:9]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / hz, sum(ticks) / hz, ticks[7] / hz


@dataclass
class Observation:
    wall: float = 0.0
    activity: Counter[str] = field(default_factory=Counter)
    backend_cpu: float | None = None
    host_busy: float | None = None
    host_all: float | None = None
    host_stolen: float | None = None

    def activity_line(self) -> str:
        total = sum(self.activity.values()) or 1
        return ", ".join(f"{n / total:.0%} {what}" for what, n in self.activity.most_common(6))


class Observer(threading.Thread):
    """Watches a phase: what its PostgreSQL backends are doing, sampled from
    pg_stat_activity, their CPU (when the server runs on this host) and the host's CPU.

    The samples tell waiting on the client (idle, idle in transaction) from running,
    waiting for a row lock, or for the WAL flush of a COMMIT.
    """

    def __init__(self, url: str, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.interval = interval
        self.stopping = threading.Event()
        self.seen: dict[int, tuple[float | None, float | None]] = {}
        self.result = Observation()

    def __enter__(self) -> Observation:
        self.host_started = host_cpu()
        self.started = time.monotonic()
        self.start()
        return self.result

    def __exit__(self, *exc_info) -> None:
        self.stopping.set()
        self.join()
        result = self.result
        result.wall = time.monotonic() - self.started
        host_ended = host_cpu()
        if self.host_started and host_ended:
            result.host_busy, result.host_all, result.host_stolen = (
                end - start for end, start in zip(host_ended, self.host_started, strict=True)
            )
        spent = [(last or 0) - first for first, last in self.seen.values() if first is not None]
        if spent:
            result.backend_cpu = sum(spent)

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stopping.wait(self.interval):
                rows = conn.execute(
                    """
                    SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity
                    WHERE datname = current_database() AND backend_type = 'client backend'
                      AND pid <> pg_backend_pid()
                    """
                ).fetchall()
                for pid, *state in rows:
                    self.result.activity[self.classify(*state)] += 1
                    cpu = proc_cpu_seconds(pid)
                    first = self.seen.get(pid, (cpu, None))[0]
                    self.seen[pid] = (first, cpu)

    @staticmethod
    def classify(state: str | None, wait_type: str | None, wait_event: str | None) -> str:
        if state == "idle":
            return "idle: client busy between transactions"
        if state == "idle in transaction":
            return "idle in transaction: client busy, locks held"
        if state != "active":
            return str(state)
        if wait_type is None:
            return "running (or waiting for a CPU)"
        if wait_type == "Lock":
            return f"waiting for a lock ({wait_event})"
        if wait_event in ("WALSync", "WALWrite", "WALWriteLock"):
            return "COMMIT waiting for the WAL flush"
        return f"{wait_type}: {wait_event}"


def cpu_line(observed: Observation, bookings: int, clients: tuple[str, float]) -> str:
    """Where the host's CPU went during a phase, per successful booking."""
    per = 1000 / max(bookings, 1)
    label, client_cpu = clients
    parts = [f"{label} {client_cpu:.1f} s ({client_cpu * per:.2f} ms/booking)"]
    if observed.backend_cpu is not None:
        parts.append(
            f"PostgreSQL backends {observed.backend_cpu:.1f} s "
            f"({observed.backend_cpu * per:.2f} ms/booking)"
        )
    line = "  CPU: " + ", ".join(parts)
    if observed.host_busy is not None and observed.host_all:
        rest = observed.host_busy - client_cpu - (observed.backend_cpu or 0)
        line += (
            f"; host busy {observed.host_busy / observed.host_all:.0%} of {os.cpu_count()} "
            f"CPUs, {max(rest, 0):.1f} s of it elsewhere (other processes, WAL writer, "
            f"kernel, {observed.host_stolen or 0:.1f} s stolen by the hypervisor)"
        )
    return line


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- Booking through the service ----------------------------------------------------


@dataclass
class Picker:
    """A client's view of the soonest open slots, refreshed like a booking page would be:
    after every refusal, and on a random one attempt in ``refresh_every``. The pgbench
    script follows the same rule."""

    centre_id: int
    window: int
    refresh_every: int
    rng: random.Random
    slots: list[int] | None = None
    refreshes: int = 0

    def pick(self) -> int | None:
        from centres.models import Slot

        if self.slots is None or self.rng.randrange(self.refresh_every) == 0:
            self.refreshes += 1
            self.slots = list(
                Slot.objects.open()
                .filter(centre_id=self.centre_id)
                .order_by("starts_at")
                .values_list("pk", flat=True)[: self.window]
            )
        return self.rng.choice(self.slots) if self.slots else None


def book(app_id: int, slot_id: int, users: dict) -> None:
    from bookings.services import appointment_book
    from centres.models import Slot
    from enrolment.models import Application

    # The service re-reads both rows by primary key under its locks: bare instances are
    # what a view holding two ids would pass too.
    appointment_book(application=Application(pk=app_id), slot=Slot(pk=slot_id), actor=users[app_id])


def book_until(*, picker: Picker, applications: range, users: dict, deadline: float) -> dict:
    """Book through the service until ``deadline``, one application per booking."""
    from django.db import DatabaseError, connection

    from bookings.services import BookingError

    booked_ms: list[float] = []
    refused_ms: list[float] = []
    refusals: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    unused = iter(applications)
    app_id = next(unused, None)
    out_of_slots = False
    while app_id is not None and time.monotonic() < deadline:
        slot_id = picker.pick()
        if slot_id is None:
            out_of_slots = True
            break
        started = time.perf_counter()
        try:
            book(app_id, slot_id, users)
        except BookingError as error:
            refused_ms.append((time.perf_counter() - started) * 1000)
            refusals[error.code] += 1
            picker.slots = None
            if error.code not in ("slot_full", "slot_closed"):
                app_id = next(unused, None)  # this application cannot book again
        except DatabaseError as error:
            errors[f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"] += 1
            connection.close_if_unusable_or_obsolete()
            picker.slots = None
            app_id = next(unused, None)
        else:
            booked_ms.append((time.perf_counter() - started) * 1000)
            app_id = next(unused, None)
    return {
        "booked_ms": booked_ms,
        "refused_ms": refused_ms,
        "refusals": refusals,
        "errors": errors,
        "refreshes": picker.refreshes,
        "out_of_applications": app_id is None,
        "out_of_slots": out_of_slots,
    }


def prepare_client(applications: range) -> dict:
    """Users up front, and the per-process caches a running web worker would have."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType

    from bookings.models import Appointment

    ContentType.objects.get_for_model(Appointment)
    return get_user_model().objects.in_bulk(list(applications))


def client_process(
    client: int, layout: Layout, centre_id: int, args: argparse.Namespace, barrier, results
) -> None:
    """One client of the service phase, in its own process with its own connection."""
    try:
        setup_django()
        from django.db import connection

        applications = layout.client_apps(client)
        users = prepare_client(applications)
        picker = Picker(centre_id, args.window, args.refresh_every, random.Random(client))
        barrier.wait(timeout=600)
        started, cpu = time.monotonic(), time.process_time()
        result = book_until(
            picker=picker,
            applications=applications,
            users=users,
            deadline=started + args.seconds,
        )
        result.update(client=client, ended=time.monotonic(), cpu=time.process_time() - cpu)
        connection.close()
        results.put(result)
    except BaseException:
        barrier.abort()
        results.put({"client": client, "crash": traceback.format_exc()})


# --- Phases -------------------------------------------------------------------------


class DbTimer:
    """``connection.execute_wrapper`` counting statements and the time spent in them."""

    def __init__(self) -> None:
        self.statements = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.statements += 1


def profile_area(filename: str, function: str) -> str:
    path = filename.replace(os.sep, "/")
    if "psycopg" in (function if filename == "~" else path):
        return "psycopg: send, wait for PostgreSQL, receive"
    if filename == "~":
        return "built-ins"
    for marker, area in (
        ("/django/db/models/sql/", "Django SQL compiler"),
        ("/django/db/models/", "Django ORM: querysets, models, fields"),
        ("/django/db/", "Django DB backend and transactions"),
        ("/django/", "Django, other: translation, timezone, …"),
    ):
        if marker in path:
            return area
    if path.startswith(ROOT.as_posix()) and "/.venv/" not in path:
        return "NEXUS code"
    return "standard library and other"


def run_profile(layout: Layout, centre_id: int, bookings: int, top: int) -> None:
    """One client, no contention: statements, CPU and waiting per booking, then cProfile."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from centres.models import Slot

    applications = iter(layout.profile_apps_range)
    users = prepare_client(layout.profile_apps_range)

    def soonest_open() -> int:
        # Choosing the slot is the caller's business: it stays out of the measurements.
        open_slots = Slot.objects.open().filter(centre_id=centre_id).order_by("starts_at")
        return open_slots.values_list("pk", flat=True)[0]

    for _ in range(WARM_UP_BOOKINGS):
        book(next(applications), soonest_open(), users)

    timer = DbTimer()
    wall = cpu = 0.0
    for _ in range(bookings):
        slot_id = soonest_open()
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timer):
            book(next(applications), slot_id, users)
        cpu += time.process_time() - cpu_started
        wall += time.perf_counter() - started
    per = 1000 / bookings
    print(f"profile: 1 client, {bookings} bookings one after the other, no contention")
    print(
        f"  {timer.statements / bookings:.1f} SQL statements per booking, "
        f"{timer.statements / bookings + 2:.1f} round trips with BEGIN and COMMIT"
    )
    print(
        f"  {wall * per:.2f} ms per booking = {cpu * per:.2f} ms CPU in this Python process"
        f" + {(wall - cpu) * per:.2f} ms waiting for PostgreSQL (statements, COMMIT);"
        f" {timer.seconds * per:.2f} ms of the total inside cursor.execute()"
    )

    slot_id = soonest_open()
    with CaptureQueriesContext(connection) as captured:
        book(next(applications), slot_id, users)
    print("  statements of one booking:")
    for query in captured.captured_queries:
        sql = " ".join(query["sql"].split())
        print(f"    {sql[:116]}{'…' if len(sql) > 116 else ''}")

    profiler = cProfile.Profile()
    for _ in range(PROFILED_BOOKINGS):
        slot_id, app_id = soonest_open(), next(applications)
        profiler.enable()
        book(app_id, slot_id, users)
        profiler.disable()
    rows = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in rows.values())
    areas: Counter[str] = Counter()
    for (filename, _line, function), row in rows.items():
        areas[profile_area(filename, function)] += row[2]
    print(
        f"  cProfile over {PROFILED_BOOKINGS} bookings, own time by area "
        f"(profiling roughly doubles the Python part):"
    )
    for area, seconds in areas.most_common():
        print(f"    {seconds / total:6.1%} {seconds * 1000 / PROFILED_BOOKINGS:6.2f} ms  {area}")
    print(f"  top {top} functions by own time:")
    ranked = sorted(rows.items(), key=lambda item: item[1][2], reverse=True)
    for (filename, line, function), (_prim, calls, own, _cum, _callers) in ranked[:top]:
        where = "built-in" if filename == "~" else f"{Path(filename).name}:{line}"
        print(
            f"    {own / total:6.1%} {calls / PROFILED_BOOKINGS:6.1f} calls  {function} ({where})"
        )


def run_service_phase(
    target: Target, layout: Layout, centre_id: int, args: argparse.Namespace
) -> float:
    """The service under ``args.clients`` client processes; returns bookings per second."""
    from django.db import connections

    connections.close_all()
    context = mp.get_context("spawn")
    barrier = context.Barrier(args.clients + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=client_process,
            args=(client, layout, centre_id, args, barrier, results),
            daemon=True,
        )
        for client in range(args.clients)
    ]
    try:
        for process in processes:
            process.start()
        try:
            barrier.wait(timeout=600)
        except threading.BrokenBarrierError:
            crash = results.get(timeout=60)
            raise RuntimeError(f"client {crash['client']} failed:\n{crash['crash']}") from None
        with Observer(target.url) as observed:
            started = time.monotonic()
            clients = [results.get(timeout=args.seconds + 600) for _ in processes]
        for process in processes:
            process.join(timeout=60)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
    for client in clients:
        if "crash" in client:
            raise RuntimeError(f"client {client['client']} crashed:\n{client['crash']}")

    booked_ms = [ms for c in clients for ms in c["booked_ms"]]
    refused_ms = [ms for c in clients for ms in c["refused_ms"]]
    refusals = sum((c["refusals"] for c in clients), Counter())
    errors = sum((c["errors"] for c in clients), Counter())
    elapsed = max(c["ended"] for c in clients) - started
    rate = len(booked_ms) / elapsed
    attempts = len(booked_ms) + len(refused_ms) + errors.total()
    print(
        f"service: {args.clients} processes calling appointment_book(), {elapsed:.1f} s: "
        f"{len(booked_ms)} booked ({rate:.1f}/s), {len(refused_ms)} refused "
        f"({', '.join(f'{code} {n}' for code, n in refusals.most_common()) or 'none'}), "
        f"{errors.total()} errors; {len(booked_ms) / max(attempts, 1):.0%} of attempts booked"
    )
    for message, n in errors.most_common(3):
        print(f"  error x{n}: {message}")
    print(
        f"  latency: booked p50 {percentile(booked_ms, 50):.1f} ms, "
        f"p95 {percentile(booked_ms, 95):.1f} ms; refused p50 {percentile(refused_ms, 50):.1f}"
        f" ms, p95 {percentile(refused_ms, 95):.1f} ms; "
        f"{sum(c['refreshes'] for c in clients)} slot list refreshes"
    )
    client_cpu = sum(c["cpu"] for c in clients)
    print(cpu_line(observed, len(booked_ms), ("client processes", client_cpu)))
    print(f"  PostgreSQL backends, sampled: {observed.activity_line()}")
    if any(c["out_of_applications"] for c in clients):
        print("  warning: a client ran out of applications: raise --max-rate")
    if any(c["out_of_slots"] for c in clients):
        print("  warning: the centre ran out of open slots: lower --slot-minutes")
    return rate


PGBENCH_SCRIPT = """\
\\set k random(1, :n)
BEGIN;
WITH taken AS (
    UPDATE {slot} SET booked = booked + 1
    WHERE id = (ARRAY[:ids]::bigint[])[:k] AND booked < capacity
    RETURNING id
), booked AS (
    INSERT INTO {appointment} (application_id, slot_id, step, status, cancel_reason,
        created_at, updated_at)
    SELECT nextval('{sequence}'), id, 'cbsa', 'booked', '', now(), now() FROM taken
    RETURNING 1
)
SELECT count(*) AS hit FROM booked \\gset
COMMIT;
\\set r random(1, {refresh_every})
\\if :hit = 0 or :r = 1
{soonest} \\gset
\\endif
"""

SOONEST_OPEN = """\
SELECT coalesce(string_agg(id::text, ',' ORDER BY starts_at), '0') AS ids,
       greatest(count(*), 1) AS n
FROM (SELECT id, starts_at FROM {slot} WHERE centre_id = {centre} AND booked < capacity
      ORDER BY starts_at LIMIT {window}) AS soonest"""


def run_raw_phase(
    target: Target, layout: Layout, centre_id: int, args: argparse.Namespace
) -> float:
    """pgbench doing the booking in one statement; returns bookings per second.

    Each client keeps its list of the soonest open slots in pgbench variables and
    refreshes it by the same rule as the service's clients. Applications come from a
    sequence over the raw phase's range, drawn only by successful bookings.
    """
    from django.db import connection, connections

    from bookings.models import Appointment
    from centres.models import Slot

    names = {
        "slot": Slot._meta.db_table,
        "appointment": Appointment._meta.db_table,
        "sequence": "bench_raw_application",
        "centre": centre_id,
        "window": args.window,
        "refresh_every": args.refresh_every,
    }
    soonest = SOONEST_OPEN.format(**names)
    raw_apps = layout.raw_apps_range
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE SEQUENCE {names['sequence']} MINVALUE %s START %s MAXVALUE %s",
            [raw_apps.start, raw_apps.start, raw_apps.stop - 1],
        )
        cursor.execute(soonest)
        ids, n = cursor.fetchone()
    connections.close_all()
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
        script = Path(tmp) / "booking.sql"
        script.write_text(PGBENCH_SCRIPT.format(soonest=soonest, **names))
        command = [
            "pgbench",
            "--no-vacuum",
            f"--client={args.clients}",
            f"--jobs={args.pgbench_jobs}",
            f"--time={max(1, round(args.seconds))}",
            f"--file={script}",
            f"--define=ids={ids}",
            f"--define=n={n}",
            target.url,
        ]
        pgbench_started = os.times()
        with Observer(target.url) as observed:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        pgbench_ended = os.times()
    output = done.stdout + done.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    processed = re.search(r"number of transactions actually processed: (\d+)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    if done.returncode != 0 or not (tps and processed and latency):
        raise RuntimeError(f"pgbench failed ({done.returncode}):\n{output}")
    transactions = int(processed.group(1))
    booked = Appointment.objects.filter(slot__centre_id=centre_id).count()
    duration = transactions / float(tps.group(1))
    rate = booked / duration
    print(
        f"raw: pgbench -c {args.clients} -j {args.pgbench_jobs}, conditional UPDATE + INSERT "
        f"in one statement, {duration:.1f} s: {transactions} transactions "
        f"({float(tps.group(1)):.1f} tps), {booked} booked ({rate:.1f}/s), "
        f"{booked / max(transactions, 1):.0%} of attempts booked; "
        f"latency avg {float(latency.group(1)):.1f} ms"
    )
    pgbench_cpu = sum(pgbench_ended[2:4]) - sum(pgbench_started[2:4])
    print(cpu_line(observed, booked, ("pgbench", pgbench_cpu)))
    print(f"  PostgreSQL backends, sampled: {observed.activity_line()}")
    if not Slot.objects.open().filter(centre_id=centre_id).exists():
        print("  warning: the centre ran out of open slots: lower --slot-minutes")
    return rate


def count_oversold(centre_id: int) -> tuple[int, int, int]:
    """Slots whose counter exceeds their capacity or differs from their booked
    appointments; and booths taken and appointments booked, over one centre."""
    from django.db import connection

    from bookings.models import Appointment
    from centres.models import Slot

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FILTER (WHERE s.booked > s.capacity
                                       OR s.booked <> coalesce(a.n, 0)),
                   coalesce(sum(s.booked), 0), coalesce(sum(a.n), 0)
            FROM {Slot._meta.db_table} AS s
            LEFT JOIN (SELECT slot_id, count(*) AS n FROM {Appointment._meta.db_table}
                       WHERE status = 'booked' GROUP BY slot_id) AS a ON a.slot_id = s.id
            WHERE s.centre_id = %s
            """,
            [centre_id],
        )
        return cursor.fetchone()


# --- Main ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--pgbench-jobs", type=int, default=2, help="pgbench threads (-j)")
    parser.add_argument("--window", type=int, default=50, help="soonest open slots to pick from")
    parser.add_argument(
        "--refresh-every", type=int, default=20, help="refresh the slot list 1 attempt in N"
    )
    parser.add_argument("--slot-minutes", type=int, default=5, help="slot length")
    parser.add_argument("--profile-bookings", type=int, default=500, help="for the profile")
    parser.add_argument("--profile-top", type=int, default=12, help="functions to list")
    parser.add_argument(
        "--max-rate", type=int, default=4000, help="service bookings/s to have applications for"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = scratch_from_environment(
        # As in production, the web process records the confirmation in the outbox and
        # hands it to the broker (in memory here); a worker, not the booking, sends it.
        CELERY_TASK_ALWAYS_EAGER="False",
    )
    if target is None:
        return 2
    if not shutil.which("pgbench"):
        print("bench: pgbench is not on PATH (it comes with postgresql-client).", file=sys.stderr)
        return 2
    print(
        f"NEXUS booking bench: scratch database {target.name} on {target.where}, "
        f"{args.clients} clients, {args.seconds:g} s per phase, {os.cpu_count()} CPUs here"
    )
    drop_database(target, recreate=True)
    try:
        setup_django()
        from django.db import connections

        try:
            rate, raw_rate, oversold = run(target, args)
        finally:
            connections.close_all()
    finally:
        if args.keep:
            print(f"kept the scratch database {target.name}")
        else:
            drop_database(target)
    ratio = rate / raw_rate if raw_rate else math.nan
    print(
        f"booking: {rate:.1f} bookings/s, raw postgres {raw_rate:.1f} tps, "
        f"ratio {ratio:.2f}, oversold {oversold}"
    )
    return 1 if oversold else 0


def run(target: Target, args: argparse.Namespace) -> tuple[float, float, int]:
    from django.conf import settings
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    first, step, capacities = plan_slots(args.slot_minutes, settings.SLOT_HORIZON_DAYS)
    layout = Layout(
        clients=args.clients,
        apps_per_client=math.ceil(args.max_rate * args.seconds / args.clients) + 100,
        profile_apps=args.profile_bookings + 1 + PROFILED_BOOKINGS + WARM_UP_BOOKINGS,
        raw_apps=sum(capacities),  # the raw centre runs out of booths first
    )
    centres = populate(layout, first, step, capacities)
    print(
        f"setup: migrated in {migrated - started:.1f} s, then in "
        f"{time.perf_counter() - migrated:.1f} s: 2 airport centres with {len(capacities)} "
        f"{args.slot_minutes}-minute slots of 2-4 booths over {settings.SLOT_HORIZON_DAYS} "
        f"days, {layout.raw_apps_range.stop - 1} conditionally approved applications"
    )
    run_profile(layout, centres.profile, args.profile_bookings, args.profile_top)
    checkpoint()
    rate = run_service_phase(target, layout, centres.service, args)
    checkpoint()
    raw_rate = run_raw_phase(target, layout, centres.raw, args)
    oversold, booths, appointments = count_oversold(centres.service)
    raw_oversold, raw_booths, raw_appointments = count_oversold(centres.raw)
    print(
        f"check: service centre {booths} booths taken, {appointments} appointments booked, "
        f"{oversold} slots oversold or miscounted; raw centre {raw_booths}, "
        f"{raw_appointments}, {raw_oversold}"
    )
    return rate, raw_rate, oversold


if __name__ == "__main__":
    sys.exit(main())
