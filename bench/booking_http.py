"""Booking end to end: the real server and the applicants' API, against raw SQL.

``make bench`` runs this after ``booking.py``, against the PostgreSQL server that
``DATABASE_URL`` names, in the same kind of scratch database ``<dbname>_bench`` (created,
filled and dropped again), with the cache, throttles and Celery broker on Redis
(``--redis``, default ``redis://127.0.0.1:6379/9``: that database is emptied before and
after the run).

1. Setup: ``booking.populate``'s centres, users, applicants and ``--applications``
   conditionally approved applications, one API token per applicant (what
   ``drf_create_token`` makes), and a contested centre of 200 one-booth slots.
2. Statements: a few bookings through Django's test client, in this process, with the
   server's settings: every statement Django sends (CaptureQueriesContext, which logs
   BEGIN, COMMIT and savepoints too), and Redis round trips.
   (pg_stat_statements would see the real server's, but it needs
   ``shared_preload_libraries`` and a restart of PostgreSQL, which a bench cannot ask.)
3. The production server: gunicorn with ``--workers`` sync workers (the image's other
   options), ``DEBUG=False``, on a free loopback port, with every production throttle.
4. Open pool: ``--clients`` processes POST ``/api/v1/appointments/book/`` for
   ``--seconds``, each with keep-alive ``http.client`` connections, each booking with the
   next applicant's token, on slots of the first centre that only it books, so that every
   attempt can succeed.
5. Contested pool: the same clients on 200 one-booth slots, picking among those they have
   not yet seen full; a refusal (409 ``slot_full``) is a correct answer. Each token makes
   at most a few attempts, as a real applicant would.
6. Raw: ``booking.run_raw_phase``, pgbench doing the booking as one conditional UPDATE +
   INSERT, with as many clients, for as long.
7. Check every slot of both pools, then print one line:
   ``booking_http: <N> bookings/s, <H> handled/s (contested), p50 <a> ms, p95 <b> ms,
   <c> ms CPU/request, <s> statements/booking, raw postgres <M> tps, ratio <N/M>,
   oversold <K>``.

The production throttles stay on. The per-user ones (``user``, ``booking``) hold because
every applicant sends only a few requests; the per-address one (300 a minute) because
each client sends from a new loopback address (127.x.y.z, all of which reach the server
on Linux) every ``ADDRESS_REQUESTS`` requests, as applicants come from many places.

Exit status 1 when a slot is oversold or any answer was not the expected one (a 5xx, a
refusal on the open pool, a 429, a broken connection); 2 when PostgreSQL, pgbench or
Redis is missing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing as mp
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from booking import (
    ROOT,
    Layout,
    Observation,
    Observer,
    bench_centre,
    checkpoint,
    count_oversold,
    drop_database,
    percentile,
    plan_slots,
    populate,
    proc_cpu_seconds,
    run_raw_phase,
    scratch_from_environment,
    setup_django,
)

# bench/entry_exit.py would hide the entry_exit app: the bench folder goes last (where the
# spawned clients still find ``booking``).
BENCH = Path(__file__).resolve().parent
sys.path[:] = [e for e in sys.path if Path(e or ".").resolve() != BENCH] + [str(BENCH)]

BOOK_PATH = "/api/v1/appointments/book/"
CONTESTED_SLOTS = 200
EXPECTED_REFUSALS = {"slot_full"}  # the contested pool's correct "no"
TRIES_PER_APPLICANT = 5  # contested attempts per token: well under the booking throttle
ADDRESS_REQUESTS = 50  # requests per client address: well under the address throttle
STATEMENT_BOOKINGS = 20  # timed, then as many counted, through the test client
WARM_UP_BOOKINGS = 10
IN_PROCESS_BOOKINGS = WARM_UP_BOOKINGS + 2 * STATEMENT_BOOKINGS
SERVER_WARM_UP = 12  # bookings over HTTP before the clients start, to reach every worker
PROFILE_APPS = IN_PROCESS_BOOKINGS + SERVER_WARM_UP
TRANSACTION_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b")


# --- The figure line ------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    bookings_per_s: float
    handled_per_s: float
    p50_ms: float
    p95_ms: float
    cpu_ms_per_request: float
    statements_per_booking: float
    raw_tps: float
    oversold: int

    @property
    def ratio(self) -> float:
        return self.bookings_per_s / self.raw_tps if self.raw_tps else math.nan

    def line(self) -> str:
        return (
            f"booking_http: {self.bookings_per_s:.1f} bookings/s, "
            f"{self.handled_per_s:.1f} handled/s (contested), p50 {self.p50_ms:.1f} ms, "
            f"p95 {self.p95_ms:.1f} ms, {self.cpu_ms_per_request:.1f} ms CPU/request, "
            f"{self.statements_per_booking:.1f} statements/booking, "
            f"raw postgres {self.raw_tps:.1f} tps, ratio {self.ratio:.3f}, "
            f"oversold {self.oversold}"
        )


# --- Server CPU -------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def server_cpu_seconds(master: int) -> float:
    """CPU used so far by gunicorn: the master (with the workers it has reaped, which
    ``--max-requests`` recycles) and its live workers. The difference of two readings is
    the server's CPU in between, whichever workers came and went."""
    hz = os.sysconf("SC_CLK_TCK")
    fields = _stat_fields(master)
    if fields is None:
        return math.nan
    # utime, stime, cutime, cstime: fields 14-17 of proc(5), counted from the state (3).
    total = sum(int(v) for v in fields[11:15]) / hz
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = _stat_fields(int(entry.name))
            if child is not None and int(child[1]) == master:
                total += proc_cpu_seconds(int(entry.name)) or 0.0
    return total


# --- Clients ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientPlan:
    """What one client process books with: applicants (application number and token) in
    order, its own open-pool slots (id, booths) and the contested slots."""

    client: int
    applicants: list[tuple[str, str]]
    open_slots: list[tuple[int, int]]
    contested_slots: list[int]


def client_address(client: int, n: int) -> str:
    """The ``n``-th loopback address of ``client``: 127.(16 + client).(n / 250).(n % 250 + 1)."""
    return f"127.{16 + client}.{(n // 250) % 256}.{n % 250 + 1}"


class Sender:
    """HTTP/1.1 keep-alive to the server, moving to the next loopback address every
    ``ADDRESS_REQUESTS`` requests. ``http.client`` reconnects by itself when the server
    closes the connection (gunicorn's sync workers close it after every response)."""

    def __init__(self, client: int, port: int) -> None:
        self.client = client
        self.port = port
        self.addresses = 0
        self.on_address = 0
        self.connects = 0
        self.connection: http.client.HTTPConnection | None = None

    def post(self, token: str, body: dict) -> tuple[int, str]:
        """POST ``body`` to the booking endpoint; (status, error code or "") — status 0
        when the connection failed."""
        if self.connection is None or self.on_address >= ADDRESS_REQUESTS:
            self.close()
            address = client_address(self.client, self.addresses)
            self.addresses += 1
            self.on_address = 0
            self.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60, source_address=(address, 0)
            )
        self.on_address += 1
        connection = self.connection
        if connection.sock is None:
            self.connects += 1
        try:
            connection.request(
                "POST",
                BOOK_PATH,
                body=json.dumps(body),
                headers={
                    "Authorization": f"Token {token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    # As from the TLS proxy in front of production (SECURE_SSL_REDIRECT).
                    "X-Forwarded-Proto": "https",
                },
            )
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return 0, type(error).__name__
        if response.status < 400:
            return response.status, ""
        try:
            return response.status, str(json.loads(data).get("code", ""))
        except (ValueError, AttributeError):
            return response.status, "not JSON"

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class PhaseResult:
    client: int
    booked: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    booked_ms: list[float] = field(default_factory=list)
    all_ms: list[float] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    cpu: float = 0.0
    requests: int = 0
    connects: int = 0
    out_of_applicants: bool = False
    out_of_slots: bool = False

    @property
    def handled(self) -> int:
        return self.booked + self.refused.total()


def book_open(sender: Sender, applicants, plan: ClientPlan, deadline: float) -> PhaseResult:
    """Every attempt on a booth only this client takes, each with a new applicant."""
    result = PhaseResult(plan.client)
    booths = (slot for slot, count in plan.open_slots for _ in range(count))
    while time.monotonic() < deadline:
        applicant, slot = next(applicants, None), next(booths, None)
        if applicant is None or slot is None:
            result.out_of_applicants, result.out_of_slots = applicant is None, slot is None
            break
        number, token = applicant
        started = time.perf_counter()
        status, code = sender.post(token, {"application": number, "slot": slot})
        ms = (time.perf_counter() - started) * 1000
        result.requests += 1
        result.all_ms.append(ms)
        if status == 201:
            result.booked += 1
            result.booked_ms.append(ms)
        else:
            result.errors[f"{status} {code}".strip()] += 1
    return result


def book_contested(
    sender: Sender, applicants, plan: ClientPlan, deadline: float, rng: random.Random
) -> PhaseResult:
    """Random slots among those not yet seen full (all of them once none is left, as a
    stale page would offer), at most ``TRIES_PER_APPLICANT`` attempts per applicant."""
    result = PhaseResult(plan.client)
    not_seen_full = list(plan.contested_slots)
    applicant, tries = next(applicants, None), 0
    while applicant is not None and time.monotonic() < deadline:
        slot = rng.choice(not_seen_full or plan.contested_slots)
        number, token = applicant
        started = time.perf_counter()
        status, code = sender.post(token, {"application": number, "slot": slot})
        result.all_ms.append((time.perf_counter() - started) * 1000)
        result.requests += 1
        tries += 1
        if status == 201:
            result.booked += 1
            result.booked_ms.append(result.all_ms[-1])
        elif status == 409 and code in EXPECTED_REFUSALS:
            result.refused[code] += 1
        else:
            result.errors[f"{status} {code}".strip()] += 1
        refused = status == 409 and code in EXPECTED_REFUSALS
        if (status == 201 or refused) and slot in not_seen_full:
            not_seen_full.remove(slot)
        if not refused or tries >= TRIES_PER_APPLICANT:  # booked, failed, or gives up
            applicant, tries = next(applicants, None), 0
    result.out_of_applicants = applicant is None
    return result


def client_process(plan: ClientPlan, port: int, seconds: float, barrier, results) -> None:
    """One client: the open pool, then the contested pool, each started on the barrier."""
    try:
        sender = Sender(plan.client, port)
        applicants = iter(plan.applicants)
        rng = random.Random(plan.client)
        for phase in ("open", "contested"):
            barrier.wait(timeout=600)
            started, cpu = time.monotonic(), time.process_time()
            connects = sender.connects
            deadline = started + seconds
            if phase == "open":
                result = book_open(sender, applicants, plan, deadline)
            else:
                result = book_contested(sender, applicants, plan, deadline, rng)
            result.started, result.ended = started, time.monotonic()
            result.cpu = time.process_time() - cpu
            result.connects = sender.connects - connects
            results.put(result)
        sender.close()
    except BaseException:
        barrier.abort()
        results.put({"client": plan.client, "crash": traceback.format_exc()})


# --- Setup ------------------------------------------------------------------------------


def add_contested_centre(first, step) -> int:
    """An airport centre like ``populate``'s, with ``CONTESTED_SLOTS`` one-booth slots."""
    from django.db import connection

    from centres.models import Slot

    centre = bench_centre("contested")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Slot._meta.db_table} (centre_id, starts_at, ends_at, capacity, booked)
            SELECT %(centre)s, %(first)s + (g - 1) * %(step)s, %(first)s + g * %(step)s, 1, 0
            FROM generate_series(1, %(count)s) AS g
            """,
            {"centre": centre.pk, "first": first, "step": step, "count": CONTESTED_SLOTS},
        )
    return centre.pk


def issue_tokens(users: range) -> dict[int, tuple[str, str]]:
    """An API token for each of ``users`` (the key ``drf_create_token`` would make);
    returns application id -> (number, token) for the applications they own."""
    import secrets

    from django.db import connection
    from rest_framework.authtoken.models import Token

    from enrolment.models import Applicant, Application

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Token._meta.db_table} (key, created, user_id)
            SELECT k, now(), u FROM unnest(%s::int[], %s::text[]) AS t(u, k)
            """,
            [list(users), [secrets.token_hex(20) for _ in users]],
        )
        cursor.execute(
            f"""
            SELECT a.id, a.number, t.key
            FROM {Application._meta.db_table} AS a
            JOIN {Applicant._meta.db_table} AS p ON p.id = a.applicant_id
            JOIN {Token._meta.db_table} AS t ON t.user_id = p.user_id
            WHERE p.user_id BETWEEN %s AND %s
            """,
            [users.start, users.stop - 1],
        )
        return {app_id: (number, key) for app_id, number, key in cursor.fetchall()}


def slot_booths(centre_id: int) -> list[tuple[int, int]]:
    from centres.models import Slot

    return list(
        Slot.objects.filter(centre_id=centre_id).order_by("starts_at").values_list("pk", "capacity")
    )


def plan_clients(
    layout: Layout, tokens: dict, open_slots: list[tuple[int, int]], contested: list[int]
) -> list[ClientPlan]:
    """Each client its applicants and every ``clients``-th open slot, as many as its
    applicants could book."""
    plans = []
    for client in range(layout.clients):
        own: list[tuple[int, int]] = []
        for slot in open_slots[client :: layout.clients]:
            if sum(count for _, count in own) >= layout.apps_per_client:
                break
            own.append(slot)
        applicants = [tokens[app_id] for app_id in layout.client_apps(client)]
        plans.append(ClientPlan(client, applicants, own, contested))
    return plans


# --- Statements per booking -------------------------------------------------------------


@dataclass(frozen=True)
class StatementCount:
    sql: float
    transaction_control: float
    redis: float
    statements: list[str]
    cpu_ms: float  # in this process, per booking, not counting
    wall_ms: float

    @property
    def per_booking(self) -> float:
        return self.sql + self.transaction_control


def count_statements(applicants: list[tuple[str, str]], booths: list[int]) -> StatementCount:
    """Book through Django's test client with the server's settings: time a few bookings
    (CPU of this process, no HTTP server, no counting), then count, per booking, what
    CaptureQueriesContext sees (every statement Django sends, with BEGIN, COMMIT,
    ROLLBACK and savepoints, which Django logs since 4.2) and Redis round trips
    (redis-py's ``send_packed_command``: one per command, one per pipeline)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from redis.connection import AbstractConnection

    client = Client(SERVER_NAME="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    redis_calls = 0

    def book(applicant: tuple[str, str], slot: int) -> None:
        number, token = applicant
        response = client.post(
            BOOK_PATH,
            {"application": number, "slot": slot},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
        if response.status_code != 201:
            raise RuntimeError(f"a test-client booking answered {response.status_code}")

    real_send = AbstractConnection.send_packed_command

    def send_counted(self, *args, **kwargs):
        nonlocal redis_calls
        redis_calls += 1
        return real_send(self, *args, **kwargs)

    bookings = list(zip(applicants, booths, strict=False))[:IN_PROCESS_BOOKINGS]
    warm_up, timed = bookings[:WARM_UP_BOOKINGS], bookings[WARM_UP_BOOKINGS:]
    timed, counted_bookings = timed[:STATEMENT_BOOKINGS], timed[STATEMENT_BOOKINGS:]
    for applicant, slot in warm_up:
        book(applicant, slot)
    started, cpu = time.perf_counter(), time.process_time()
    for applicant, slot in timed:
        book(applicant, slot)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - started
    with (
        CaptureQueriesContext(connection) as captured,
        mock.patch.object(AbstractConnection, "send_packed_command", send_counted),
    ):
        for applicant, slot in counted_bookings:
            book(applicant, slot)
    statements = [" ".join(q["sql"].split()) for q in captured.captured_queries]
    control = [sql for sql in statements if TRANSACTION_CONTROL.match(sql)]
    count = len(counted_bookings)
    return StatementCount(
        sql=(len(statements) - len(control)) / count,
        transaction_control=len(control) / count,
        redis=redis_calls / count,
        statements=statements[: len(statements) // count],
        cpu_ms=cpu * 1000 / len(timed),
        wall_ms=wall * 1000 / len(timed),
    )


# --- The server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn as the image runs it (Dockerfile's CMD: --worker-tmp-dir /dev/shm,
    --timeout 30, --max-requests 1000 with jitter 100, the access log on stdout), with
    ``workers`` sync workers, on a free loopback port. The environment is this process's:
    DEBUG=False, the scratch database, Redis."""

    def __init__(self, workers: int, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.log_file = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "nexus_portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-tmp-dir",
                "/dev/shm",
                "--timeout",
                "30",
                "--max-requests",
                "1000",
                "--max-requests-jitter",
                "100",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log_file,
        )

    def wait_until_up(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/health/", headers={"X-Forwarded-Proto": "https"})
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log_tail()}")

    def cpu(self) -> float:
        return server_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


# --- Phases -----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    results: list[PhaseResult]
    elapsed: float
    server_cpu: float
    observed: Observation

    @property
    def booked(self) -> int:
        return sum(r.booked for r in self.results)

    @property
    def handled(self) -> int:
        return sum(r.handled for r in self.results)

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.results)

    @property
    def refused(self) -> Counter[str]:
        return sum((r.refused for r in self.results), Counter())

    @property
    def errors(self) -> Counter[str]:
        return sum((r.errors for r in self.results), Counter())

    @property
    def booked_ms(self) -> list[float]:
        return [ms for r in self.results for ms in r.booked_ms]

    @property
    def all_ms(self) -> list[float]:
        return [ms for r in self.results for ms in r.all_ms]

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu * 1000 / max(self.requests, 1)

    def report(self) -> str:
        requests = max(self.requests, 1)
        errors = self.errors
        refused = self.refused
        statuses = f"201 {self.booked}" + "".join(
            f", 409 {code} {n}" for code, n in refused.most_common()
        )
        lines = [
            f"{self.name}: {len(self.results)} clients, {self.elapsed:.1f} s, "
            f"{self.requests} requests ({self.requests / self.elapsed:.1f}/s): {statuses}; "
            f"{errors.total()} unexpected"
            + "".join(f", {what} x{n}" for what, n in errors.most_common(5)),
            f"  {self.booked / self.elapsed:.1f} bookings/s, "
            f"{self.handled / self.elapsed:.1f} handled/s; latency of every request "
            f"p50 {percentile(self.all_ms, 50):.1f} ms, p95 {percentile(self.all_ms, 95):.1f} "
            f"ms, p99 {percentile(self.all_ms, 99):.1f} ms; "
            f"{sum(r.connects for r in self.results)} TCP connections opened",
        ]
        client_cpu = sum(r.cpu for r in self.results)
        per = 1000 / requests
        cpu = (
            f"  CPU per request: gunicorn {self.server_cpu * per:.1f} ms, "
            f"HTTP clients {client_cpu * per:.1f} ms"
        )
        observed = self.observed
        if observed.backend_cpu is not None:
            cpu += f", PostgreSQL backends {observed.backend_cpu * per:.1f} ms"
        if observed.host_busy is not None and observed.host_all:
            cpu += (
                f"; host busy {observed.host_busy / observed.host_all:.0%} of "
                f"{os.cpu_count()} CPUs ({observed.host_stolen or 0:.1f} s stolen)"
            )
        lines.append(cpu)
        lines.append(f"  PostgreSQL backends, sampled: {observed.activity_line()}")
        if any(r.out_of_applicants for r in self.results):
            lines.append("  warning: a client ran out of applicants: raise --applications")
        if any(r.out_of_slots for r in self.results):
            lines.append("  warning: a client ran out of open-pool booths")
        return "\n".join(lines)


def run_phase(name: str, server: Server, target, barrier, results, clients: int, seconds):
    """Release the clients on the barrier; the server's CPU and the backends around it."""
    cpu_before = server.cpu()
    with Observer(target.url) as observed:
        try:
            barrier.wait(timeout=600)
        except threading.BrokenBarrierError:
            crash = results.get(timeout=60)
            raise RuntimeError(f"client {crash['client']} failed:\n{crash['crash']}") from None
        started = time.monotonic()
        collected = [results.get(timeout=seconds + 600) for _ in range(clients)]
    cpu_after = server.cpu()
    for result in collected:
        if isinstance(result, dict):
            raise RuntimeError(f"client {result['client']} crashed:\n{result['crash']}")
    elapsed = max(r.ended for r in collected) - started
    return Phase(name, collected, elapsed, cpu_after - cpu_before, observed)


def warm_up_server(port: int, applicants: list[tuple[str, str]], booths: list[int]) -> None:
    """A few bookings, so that every worker has imported, connected and warmed its caches
    before the clock starts (as a server that has been up for a while)."""
    sender = Sender(client=239, port=port)  # 127.255.x.y: no client uses it
    for applicant, slot in zip(applicants, booths, strict=False):
        number, token = applicant
        status, code = sender.post(token, {"application": number, "slot": slot})
        if status != 201:
            raise RuntimeError(f"warm-up booking answered {status} {code}")
    sender.close()


# --- Main -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase")
    parser.add_argument("--clients", type=int, default=16, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--applications", type=int, default=10_000, help="applicants with tokens for the clients"
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/9", help="Redis database (emptied)"
    )
    parser.add_argument("--pgbench-jobs", type=int, default=2, help="pgbench threads (-j)")
    parser.add_argument("--slot-minutes", type=int, default=5, help="open-pool slot length")
    parser.add_argument(
        "--show-statements", action="store_true", help="list one booking's SQL statements"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 200:
        parser.error("--clients: 1 to 200 (each has its own range of loopback addresses)")
    # What booking.run_raw_phase reads: its clients pick among the 50 soonest open slots
    # and refresh the list 1 attempt in 20, as booking.py's defaults.
    args.window, args.refresh_every = 50, 20
    return args


def redis_ready(url: str) -> bool:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        print(f"bench: Redis at {url} is not reachable ({error}).", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    target = scratch_from_environment(REDIS_URL=args.redis)
    if target is None:
        return 2
    if not shutil.which("pgbench"):
        print("bench: pgbench is not on PATH (it comes with postgresql-client).", file=sys.stderr)
        return 2
    if not redis_ready(args.redis):
        return 2
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    print(
        f"NEXUS booking over HTTP: scratch database {target.name} on {target.where}, "
        f"gunicorn {args.workers} sync workers, {args.clients} client processes, "
        f"{args.seconds:g} s per phase, {os.cpu_count()} CPUs here"
    )
    drop_database(target, recreate=True)
    try:
        with tempfile.TemporaryDirectory(prefix="nexus-bench-http-") as scratch:
            os.environ["STATIC_ROOT"] = scratch  # the API serves no static file
            setup_django()
            from django.db import connections

            try:
                figures, unexpected = run(target, args, Path(scratch))
            finally:
                connections.close_all()
    finally:
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        if args.keep:
            print(f"kept the scratch database {target.name}")
        else:
            drop_database(target)
    print(figures.line())
    return 1 if figures.oversold or unexpected else 0


def run(target, args: argparse.Namespace, scratch: Path) -> tuple[Figures, int]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter()
    first, step, capacities = plan_slots(args.slot_minutes, settings.SLOT_HORIZON_DAYS)
    layout = Layout(
        clients=args.clients,
        apps_per_client=math.ceil(args.applications / args.clients),
        profile_apps=PROFILE_APPS,
        raw_apps=sum(capacities),  # the raw centre runs out of booths first
    )
    centres = populate(layout, first, step, capacities)
    contested = add_contested_centre(first, step)
    tokens = issue_tokens(range(1, layout.raw_owner))
    plans = plan_clients(
        layout,
        tokens,
        slot_booths(centres.service),
        [slot for slot, _ in slot_booths(contested)],
    )
    profile_booths = [slot for slot, count in slot_booths(centres.profile) for _ in range(count)]
    profile_applicants = [tokens[app_id] for app_id in layout.profile_apps_range]
    print(
        f"setup: migrated in {migrated - started:.1f} s, filled in "
        f"{time.perf_counter() - migrated:.1f} s: {layout.clients * layout.apps_per_client} "
        f"conditionally approved applications with tokens for the clients, an open pool of "
        f"{len(capacities)} slots of 2-4 booths, a contested pool of {CONTESTED_SLOTS} "
        f"one-booth slots, {layout.raw_apps} applications for pgbench"
    )

    counted = count_statements(profile_applicants, profile_booths)
    print(
        f"in process (Django's test client, same settings, one booking at a time): "
        f"{counted.cpu_ms:.1f} ms CPU, {counted.wall_ms:.1f} ms in all per booking; "
        f"{counted.per_booking:.1f} statements = {counted.sql:.1f} SQL + "
        f"{counted.transaction_control:.1f} transaction control (BEGIN, COMMIT, savepoints); "
        f"{counted.redis:.1f} "
        f"Redis round trips"
    )
    if args.show_statements:
        for sql in counted.statements:
            print(f"    {sql[:116]}{'…' if len(sql) > 116 else ''}")
    checkpoint()
    connections.close_all()

    server_started = time.perf_counter()
    server = Server(args.workers, scratch / "gunicorn.log")
    context = mp.get_context("spawn")
    barrier = context.Barrier(args.clients + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=client_process,
            args=(plan, server.port, args.seconds, barrier, results),
            daemon=True,
        )
        for plan in plans
    ]
    try:
        server.wait_until_up()
        warm_up_server(
            server.port,
            profile_applicants[IN_PROCESS_BOOKINGS:],
            profile_booths[IN_PROCESS_BOOKINGS:],
        )
        print(f"server: up and warm in {time.perf_counter() - server_started:.1f} s")
        for process in processes:
            process.start()
        phases = []
        for name in ("open pool", "contested pool"):
            phase = run_phase(name, server, target, barrier, results, args.clients, args.seconds)
            phases.append(phase)
            print(phase.report())
        for process in processes:
            process.join(timeout=60)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        server.stop()
    open_pool, contested_pool = phases
    unexpected = open_pool.errors.total() + contested_pool.errors.total()
    if any(what.startswith("5") for p in phases for what in p.errors):
        print(f"server errors: the end of gunicorn's log:\n{server.log_tail()}")

    checkpoint()
    raw_rate = run_raw_phase(target, layout, centres.raw, args)
    open_oversold, open_booths, open_booked = count_oversold(centres.service)
    contested_oversold, contested_booths, contested_booked = count_oversold(contested)
    print(
        f"check: open pool {open_booths} booths taken, {open_booked} appointments booked, "
        f"{open_oversold} slots oversold or miscounted; contested pool {contested_booths} "
        f"of {CONTESTED_SLOTS}, {contested_booked}, {contested_oversold}; "
        f"{unexpected} unexpected answers"
    )
    figures = Figures(
        bookings_per_s=open_pool.booked / open_pool.elapsed,
        handled_per_s=contested_pool.handled / contested_pool.elapsed,
        p50_ms=percentile(open_pool.booked_ms, 50),
        p95_ms=percentile(open_pool.booked_ms, 95),
        cpu_ms_per_request=open_pool.cpu_ms_per_request,
        statements_per_booking=counted.per_booking,
        raw_tps=raw_rate,
        oversold=open_oversold + contested_oversold,
    )
    return figures, unexpected


if __name__ == "__main__":
    sys.exit(main())
