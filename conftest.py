"""Personas shared by every app's tests, and the PostgreSQL-only marker."""

import pytest
from django.conf import settings
from django.utils import translation

from enrolment.tests.factories import ApplicantFactory, UserFactory

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (row locks, real concurrency): set DATABASE_URL=postgres://..."
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def applicant(db):
    return ApplicantFactory()


@pytest.fixture
def other_applicant(db):
    return ApplicantFactory()


@pytest.fixture
def programme_admin(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default():
    """A French request leaves French active in the thread; every test starts in English."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets an empty local-memory cache: counters (sign-in lock-outs) never leak
    between tests, and time-machine moves their expiry, which a real Redis would not."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks run in the test's own process, even when REDIS_URL points at a real Redis
    (the integration tests start a real worker and switch this off themselves)."""
    from nexus_portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def cache_down(settings):
    """The cache is a Redis where nothing listens (port 1 of the loopback: refused at
    once), as in an outage. After ``_isolated_cache``: changing CACHES resets Django's
    cache handler, so ``django.core.cache.cache`` is the dead Redis until the end."""
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisDown

    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            # The timeouts only bound a slower failure than a refused connection.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with pytest.raises(RedisDown):
        cache.get("anything")
    yield
    settings.CACHES = working  # before _isolated_cache clears the cache


@pytest.fixture(params=["cache up", "cache down"])
def either_cache(request):
    """Runs a test twice: with the cache working, and through an outage (``cache_down``),
    for what must hold either way (the sign-in lock-outs)."""
    if request.param == "cache down":
        request.getfixturevalue("cache_down")


@pytest.fixture
def migrate_to(transactional_db):
    """Migrate an app to one of its migrations (what depends on later ones goes back too),
    or everything to the latest (``None``);
    return the models as they were then, for every app. Transactional: a migration
    cannot run inside a test's transaction on SQLite. The database ends at the latest
    migration, whatever happens."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)

    def migrate(target: tuple[str, str] | None):
        """``None``: every app to its latest migration."""
        executor.loader.build_graph()
        executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
        executor.loader.build_graph()
        applied = set(executor.loader.applied_migrations)
        graph = executor.loader.graph
        # Every applied migration with nothing applied after it: together they give the
        # state the database is in.
        tips = [n for n in applied if not any(c.key in applied for c in graph.node_map[n].children)]
        return executor.loader.project_state(tips, at_end=True).apps

    yield migrate
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
