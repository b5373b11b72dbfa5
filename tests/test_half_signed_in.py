"""Staff who passed the password step but not the code step reach the code step, signing
out, the language switch and the public pages, nothing else (accounts/middleware.py); and
no staff account, verified or not, can take an applicant's file."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from bookings.models import Appointment, SlotHold, WaitlistRequest
from centres.models import StaffProfile
from centres.tests.factories import CentreFactory
from common.models import AuditEvent
from enrolment.models import Applicant
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
NUMBER = "NX2026000002"
BORN = datetime.date(1985, 6, 15)
SIGN_IN = "/en/accounts/sign-in/"
VERIFY = "/en/accounts/verify/"


@pytest.fixture(params=["staff_profile", "is_staff", "superuser"])
def staff(request):
    """Every kind of account that needs the code step, with its authenticator."""
    kind = request.param
    user = UserFactory(
        username="nathalie", is_staff=kind != "staff_profile", is_superuser=kind == "superuser"
    )
    if kind == "staff_profile":
        StaffProfile.objects.create(user=user, role=StaffProfile.Role.CBSA_OFFICER)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


@pytest.fixture
def half_signed_in(client, staff):
    """The password step through the real page, and not the code step."""
    response = client.post(SIGN_IN, {"username": "nathalie", "password": PASSWORD})
    assert response["Location"].startswith(VERIFY)
    assert SESSION_KEY in client.session and DEVICE_ID_SESSION_KEY not in client.session
    return client


@pytest.fixture
def unlinked():
    applicant = ApplicantFactory(user=None, date_of_birth=BORN)
    ApplicationFactory(applicant=applicant, number=NUMBER)
    return applicant


def verify(client, user):
    device = TOTPDevice.objects.get(user=user)
    response = client.post(VERIFY, {"code": f"{totp(device.bin_key):06d}"})
    assert DEVICE_ID_SESSION_KEY in client.session
    return response


def stored(user) -> tuple:
    """Everything an applicant page could change."""
    user.refresh_from_db()
    return (
        list(Applicant.objects.order_by("pk").values_list("pk", "user", "preferred_language")),
        AuditEvent.objects.count(),
        Appointment.objects.count(),
        SlotHold.objects.count(),
        WaitlistRequest.objects.count(),
        Token.objects.count(),
        (user.email, user.password, user.username),
    )


APPLICANT_PAGES = [
    ("enrolment:dashboard", {}),
    ("enrolment:link", {}),
    ("enrolment:history", {"number": NUMBER}),
    ("booking:centres", {"number": NUMBER}),
    ("booking:time", {"number": NUMBER, "centre_pk": 1}),
    ("booking:hold", {"number": NUMBER}),
    ("booking:appointment", {"pk": 1}),
    ("booking:cancel", {"pk": 1}),
    ("booking:calendar", {"pk": 1}),
    ("booking:waitlist", {"number": NUMBER}),
    ("booking:waitlist_stop", {"pk": 1}),
    ("common:account", {}),
    ("common:language_change", {}),
    ("common:password_change", {}),
    ("common:email_change", {}),
    ("common:email_confirm", {"token": "anything"}),
]
# Enough for each form to be valid, had its view run.
POST_DATA = {
    "number": NUMBER,
    "date_of_birth": BORN.isoformat(),
    "preferred_language": "fr",
    "old_password": PASSWORD,
    "new_password1": "lighthouse at low tide 42",
    "new_password2": "lighthouse at low tide 42",
    "new_email": "elsewhere@example.com",
    "password": PASSWORD,
    "slot": "1",
}


@pytest.mark.parametrize(("name", "kwargs"), APPLICANT_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_half_signed_in_staff_session_is_sent_to_the_code_step_from_every_applicant_page(
    half_signed_in, staff, unlinked, name, kwargs, method
):
    url = reverse(name, kwargs=kwargs)
    before = stored(staff)

    response = getattr(half_signed_in, method)(url, POST_DATA if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={url}"
    assert stored(staff) == before
    assert check_password(PASSWORD, staff.password)


def test_the_officer_pages_and_the_admin_also_send_them_to_the_code_step(half_signed_in):
    for url in ("/en/officer/", "/en/admin/"):
        assert half_signed_in.get(url)["Location"].startswith(VERIFY)


def test_a_half_signed_in_staff_session_reaches_the_code_step_and_the_public_pages(
    half_signed_in,
):
    centre = CentreFactory()

    assert half_signed_in.get(VERIFY).status_code == 200
    assert half_signed_in.get("/en/").status_code == 200
    assert half_signed_in.get(f"/en/centres/{centre.pk}/").status_code == 200
    assert half_signed_in.get(SIGN_IN).status_code == 200
    assert half_signed_in.get("/en/accounts/password-reset/").status_code == 200
    assert half_signed_in.get("/health/").status_code == 200
    switched = half_signed_in.post("/i18n/setlang/", {"language": "fr", "next": "/fr/"})
    assert switched.status_code == 302 and switched["Location"] == "/fr/"


def test_the_api_refuses_a_half_signed_in_staff_session_with_403(half_signed_in):
    response = half_signed_in.get("/api/v1/applications/")

    assert response.status_code == 403
    assert response.json()["code"] == "not_verified"
    assert half_signed_in.get("/api/v1/centres/").status_code == 200  # public


def test_a_half_signed_in_staff_session_can_sign_out(half_signed_in):
    response = half_signed_in.post("/en/accounts/sign-out/")

    assert response.status_code == 302
    assert SESSION_KEY not in half_signed_in.session


def test_the_code_step_then_leads_back_to_the_page_asked_for(half_signed_in, staff):
    sent = half_signed_in.get("/en/accounts/")
    device = TOTPDevice.objects.get(user=staff)

    response = half_signed_in.post(sent["Location"], {"code": f"{totp(device.bin_key):06d}"})

    assert response["Location"] == "/en/accounts/"
    assert half_signed_in.get("/en/accounts/").status_code == 200


def test_verified_staff_still_cannot_link_an_application(half_signed_in, staff, unlinked):
    verify(half_signed_in, staff)
    before = stored(staff)

    response = half_signed_in.post(
        reverse("enrolment:link"), {"number": NUMBER, "date_of_birth": BORN.isoformat()}
    )

    assert response.status_code == 403
    assert "A staff account cannot be linked to an application." in response.text
    assert stored(staff) == before
    unlinked.refresh_from_db()
    assert unlinked.user is None


def test_applicants_are_not_held_back(client, unlinked):
    user = UserFactory()
    client.post(SIGN_IN, {"username": user.username, "password": PASSWORD})

    response = client.post(
        reverse("enrolment:link"), {"number": NUMBER, "date_of_birth": BORN.isoformat()}
    )

    assert response.status_code == 302
    unlinked.refresh_from_db()
    assert unlinked.user == user
