import logging
from io import StringIO
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from centres.models import StaffProfile
from common.permissions import staff_verified_required
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import UserFactory
from nexus_portal.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
SIGN_IN = "/en/accounts/sign-in/"
VERIFY = "/en/accounts/verify/"
SIGN_OUT = "/en/accounts/sign-out/"
LOCKED = "Too many failed attempts. Try again in 15 minutes."


@staff_verified_required
def staff_only(request):
    return HttpResponse("staff only")


# This module doubles as the URLconf of the tests marked with it: the project's URLs plus
# one staff page.
urlpatterns = [*project_urlpatterns, path("staff-only/", staff_only)]
with_staff_page = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # lock-out counters live in the (process-wide) cache
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_otp_throttle(settings):
    # django-otp's own delay after a wrong code would refuse the next try within seconds;
    # one test turns it back on.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def officer(db):
    user = UserFactory(username="nathalie")
    StaffProfile.objects.create(user=user, role=StaffProfile.Role.CBSA_OFFICER)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def code_for(user, offset: int = 0) -> str:
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, drift=offset):06d}"


def sign_in(client, username, password=PASSWORD, url=SIGN_IN, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def is_signed_in(client) -> bool:
    return SESSION_KEY in client.session


def is_verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


# Password step --------------------------------------------------------------------------


def test_a_user_without_a_staff_role_signs_in_with_a_password_alone(client):
    UserFactory(username="daniel")

    response = sign_in(client, "daniel")

    assert response.status_code == 302
    assert response["Location"] == reverse("enrolment:dashboard")  # the applicants' landing
    assert is_signed_in(client)


def test_the_sign_in_page_is_accessible_and_translated(client):
    html = client.get("/fr/accounts/sign-in/").content.decode()

    assert '<html lang="fr">' in html
    assert "<h1>Se connecter</h1>" in html
    assert 'autocomplete="username"' in html
    assert 'autocomplete="current-password"' in html
    assert '<label for="id_username">' in html


def test_a_wrong_password_is_refused_with_the_error_tied_to_the_fields(client):
    UserFactory(username="daniel")

    response = sign_in(client, "daniel", "wrong")

    html = response.content.decode()
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert 'id="form-errors" role="alert"' in html
    assert 'aria-describedby="form-errors"' in html


def test_it_goes_back_to_a_local_next_page_but_never_to_another_site(client):
    UserFactory(username="daniel")

    local = client.post(
        SIGN_IN, {"username": "daniel", "password": PASSWORD, "next": "/en/centres/1/"}
    )
    client.logout()
    foreign = client.post(
        SIGN_IN, {"username": "daniel", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert local["Location"] == "/en/centres/1/"
    assert foreign["Location"] == reverse("enrolment:dashboard")


def test_sign_in_needs_a_csrf_token():
    UserFactory(username="daniel")
    client = Client(enforce_csrf_checks=True)

    refused = sign_in(client, "daniel")
    client.get(SIGN_IN)
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        SIGN_IN, {"username": "daniel", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert refused.status_code == 403
    assert accepted.status_code == 302


def test_sign_out_is_a_post_only(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get(SIGN_OUT).status_code == 405
    assert is_signed_in(client)

    response = client.post(SIGN_OUT, follow=True)

    assert not is_signed_in(client)
    assert "You have signed out." in response.content.decode()


# Code step ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (StaffProfile.Role.CBSA_OFFICER, "interviews:day_list"),
        (StaffProfile.Role.CBP_OFFICER, "interviews:day_list"),
        (StaffProfile.Role.CENTRE_ADMIN, "capacity:centres"),
        (StaffProfile.Role.PROGRAMME_ADMIN, "figures:dashboard"),
        (StaffProfile.Role.ENTRY_EXIT_ANALYST, "entry_exit:home"),
    ],
)
def test_staff_land_at_their_work_after_the_code_step(client, officer, role, landing):
    StaffProfile.objects.filter(user=officer).update(role=role)
    response = sign_in(client, "nathalie")
    assert response["Location"] == f"{VERIFY}?next={reverse(landing)}"
    verified = client.post(VERIFY, {"code": code_for(officer), "next": reverse(landing)})
    assert verified["Location"] == reverse(landing)
    assert client.get(reverse(landing), follow=True).status_code == 200


@with_staff_page
def test_staff_reach_a_staff_page_only_after_the_code_step(client, officer):
    response = sign_in(client, "nathalie", url=f"{SIGN_IN}?next=/staff-only/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=/staff-only/"
    assert is_signed_in(client) and not is_verified(client)

    assert client.get("/staff-only/")["Location"] == f"{VERIFY}?next=/staff-only/"
    page = client.get(response["Location"]).content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert 'aria-describedby="id_code_helptext"' in page

    verified = client.post(VERIFY, {"code": code_for(officer), "next": "/staff-only/"})

    assert verified["Location"] == "/staff-only/"
    assert is_verified(client)
    assert client.get("/staff-only/").content == b"staff only"


def test_a_wrong_code_is_refused(client, officer):
    sign_in(client, "nathalie")

    response = client.post(VERIFY, {"code": code_for(officer, offset=5)})

    assert response.status_code == 200
    assert "This code is not valid." in response.content.decode()
    assert not is_verified(client)


def test_a_code_works_once(client, officer):
    code = code_for(officer)
    sign_in(client, "nathalie")
    client.post(VERIFY, {"code": code})
    client.post(SIGN_OUT)
    sign_in(client, "nathalie")

    response = client.post(VERIFY, {"code": code})

    assert "This code is not valid." in response.content.decode()
    assert not is_verified(client)


def test_a_code_that_is_not_digits_names_the_field(client, officer):
    sign_in(client, "nathalie")

    html = client.post(VERIFY, {"code": "12ab56"}).content.decode()

    assert 'id="id_code_error"' in html
    assert 'aria-invalid="true"' in html
    assert "Enter the code as digits only" in html


def test_staff_without_a_device_cannot_sign_in_and_are_told_whom_to_ask(client):
    user = UserFactory(username="derek")
    StaffProfile.objects.create(user=user, role=StaffProfile.Role.CBP_OFFICER)

    response = sign_in(client, "derek")

    assert response.status_code == 200
    assert not is_signed_in(client)
    assert "Contact your administrator." in response.content.decode()


def test_an_admin_account_without_a_staff_profile_also_needs_the_code(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)

    response = sign_in(client, "root")

    assert response["Location"].startswith(VERIFY)


def test_an_unconfirmed_device_does_not_count(client):
    user = UserFactory(username="derek")
    StaffProfile.objects.create(user=user, role=StaffProfile.Role.CBP_OFFICER)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=False)

    response = sign_in(client, "derek")

    assert "Contact your administrator." in response.content.decode()
    assert not is_signed_in(client)


def test_a_new_sign_in_asks_for_a_new_code(client, officer):
    force_login_verified(client, officer)

    sign_in(client, "nathalie")

    assert is_signed_in(client) and not is_verified(client)


def test_django_otps_own_delay_after_a_wrong_code_is_explained(client, officer, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    sign_in(client, "nathalie")
    client.post(VERIFY, {"code": code_for(officer, offset=5)})

    response = client.post(VERIFY, {"code": code_for(officer)})

    assert "Wait a few seconds" in response.content.decode()
    assert not is_verified(client)


# Lock-outs ------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_from_that_address(client, either_cache):
    UserFactory(username="daniel")
    for _ in range(4):
        assert sign_in(client, "daniel", "wrong").status_code == 200

    fifth = sign_in(client, "daniel", "wrong")
    right = sign_in(client, "daniel")

    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert not is_signed_in(client)


def test_the_lock_out_message_is_in_french_on_french_pages(client):
    UserFactory(username="daniel")
    for _ in range(5):
        response = sign_in(client, "daniel", "wrong", url="/fr/accounts/sign-in/")

    assert response.status_code == 429
    assert "Trop de tentatives infructueuses." in response.content.decode()


def test_the_lock_out_ends_after_15_minutes(client, either_cache):
    UserFactory(username="daniel")
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        for _ in range(5):
            sign_in(client, "daniel", "wrong")
        clock.shift(14 * 60)
        assert sign_in(client, "daniel").status_code == 429
        clock.shift(61)
        assert sign_in(client, "daniel").status_code == 302


def test_the_lock_out_is_per_username_and_address(client, either_cache):
    UserFactory(username="daniel")
    UserFactory(username="sophie")
    for _ in range(5):
        sign_in(client, "daniel", "wrong", REMOTE_ADDR="192.0.2.1")

    assert sign_in(client, "Daniel", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert sign_in(client, "sophie", REMOTE_ADDR="192.0.2.1").status_code == 302
    client.logout()
    assert sign_in(client, "daniel", REMOTE_ADDR="192.0.2.2").status_code == 302


def test_a_successful_sign_in_clears_the_count(client, either_cache):
    UserFactory(username="daniel")
    for _ in range(4):
        sign_in(client, "daniel", "wrong")
    assert sign_in(client, "daniel").status_code == 302
    client.logout()

    for _ in range(4):
        assert sign_in(client, "daniel", "wrong").status_code == 200
    assert sign_in(client, "daniel").status_code == 302


def test_five_wrong_codes_lock_the_code_step(client, officer, either_cache):
    sign_in(client, "nathalie")
    for _ in range(4):
        assert client.post(VERIFY, {"code": code_for(officer, offset=5)}).status_code == 200

    fifth = client.post(VERIFY, {"code": code_for(officer, offset=5)})
    right = client.post(VERIFY, {"code": code_for(officer)})

    assert fifth.status_code == 429
    assert right.status_code == 429
    assert LOCKED in right.content.decode()
    assert not is_verified(client)


def test_a_right_code_clears_the_count_of_wrong_ones(client, officer):
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        sign_in(client, "nathalie")
        for _ in range(4):
            client.post(VERIFY, {"code": code_for(officer, offset=5)})
        client.post(VERIFY, {"code": code_for(officer)})
        client.post(SIGN_OUT)
        clock.shift(30)  # a code works once: wait for the next one

        sign_in(client, "nathalie")
        for _ in range(4):
            client.post(VERIFY, {"code": code_for(officer, offset=5)})
        client.post(VERIFY, {"code": code_for(officer)})

        assert is_verified(client)


def test_lock_out_keys_and_logs_hold_no_username_or_address(client, caplog):
    UserFactory(username="daniel")
    with caplog.at_level(logging.WARNING, logger="common.ratelimit"):
        for _ in range(5):
            sign_in(client, "daniel", "wrong", REMOTE_ADDR="192.0.2.77")

    keys = list(cache._cache)  # the local-memory cache of the test settings
    assert keys
    assert caplog.records
    for text in [*keys, caplog.text]:
        assert "daniel" not in text
        assert "192.0.2.77" not in text


# The staff decorator and the admin ------------------------------------------------------


@with_staff_page
def test_the_staff_decorator_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/staff-only/")

    assert response["Location"] == f"{SIGN_IN}?next=/staff-only/"


@with_staff_page
@pytest.mark.parametrize("flags", [{}, {"is_staff": True}])
def test_the_staff_decorator_hides_the_page_from_anyone_but_staff(client, flags):
    user = UserFactory(**flags)
    force_login_verified(client, user)

    assert client.get("/staff-only/").status_code == 404


@with_staff_page
def test_a_verified_superuser_counts_as_staff(client, programme_admin):
    force_login_verified(client, programme_admin)

    assert client.get("/staff-only/").status_code == 200


def test_the_admin_needs_the_code_step_even_for_a_superuser(client, programme_admin):
    client.force_login(programme_admin)

    response = client.get("/en/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(f"{VERIFY}?next=")
    assert client.get("/en/admin/").status_code == 302


def test_the_admin_sends_anonymous_visitors_to_the_portal_sign_in(client):
    response = client.get("/en/admin/login/?next=/en/admin/")

    assert response["Location"] == f"{SIGN_IN}?next=/en/admin/"


def test_the_admin_login_form_never_checks_a_password(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)

    response = client.post(
        "/en/admin/login/", {"username": "root", "password": PASSWORD, "otp_token": "123456"}
    )

    assert response["Location"].startswith(SIGN_IN)
    assert not is_signed_in(client)


def test_a_verified_administrator_uses_the_admin(client, programme_admin):
    force_login_verified(client, programme_admin)

    assert client.get("/en/admin/").status_code == 200


# The development code command -----------------------------------------------------------


def test_totp_code_prints_the_current_code(officer, settings):
    settings.DEBUG = True
    out = StringIO()

    call_command("totp_code", "nathalie", stdout=out)

    assert out.getvalue().strip() == code_for(officer)


def test_totp_code_refuses_with_debug_off(officer, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("totp_code", "nathalie", stdout=StringIO())


@pytest.mark.parametrize(
    "next_url", ["abc", "9999-12-31", "common:account", "/en/my/\x00", "/\r\nX: y"]
)
def test_a_next_page_that_is_no_path_or_no_header_value_is_ignored(client, next_url):
    UserFactory(username="daniel")

    response = sign_in(client, "daniel", url=f"{SIGN_IN}?next={quote(next_url)}")

    assert response.status_code == 302
    assert response["Location"] == "/en/my/"


def test_a_signed_in_applicant_on_the_code_page_with_a_bare_word_next_goes_on(client):
    client.force_login(UserFactory())

    response = client.get(VERIFY, {"next": "abc"})

    assert response.status_code == 302
    assert response["Location"] == "/en/my/"


@pytest.mark.parametrize("next_url", ["/fr/\x00", "/fr/\n", "/fr/centres/\x7f"])
def test_the_language_switch_never_sends_back_a_control_character(client, next_url):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies["django_language"].value == "fr"
