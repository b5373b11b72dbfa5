"""Shared fixtures for the API tests: a frozen Monday morning in Vancouver, a centre with
open times, and API clients signed in by session or by token."""

import datetime
import zoneinfo

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory

UTC = datetime.UTC
VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
NOW = datetime.datetime(2027, 3, 1, 17, 0, tzinfo=UTC)  # Monday 09:00 in Vancouver
TODAY = NOW.astimezone(VANCOUVER).date()


def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = TODAY + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VANCOUVER)


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The one error shape, with this status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code
    return body


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def yvr(db):
    return CentreFactory(
        name="Vancouver International Airport",
        city="Richmond",
        region="BC",
        time_zone="America/Vancouver",
    )


@pytest.fixture
def slot(yvr):
    return SlotFactory(centre=yvr, starts_at=at(2, 9), capacity=2)


@pytest.fixture
def later_slot(yvr):
    return SlotFactory(centre=yvr, starts_at=at(3, 10), capacity=1)


@pytest.fixture
def full_slot(yvr):
    return SlotFactory(centre=yvr, starts_at=at(2, 11), capacity=1, booked=1)


@pytest.fixture
def application(applicant):
    return ApplicationFactory(applicant=applicant)


@pytest.fixture
def other_application(other_applicant):
    return ApplicationFactory(applicant=other_applicant)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_in(applicant):
    """An API client signed in (by session) as the applicant."""
    client = APIClient()
    client.force_login(applicant.user)
    return client


@pytest.fixture
def api_token(applicant):
    """An API client that authenticates with the applicant's token, no session."""
    client = APIClient()
    token = Token.objects.create(user=applicant.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
