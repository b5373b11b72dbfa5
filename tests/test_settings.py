"""Settings: safe development defaults, and loud refusal to run in production misconfigured.

Each case runs Django in a subprocess, because settings are read once per process and
the test process itself may be pointed at PostgreSQL/Redis (``make test`` with
``DATABASE_URL``). A variable that must be missing is set to the empty string rather
than removed: settings.py also reads a local ``.env``, which never overrides a variable
that is already set, so this keeps a developer's ``.env`` out of the result.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

GOOD_SECRET_KEY = secrets.token_urlsafe(50)
POSTGRES_URL = "postgres://u:p@127.0.0.1:5432/x"  # `check --deploy` never connects to it.

CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
)


def run_django(*args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = os.environ.copy()
    for name in CONFIG_VARS:
        env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = "nexus_portal.settings"
    env.update(env_vars)
    return subprocess.run(  # noqa: S603 - fixed argv: this interpreter and manage.py
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_deploy(**env_vars: str) -> subprocess.CompletedProcess[str]:
    return run_django("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env_vars)


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DEBUG": "False",
        "SECRET_KEY": GOOD_SECRET_KEY,
        "ALLOWED_HOSTS": "portal.example",
        "DATABASE_URL": POSTGRES_URL,
    }
    env.update(overrides)
    return env


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param("", id="missing"),
        pytest.param("too-short-to-be-a-real-key", id="short"),
        pytest.param("dev-only-insecure-key-never-use-in-production", id="dev-default"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    result = check_deploy(**production_env(SECRET_KEY=secret_key))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG=False needs a real SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = check_deploy(**production_env(ALLOWED_HOSTS=""))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG=False needs ALLOWED_HOSTS" in result.stderr


def test_production_refuses_to_start_on_sqlite():
    result = check_deploy(**production_env(DATABASE_URL="sqlite:////tmp/nexus-portal.sqlite3"))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG=False needs a real DATABASE_URL (PostgreSQL)" in result.stderr


def test_production_settings_pass_the_deploy_check_with_no_warnings():
    result = check_deploy(**production_env())

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_turns_on_https_only_cookies_redirect_and_hsts():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({n: getattr(s, n) for n in ("
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER')}))"
    )
    result = run_django("-c", script, **production_env())

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def _dotenv_sets(*names: str) -> bool:
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    text = dotenv.read_text(encoding="utf-8")
    return any(re.search(rf"^(?:export )?{name}=", text, re.MULTILINE) for name in names)


def test_defaults_use_sqlite_under_var_and_run_celery_eagerly():
    if _dotenv_sets("DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"):
        pytest.skip("the local .env overrides the defaults this test checks")
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "db = s.DATABASES['default']; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'ENGINE': db['ENGINE'], 'NAME': str(db['NAME']), "
        "'EAGER': s.CELERY_TASK_ALWAYS_EAGER, 'BROKER': s.CELERY_BROKER_URL, "
        "'CACHE': s.CACHES['default']['BACKEND']}))"
    )
    result = run_django("-c", script)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": True,
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(BASE_DIR / "var" / "db.sqlite3"),
        "EAGER": True,
        "BROKER": "memory://",
        "CACHE": "django.core.cache.backends.locmem.LocMemCache",
    }


def test_redis_url_switches_celery_to_the_broker():
    if _dotenv_sets("CELERY_TASK_ALWAYS_EAGER"):
        pytest.skip("the local .env sets CELERY_TASK_ALWAYS_EAGER")
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'EAGER': s.CELERY_TASK_ALWAYS_EAGER, 'BROKER': s.CELERY_BROKER_URL}))"
    )
    result = run_django("-c", script, REDIS_URL="redis://127.0.0.1:6379/0")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"EAGER": False, "BROKER": "redis://127.0.0.1:6379/0"}


def test_every_variable_settings_reads_is_documented_in_env_example():
    base = Path(__file__).resolve().parent.parent
    source = (base / "nexus_portal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    example = (base / ".env.example").read_text()
    documented = set(re.findall(r"^# ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert read, "no environment variable found: the pattern is out of date"
    assert sorted(read - documented) == []
