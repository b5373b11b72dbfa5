"""Who may call the API, and how often: sessions and applicant tokens, staff only through
an OTP-verified session (never a token), throttles per user and per address, and every
4xx in the one error shape."""

from unittest import mock

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bookings.models import Appointment
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import UserFactory
from interviews.tests.factories import StaffProfileFactory
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

APPLICANT_READS = ["/api/v1/applications/", "/api/v1/appointments/", "/api/v1/waitlist-requests/"]


@pytest.fixture
def rates(settings):
    """Set throttle rates for one test (the throttles read them per request)."""

    def set_rates(**changes):
        rest = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **rest,
            "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], **changes},
        }

    return set_rates


@pytest.mark.parametrize("url", APPLICANT_READS)
def test_signed_out_is_a_401_asking_for_a_token(api, url):
    response = api.get(url)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_a_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(api.get("/api/v1/applications/"), 401, "authentication_failed")


def test_an_applicant_token_works_without_a_session(api_token, application, slot):
    assert [a["number"] for a in api_token.get("/api/v1/applications/").json()] == [
        application.number
    ]
    response = api_token.post(
        "/api/v1/appointments/book/",
        {"application": application.number, "slot": slot.pk},
        format="json",
    )
    assert response.status_code == 201
    assert Appointment.objects.get().application == application


def test_the_management_command_makes_a_token_that_works(applicant, capsys):
    call_command("drf_create_token", applicant.user.username)
    key = Token.objects.get(user=applicant.user).key
    assert key in capsys.readouterr().out
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/applications/").status_code == 200


@pytest.fixture
def officer(yvr):
    return StaffProfileFactory(centres=[yvr]).user


@pytest.mark.parametrize("url", APPLICANT_READS)
def test_an_unverified_staff_session_is_refused(officer, url):
    client = APIClient()
    client.force_login(officer)  # signed in, code step not done
    assert_error(client.get(url), 403, "not_verified")


def test_an_unverified_admin_session_cannot_book(application, slot):
    client = APIClient()
    client.force_login(UserFactory(is_staff=True))
    response = client.post(
        "/api/v1/appointments/book/",
        {"application": application.number, "slot": slot.pk},
        format="json",
    )
    assert_error(response, 403, "not_verified")
    assert not Appointment.objects.exists()


def test_a_verified_staff_session_passes(officer):
    client = APIClient()
    force_login_verified(client, officer)
    response = client.get("/api/v1/applications/")
    assert response.status_code == 200
    assert response.json() == []


def test_a_staff_token_never_counts_as_verified(officer):
    client = APIClient()
    token = Token.objects.create(user=officer)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert_error(client.get("/api/v1/appointments/"), 403, "not_verified")


def test_public_reads_need_no_sign_in_even_for_unverified_staff(officer, yvr):
    client = APIClient()
    client.force_login(officer)
    assert client.get("/api/v1/centres/").status_code == 200
    assert client.get(f"/api/v1/centres/{yvr.pk}/slots/").status_code == 200


def test_a_session_post_needs_the_csrf_token(application, slot):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(application.applicant.user)
    response = client.post(
        "/api/v1/appointments/book/",
        {"application": application.number, "slot": slot.pk},
        format="json",
    )
    assert_error(response, 403, "permission_denied")
    assert not Appointment.objects.exists()


def test_an_unknown_api_path_is_a_json_404(api):
    assert_error(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_error(api.post("/api/v2/centres/"), 404, "not_found")


# --- Throttles -------------------------------------------------------------------------


def test_signed_out_callers_are_throttled_per_address(api, rates, yvr):
    rates(anon="2/minute")
    for _ in range(2):
        assert api.get("/api/v1/centres/", REMOTE_ADDR="192.0.2.1").status_code == 200
    response = api.get("/api/v1/centres/", REMOTE_ADDR="192.0.2.1")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert api.get("/api/v1/centres/", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_signed_in_callers_are_throttled_per_user(api_in, api_token, rates):
    rates(user="3/minute")
    for _ in range(2):
        assert api_in.get("/api/v1/applications/").status_code == 200
    assert api_token.get("/api/v1/applications/").status_code == 200  # the same user
    assert_error(api_in.get("/api/v1/appointments/"), 429, "throttled")


def test_many_accounts_from_one_address_are_throttled_per_address(rates, applicant, yvr):
    rates(address="2/minute")
    users = [applicant.user, UserFactory()]
    for user in users:
        client = APIClient()
        client.force_login(user)
        assert client.get("/api/v1/centres/", REMOTE_ADDR="198.51.100.7").status_code == 200
    client = APIClient()
    client.force_login(UserFactory())
    assert_error(client.get("/api/v1/centres/", REMOTE_ADDR="198.51.100.7"), 429, "throttled")


def test_booking_actions_have_their_own_tighter_rate(api_in, rates, application, slot):
    rates(booking="1/minute")
    assert api_in.post(f"/api/v1/appointments/{987}/cancel/").status_code == 404
    assert_error(api_in.post(f"/api/v1/appointments/{987}/cancel/"), 429, "throttled")
    assert api_in.get("/api/v1/appointments/").status_code == 200  # reads still go through


def test_throttles_fail_open_when_the_cache_is_down(api, rates, yvr, caplog):
    rates(anon="1/minute")
    with mock.patch(
        "django.core.cache.backends.locmem.LocMemCache.get", side_effect=ConnectionError("down")
    ):
        for _ in range(3):
            assert api.get("/api/v1/centres/").status_code == 200
    assert "cache unavailable" in caplog.text


# --- The one error shape ---------------------------------------------------------------


def test_a_service_refusal_speaks_the_callers_language(api_in, application, full_slot):
    response = api_in.post(
        "/api/v1/appointments/book/",
        {"application": application.number, "slot": full_slot.pk},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9",
    )
    body = assert_error(response, 409, "slot_full")
    assert body["message"] != "This time has just been taken; please choose another."
    assert response["Content-Language"] == "fr"


def test_a_validation_error_without_a_field_keeps_its_message():
    from rest_framework import exceptions
    from rest_framework.decorators import api_view
    from rest_framework.permissions import AllowAny
    from rest_framework.test import APIRequestFactory

    @api_view(["GET"])
    def view(request):
        raise exceptions.ValidationError("Something is off.")

    view.cls.permission_classes = [AllowAny]
    response = view(APIRequestFactory().get("/x"))
    assert response.status_code == 400
    assert response.data == {"code": "invalid", "message": "Something is off.", "fields": {}}
