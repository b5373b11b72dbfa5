"""With the cache (Redis) unreachable, limits fail open: people can still sign in."""

import pytest
from django.urls import reverse

from enrolment.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down(settings):
    working = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    yield
    settings.CACHES = working  # before the suite's own fixture clears the cache


def test_signing_in_works_while_the_cache_is_unreachable(client, cache_down, caplog):
    user = UserFactory()
    url = reverse("common:sign_in")
    wrong = client.post(url, {"username": user.username, "password": "wrong"})
    assert wrong.status_code == 200  # the form again, with its message: not a server error
    right = client.post(
        url, {"username": user.username, "password": "correct horse battery staple"}
    )
    assert right.status_code == 302
    assert "limit not applied: the cache is unreachable" in caplog.text
    assert user.username not in caplog.text  # the log names no one
