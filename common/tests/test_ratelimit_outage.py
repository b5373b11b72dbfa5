"""With the cache (Redis) unreachable, the lock-outs and e-mail budgets count in the
database instead: they hold through an outage. The API throttles still fail open."""

import datetime
import logging

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from redis.exceptions import ConnectionError as RedisDown

from centres.models import StaffProfile
from common.models import RateLimitCounter
from common.ratelimit import RateLimit
from common.tests.threads import run_at_once
from enrolment.services import application_link
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
SIGN_IN_URL = "/en/accounts/sign-in/"
VERIFY = "/en/accounts/verify/"
RESET = "/en/accounts/password-reset/"
LOCKED = "Too many failed attempts. Try again in 15 minutes."
TOO_MANY = "You have made too many requests."
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        # Refused at once on the loopback; the timeouts only bound a slower failure.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture
def cache_down(settings):
    # After the suite's _isolated_cache: changing CACHES resets Django's cache handler,
    # so ``django.core.cache.cache`` is the dead Redis from here on.
    working = settings.CACHES
    settings.CACHES = DEAD_REDIS
    with pytest.raises(RedisDown):
        cache.get("anything")
    yield
    settings.CACHES = working  # before the suite's own fixture clears the cache


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own delay would refuse first


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(SIGN_IN_URL, {"username": username, "password": password}, **extra)


def code_for(user, offset: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, drift=offset):06d}"


# Sign-in and the code step ----------------------------------------------------------------


def test_five_wrong_passwords_lock_the_sign_in_while_the_cache_is_unreachable(client, cache_down):
    UserFactory(username="daniel")
    for _ in range(4):
        assert sign_in(client, "daniel", "wrong").status_code == 200

    fifth = sign_in(client, "daniel", "wrong")
    right = sign_in(client, "daniel")

    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert SESSION_KEY not in client.session


def test_a_right_password_clears_the_count_while_the_cache_is_unreachable(client, cache_down):
    UserFactory(username="daniel")
    for _ in range(4):
        sign_in(client, "daniel", "wrong")
    assert sign_in(client, "daniel").status_code == 302
    client.logout()

    for _ in range(4):
        assert sign_in(client, "daniel", "wrong").status_code == 200
    assert sign_in(client, "daniel").status_code == 302


def test_the_outage_lock_out_ends_after_15_minutes(client, cache_down):
    UserFactory(username="daniel")
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        for _ in range(5):
            sign_in(client, "daniel", "wrong")
        clock.shift(14 * 60)
        assert sign_in(client, "daniel").status_code == 429
        clock.shift(61)
        assert sign_in(client, "daniel").status_code == 302


def test_five_wrong_codes_lock_the_code_step_while_the_cache_is_unreachable(client, cache_down):
    officer = UserFactory(username="nathalie")
    StaffProfile.objects.create(user=officer, role=StaffProfile.Role.CBSA_OFFICER)
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    assert sign_in(client, "nathalie").status_code == 302
    for _ in range(4):
        assert client.post(VERIFY, {"code": code_for(officer, offset=5)}).status_code == 200

    fifth = client.post(VERIFY, {"code": code_for(officer, offset=5)})
    right = client.post(VERIFY, {"code": code_for(officer)})

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session


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
