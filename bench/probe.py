"""Hostile input against the real server, from outside, as an attacker and a careless
client would (issue 10): every page, form, API operation and scheduler query, with the
values that broke pages before, anonymous and signed in, once with Redis up and once with
the cache and broker pointing at a port where nothing listens.

Runs in a scratch database ``<dbname>_bench`` on the PostgreSQL server that
``DATABASE_URL`` names (created, filled with the demo data and dropped again):

1. migrate, collect the static files, load the demo data;
2. start gunicorn (2 workers, ``DEBUG=False``) on a free loopback port;
3. sign in the demo applicant (session and API token) and a CBSA officer (with the demo
   authenticator's code), read the real ids the probe can aim at;
4. send ``--requests`` requests, each a random page or operation with random hostile
   values in its path, query and body; count the answers by status;
5. the same with the cache and broker down, and seven wrong passwords for one account;
6. print one line: ``probe: <N> requests, <E> 5xx (Redis up); <N2> requests, <E2> 5xx
   (Redis down); sign-in lock through the outage: held|NOT HELD``.

Bounded: loopback only, a fixed number of requests, a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from booking import PG_SCHEMES, drop_database, scratch_target

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "nexus-demo-2026"  # the demo accounts' published password
HOSTILE = [
    "9999-12-31",
    "0001-01-01",
    "2027-02-30",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "1" * 400,
    "1e999",
    "NaN",
    "19621.9",
    "true",
    "²",
    "١٢",
    "\x00",
    "NX\x00",
    "A" * 3000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "",
    "-1",
    "0",
]
JSON_HOSTILE = [1e308, 19621.9, True, None, -1, 2**63, [], {}, "²", "9999-12-31", [1] * 5000]
RAW_BODIES = ["[" * 5000, '{"slot": 1e999}', '{"slot": NaN}', "x" * 100_000, "\x00", "{"]
QUERY_NAMES = [
    "day", "from", "slot", "move", "kind", "region", "country", "centre", "number", "next",
    "from_date", "to_date", "locationId", "minimum", "limit", "orderBy", "startTimestamp",
    "endTimestamp", "timestamp", "filterTimestampBy", "serviceName", "q", "o", "p",
]  # fmt: skip
PAGES = [
    "/{lang}/",
    "/{lang}/centres/{centre}/",
    "/{lang}/accounts/sign-in/",
    "/{lang}/accounts/sign-up/",
    "/{lang}/accounts/verify/",
    "/{lang}/accounts/confirm/resend/",
    "/{lang}/accounts/confirm/{x}/{x}/",
    "/{lang}/accounts/password-reset/",
    "/{lang}/accounts/password-reset/{x}/{x}/",
    "/{lang}/accounts/",
    "/{lang}/accounts/language/",
    "/{lang}/accounts/password/",
    "/{lang}/accounts/email/",
    "/{lang}/accounts/email/confirm/{x}/",
    "/{lang}/my/",
    "/{lang}/my/link/",
    "/{lang}/my/applications/{number}/history/",
    "/{lang}/my/applications/{number}/book/",
    "/{lang}/my/applications/{number}/book/{centre}/",
    "/{lang}/my/applications/{number}/hold/",
    "/{lang}/my/applications/{number}/earlier-time/",
    "/{lang}/my/appointments/{appointment}/",
    "/{lang}/my/appointments/{appointment}/calendar.ics",
    "/{lang}/officer/",
    "/{lang}/officer/find/",
    "/{lang}/officer/enrolments/{x}/",
    "/{lang}/officer/enrolments/{x}/outcome/",
    "/{lang}/officer/enrolments/{x}/review/",
    "/{lang}/admin/centres/closure/",
    "/{lang}/admin/centres/closure/add/",
    "/i18n/setlang/",
    "/health/",
    "/schedulerapi/locations",
    "/schedulerapi/slots",
    "/schedulerapi/slot-availability",
    "/schedulerapi/locations/{ttp}/slots",
    "/schedulerapi/slots/asLocations",
    "/api/schema/",
    "/api/docs/",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"probe: manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


class Server:
    """gunicorn on the scratch database, production settings, on a free loopback port."""

    def __init__(self, env: dict) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "nexus_portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(env["PROBE_DIR"]) / "gunicorn.log", "a"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/health/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("probe: the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class BehindTLS(requests.Session):
    """The server runs as in production, behind a TLS proxy: say so (the proxy's header),
    send the same-origin Referer a browser would, and keep sending the Secure cookies on
    this plain loopback connection."""

    def __init__(self, url: str) -> None:
        super().__init__()
        https = "https" + url.removeprefix("http")
        self.headers.update({"X-Forwarded-Proto": "https", "Referer": https + "/"})

    def request(self, *args, **kwargs):
        for cookie in self.cookies:
            cookie.secure = False
        kwargs["allow_redirects"] = False  # a followed redirect would drop them again
        return super().request(*args, **kwargs)


def sign_in(url: str, username: str, code_of=None) -> requests.Session:
    session = BehindTLS(url)
    session.get(f"{url}/en/accounts/sign-in/", timeout=10)
    answer = session.post(
        f"{url}/en/accounts/sign-in/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=10,
    )
    if code_of is not None:
        answer = session.post(
            f"{url}/en/accounts/verify/",
            data={"code": code_of(username), "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            timeout=10,
        )
    landing = answer.headers.get("Location", "")
    if answer.status_code != 302 or "/sign-in/" in landing or "/verify/" in landing:
        raise SystemExit(f"probe: could not sign {username} in ({answer.status_code} {landing})")
    return session


class Probe:
    def __init__(self, url: str, env: dict, rng: random.Random) -> None:
        self.url = url
        self.rng = rng
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.applicant = sign_in(url, "applicant2")
        self.officer = sign_in(
            url,
            "cbsa.officer",
            # The demo authenticator's code (the command prints codes only with DEBUG on).
            lambda user: manage({**env, "DEBUG": "True"}, "totp_code", user).split()[-1],
        )
        self.token = manage(env, "drf_create_token", "applicant2").split()[2]
        self.anonymous = BehindTLS(url)
        self.real = self._real_ids()
        schema = self.anonymous.get(f"{url}/api/schema/?format=json", timeout=10).json()
        self.operations = [
            (method.upper(), path, operation)
            for path, item in schema["paths"].items()
            for method, operation in item.items()
        ]

    def _real_ids(self) -> dict[str, list[str]]:
        api = {"Authorization": f"Token {self.token}"}
        centres = self.anonymous.get(f"{self.url}/api/v1/centres/", timeout=10).json()
        applications = self.anonymous.get(
            f"{self.url}/api/v1/applications/", headers=api, timeout=10
        ).json()
        appointments = self.anonymous.get(
            f"{self.url}/api/v1/appointments/", headers=api, timeout=10
        ).json()
        locations = self.anonymous.get(f"{self.url}/schedulerapi/locations", timeout=10).json()
        return {
            "centre": [str(c["id"]) for c in centres],
            "number": [a["number"] for a in applications] or ["NX2026000002"],
            "appointment": [str(a["id"]) for a in appointments] or ["1"],
            "ttp": [str(location["id"]) for location in locations],
            "id": [str(c["id"]) for c in centres],
        }

    def value(self) -> str:
        return self.rng.choice(HOSTILE)

    def fill(self, template: str) -> str:
        def part(match: re.Match) -> str:
            name = match[1]
            if name == "lang":
                return self.rng.choice(["en", "fr"])
            if name in self.real and self.rng.random() < 0.6:
                return self.rng.choice(self.real[name])
            return quote(self.value(), safe="") or "x"

        return re.sub(r"\{(\w+)\}", part, template)

    def send(self, method: str, path: str, **kwargs) -> None:
        who = self.rng.choice([self.anonymous, self.applicant, self.officer])
        headers = kwargs.pop("headers", {})
        if who is not self.anonymous and "csrftoken" in who.cookies:
            headers["X-CSRFToken"] = who.cookies["csrftoken"]
        if path.startswith("/api/") and self.rng.random() < 0.3:
            headers["Authorization"] = f"Token {self.token}"
        try:
            answer = who.request(
                method,
                self.url + path,
                headers=headers,
                timeout=30,
                **kwargs,
            )
        except requests.RequestException as error:
            self.statuses[599] += 1
            self.errors.append(f"{method} {path[:120]}: {type(error).__name__}")
            return
        self.statuses[answer.status_code] += 1
        if answer.status_code >= 500:
            self.errors.append(f"{method} {path[:120]} -> {answer.status_code}")

    def page_request(self) -> None:
        path = self.fill(self.rng.choice(PAGES))
        query = {name: self.value() for name in self.rng.sample(QUERY_NAMES, 3)}
        if self.rng.random() < 0.5:
            self.send("GET", path, params=query)
        else:
            form = {name: self.value() for name in self.rng.sample(QUERY_NAMES, 4)}
            who_form = {"csrfmiddlewaretoken": self.applicant.cookies.get("csrftoken", "")}
            self.send("POST", path, params=query, data={**form, **who_form})

    def api_request(self) -> None:
        method, template, operation = self.rng.choice(self.operations)
        path = self.fill(template)
        query = {
            parameter["name"]: self.value()
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query" and self.rng.random() < 0.7
        }
        if method == "GET":
            self.send(method, path, params=query)
            return
        roll = self.rng.random()
        if roll < 0.2:
            self.send(method, path, data=self.rng.choice(RAW_BODIES),
                      headers={"Content-Type": "application/json"})  # fmt: skip
            return
        names = ["application", "slot", "centres", "earliest", "latest", "outcome", "centre",
                 "notes", "decision", "mornings", "auto_rebook"]  # fmt: skip
        body = {
            name: self.rng.choice([*JSON_HOSTILE, self.value()])
            for name in self.rng.sample(names, 4)
        }
        self.send(method, path, params=query, data=json.dumps(body),
                  headers={"Content-Type": "application/json"})  # fmt: skip

    def run(self, count: int) -> tuple[int, int]:
        for _ in range(count):
            (self.page_request if self.rng.random() < 0.55 else self.api_request)()
        total = sum(self.statuses.values())
        server_errors = sum(n for status, n in self.statuses.items() if status >= 500)
        return total, server_errors


def lock_holds(url: str) -> bool:
    """Seven wrong passwords for one account, then the right one: refused while locked."""
    session = BehindTLS(url)
    session.get(f"{url}/en/accounts/sign-in/", timeout=10)
    form = {"username": "applicant3", "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    for attempt in range(7):
        session.post(f"{url}/en/accounts/sign-in/", data={**form, "password": f"wrong{attempt}"},
                     timeout=30)  # fmt: skip
    right = session.post(f"{url}/en/accounts/sign-in/", data={**form, "password": PASSWORD},
                         timeout=30)  # fmt: skip
    return right.status_code == 429


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1500, help="per phase")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args(argv)
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in PG_SCHEMES:
        print("probe: skipped (DATABASE_URL names no PostgreSQL server)")
        return 0
    target = scratch_target(database_url)
    drop_database(target, recreate=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "DATABASE_URL": target.url,
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "False",
            "STATIC_ROOT": str(Path(scratch) / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
            "LOG_LEVEL": "ERROR",
            "PROBE_DIR": scratch,
            "API_RATE_ANON": "100000/minute",
            "API_RATE_USER": "100000/minute",
            "API_RATE_ADDRESS": "100000/minute",
            "API_RATE_BOOKING": "100000/minute",
        }
        try:
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput")
            manage(env, "load_demo_data", "--force")
            results = []
            for phase, redis_url in (("Redis up", env["REDIS_URL"]),
                                     ("Redis down", "redis://127.0.0.1:1/0")):  # fmt: skip
                server = Server({**env, "REDIS_URL": redis_url})
                try:
                    probe = Probe(server.url, env, random.Random(args.seed))
                    total, server_errors = probe.run(args.requests)
                    held = lock_holds(server.url) if phase == "Redis down" else None
                finally:
                    server.stop()
                for line in probe.errors[:20]:
                    print(f"  {phase}: {line}")
                print(f"  {phase}: statuses {dict(sorted(probe.statuses.items()))}")
                results.append((phase, total, server_errors, held))
        finally:
            drop_database(target)
    (up, up_total, up_errors, _), (down, down_total, down_errors, held) = results
    print(
        f"probe: {up_total} requests, {up_errors} 5xx ({up}); {down_total} requests, "
        f"{down_errors} 5xx ({down}); sign-in lock through the outage: "
        f"{'held' if held else 'NOT HELD'}"
    )
    return 1 if up_errors or down_errors or not held else 0


if __name__ == "__main__":
    sys.exit(main())
