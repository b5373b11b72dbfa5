"""Integration tests: a real Celery worker process, this machine's Redis, the test database.

Every test in this folder is marked ``integration`` and is skipped, with the reason,
unless ``REDIS_URL`` is set and ``DATABASE_URL`` is PostgreSQL (SQLite cannot share its
test database, which lives in memory, with another process).

Fixtures (see ``test_background_jobs.py`` for use):

- ``broker``: the dedicated Redis database (``/15`` on ``REDIS_URL``'s server, flushed
  before and after each test, so neither the suite's nor anyone else's queues mix in).
  The test process's Celery app publishes there, not eagerly, for the test's duration;
  ``with broker.unreachable():`` points it at a closed port instead (Redis "down").
- ``mail_dir``: where the workers' file e-mail backend writes; ``mails(mail_dir)`` in
  ``helpers.py`` reads the messages back.
- ``start_worker(...)``: starts ``celery -A nexus_portal worker`` on the test database
  (committed rows only, hence ``transactional_db``) and waits until it is ready. Every
  worker it started is stopped after the test (terminate, then kill), and their logs are
  added to the report of a failed test.
"""

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

from nexus_portal.celery import app as celery_app
from tests.integration.helpers import wait_until

HERE = Path(__file__).resolve().parent
REDIS_DB = 15
UNREACHABLE_BROKER = f"redis://127.0.0.1:1/{REDIS_DB}"  # nothing listens on port 1
# Tags the workers' database connections, so teardown can wait for them to close.
WORKER_APPLICATION_NAME = "nexus-integration-worker"
WORKER_READY_SECONDS = 30
WORKER_STOP_SECONDS = 10
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
HAVE_REDIS = bool(settings.REDIS_URL)
WORKER_LOGS = pytest.StashKey[list]()


def pytest_collection_modifyitems(config, items):
    missing = [
        *([] if HAVE_REDIS else ["REDIS_URL is not set"]),
        *([] if ON_POSTGRES else ["DATABASE_URL is not PostgreSQL"]),
    ]
    skip = pytest.mark.skip(
        reason=f"runs a real Celery worker on Redis and PostgreSQL, but {' and '.join(missing)}"
    )
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)
            if missing:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        for name, log in item.stash.get(WORKER_LOGS, []):
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            report.sections.append((f"celery worker {name} log", text))
    return report


def _dedicated_redis_url() -> str:
    parts = urlsplit(settings.REDIS_URL)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}", query=""))


def _switch_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # The app keeps the connection and producer pools it took for its first publish, for
    # the broker URL of that moment: drop them, so the next publish takes those for ``url``.
    # Not closed: kombu keeps one pool per URL for the whole process, and hands it out again.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@dataclass
class Broker:
    url: str

    @contextlib.contextmanager
    def unreachable(self):
        """Redis is down, as this (the web) process sees it: every publish fails."""
        _switch_broker(UNREACHABLE_BROKER)
        try:
            yield
        finally:
            _switch_broker(self.url)


@pytest.fixture
def broker():
    url = _dedicated_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as error:
        pytest.fail(f"REDIS_URL is set but Redis at {url} is unreachable: {error}")
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    _switch_broker(url)
    celery_app.conf.task_always_eager = False
    yield Broker(url)
    _switch_broker(saved[0])
    celery_app.conf.task_always_eager = saved[1]
    client.flushdb()
    client.close()


@pytest.fixture
def mail_dir(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


def _worker_database_url() -> str:
    """``DATABASE_URL`` as given, but naming the database pytest-django created (its
    credentials and host stay exactly as written)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(
        parts._replace(
            path="/" + quote(settings.DATABASES["default"]["NAME"]),
            query=f"application_name={WORKER_APPLICATION_NAME}",
        )
    )


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its children (pool processes, embedded beat) at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WORKER_STOP_SECONDS)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown: running tasks finish
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=WORKER_STOP_SECONDS)
        self.kill()  # whatever is left of it


@pytest.fixture
def start_worker(request, transactional_db, broker, mail_dir, tmp_path):
    """Start a worker: ``start_worker(concurrency=2, beat=False, pool="prefork", **env)``;
    extra keyword arguments become (string) environment variables of the worker."""
    workers: list[Worker] = []
    request.node.stash[WORKER_LOGS] = []
    numbers = itertools.count(1)
    celery = Path(sys.executable).with_name("celery")

    def start(*, pool="prefork", concurrency=2, beat=False, **extra_env) -> Worker:
        number = next(numbers)
        name = f"integration{number}-{uuid.uuid4().hex[:8]}@localhost"
        log = tmp_path / f"worker{number}.log"
        request.node.stash[WORKER_LOGS].append((name, log))
        env = {
            **os.environ,
            "PYTHONPATH": str(settings.BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "nexus_portal.settings",
            "DATABASE_URL": _worker_database_url(),
            "REDIS_URL": broker.url,
            "CELERY_TASK_ALWAYS_EAGER": "False",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "OUTBOX_RELAY_SECONDS": "1",
            "OUTBOX_CLAIM_SECONDS": "3",
            **{key: str(value) for key, value in extra_env.items()},
        }
        command = [
            str(celery), "-A", "nexus_portal", "worker", "-l", "info", "-n", name,
            f"--pool={pool}", f"--concurrency={concurrency}",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if beat:
            command += ["-B", "--schedule", str(tmp_path / f"beat{number}-schedule")]
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches its children
            )
        worker = Worker(name, process, log)
        workers.append(worker)
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while f"{name} ready." not in worker.log_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {name} did not start:\n{worker.log_text()}")
            time.sleep(0.05)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    # A killed worker's connections close with it, but let PostgreSQL see them go before
    # pytest-django empties the tables (and, at the end, drops the database).
    with connection.cursor() as cursor:

        def workers_disconnected():
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [WORKER_APPLICATION_NAME],
            )
            return cursor.fetchone()[0] == 0

        wait_until(workers_disconnected, timeout=10, what="the workers' database connections")
