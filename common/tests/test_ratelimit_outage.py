"""With the cache (Redis) unreachable, the lock-outs and e-mail budgets count in the
database instead: they hold through an outage. The API throttles still fail open."""

import datetime
import logging

import pytest
import time_machine
from django.core import mail

from common.models import RateLimitCounter
from common.ratelimit import RateLimit
from common.tests.threads import run_at_once
from enrolment.services import application_link
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
SIGN_IN_URL = "/en/accounts/sign-in/"
RESET = "/en/accounts/password-reset/"
TOO_MANY = "You have made too many requests."


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own delay would refuse first


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(SIGN_IN_URL, {"username": username, "password": password}, **extra)


# Sign-in and the code step (the lock-outs themselves: test_sign_in.py, with either_cache)


def test_outage_counters_and_the_log_hold_no_username_or_address(client, cache_down, caplog):
    UserFactory(username="daniel")
    with caplog.at_level(logging.WARNING, logger="common.ratelimit"):
        for _ in range(5):
            sign_in(client, "daniel", "wrong", REMOTE_ADDR="192.0.2.77")

    (counter,) = RateLimitCounter.objects.all()
    assert counter.count == 5
    assert "counted in the database: the cache is unreachable" in caplog.text
    assert "locked out after 5 failures" in caplog.text
    for text in (counter.key, caplog.text):
        assert "daniel" not in text
        assert "192.0.2.77" not in text


def test_with_the_cache_working_nothing_is_counted_in_the_database(client):
    UserFactory(username="daniel")
    for _ in range(5):
        sign_in(client, "daniel", "wrong")

    assert sign_in(client, "daniel").status_code == 429
    assert not RateLimitCounter.objects.exists()


# E-mail budgets and the linking lock --------------------------------------------------------


def test_a_password_reset_budget_still_refuses_while_the_cache_is_unreachable(client, cache_down):
    user = UserFactory(email="daniel@example.com")
    for _ in range(5):
        assert client.post(RESET, {"email": user.email}).status_code == 302

    refused = client.post(RESET, {"email": user.email})

    assert refused.status_code == 429
    assert TOO_MANY in refused.content.decode()
    assert len(mail.outbox) == 5


def test_the_linking_lock_counts_while_the_cache_is_unreachable(cache_down):
    user = UserFactory()
    applicant = ApplicantFactory(user=None, date_of_birth=datetime.date(1985, 6, 15))
    ApplicationFactory(applicant=applicant, number="NX2026000002")

    def attempt(number):
        try:
            application_link(user=user, number=number, date_of_birth=applicant.date_of_birth)
        except Exception as error:
            return error.code

    codes = [attempt(f"NX20269999{n:02d}") for n in range(5)]

    assert codes == ["no_match"] * 4 + ["locked"]
    assert attempt("NX2026000002") == "locked"
    applicant.refresh_from_db()
    assert applicant.user is None


# The fallback counter itself ------------------------------------------------------------------


def test_an_expired_counter_restarts_and_expired_rows_are_swept(
    cache_down, django_capture_on_commit_callbacks
):
    limit = RateLimit("test", limit=2, window=60)
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        limit.fail("old")
        limit.fail("a")
        assert limit.fail("a")
        clock.shift(61)
        assert not limit.is_locked("a")

        assert not limit.fail("a")  # the expired window starts again at one
        with django_capture_on_commit_callbacks(execute=True):
            limit.fail("new")  # a new row sweeps the expired ones

    assert sorted(RateLimitCounter.objects.values_list("count", flat=True)) == [1, 1]
    assert RateLimitCounter.objects.count() == 2  # "old" is gone


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_failures_counted_at_once_during_an_outage_are_all_counted(cache_down):
    # Each thread opens its own connection to the dead Redis, and to the database.
    limit = RateLimit("test", limit=100)

    results = run_at_once(*[lambda: limit.fail("same")] * 8)

    assert results == [False] * 8
    assert RateLimitCounter.objects.get().count == 8


# The API throttles still fail open ------------------------------------------------------------


def test_the_api_throttles_let_requests_through_while_the_cache_is_unreachable(
    client, settings, cache_down, caplog
):
    rest = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **rest,
        "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], "anon": "1/minute"},
    }

    for _ in range(3):
        assert client.get("/api/v1/centres/").status_code == 200
    assert "cache unavailable" in caplog.text
    assert not RateLimitCounter.objects.exists()


def test_signing_in_still_works_while_the_cache_is_unreachable(client, cache_down):
    user = UserFactory()

    assert sign_in(client, user.username, "wrong").status_code == 200
    assert sign_in(client, user.username).status_code == 302
