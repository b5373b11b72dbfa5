"""The applicant's account: sign-up, confirmation, passwords, e-mail address, language."""

import json
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from centres.models import StaffProfile
from common.models import AuditEvent
from enrolment.models import Applicant
from enrolment.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

PASSWORD = "correct horse battery staple"  # UserFactory's
CHOSEN = "maple syrup on fresh snow 77"
NEW_PASSWORD = "lighthouse at low tide 42"
SIGN_IN = "/en/accounts/sign-in/"
SIGN_UP = "/en/accounts/sign-up/"
RESEND = "/en/accounts/confirm/resend/"
RESET = "/en/accounts/password-reset/"
ACCOUNT = "/en/accounts/"
PASSWORD_CHANGE = "/en/accounts/password/"
EMAIL_CHANGE = "/en/accounts/email/"
LANGUAGE = "/en/accounts/language/"
UNCONFIRMED = "Confirm your e-mail address first."
TOO_MANY = "You have made too many requests."
LINK_GONE = "This link no longer works"
NAMES = {"first_name": "Amélie", "last_name": "O'Brien"}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """``client.post`` that runs the on-commit callbacks (the e-mails) of its request."""

    def _post(url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return _post


def sign_up_data(email="Amelie.Tremblay@Example.com", password=CHOSEN, **overrides):
    return {**NAMES, "email": email, "password1": password, "password2": password, **overrides}


TOKEN_PATH = re.compile(r"/(confirm|password-reset)/[^/]+/[^/]+/$|/email/confirm/[^/]+/$")


def link_in(message) -> str:
    """The path of the (only) link to a page with a token in a message's text part."""
    urls = re.findall(r"https?://\S+", message.body)
    paths = [urlsplit(url).path for url in urls]
    tokened = [p for p in paths if TOKEN_PATH.search(p)]
    assert len(tokened) == 1, paths
    assert tokened[0] in message.alternatives[0].content  # the HTML part has it too
    return tokened[0]


def language_of(message) -> str:
    return message.extra_headers["Content-Language"]


def is_signed_in(client) -> bool:
    return SESSION_KEY in client.session


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def sign_up_and_confirm(client, post, email="amelie.tremblay@example.com"):
    post(SIGN_UP, sign_up_data(email))
    link = link_in(mail.outbox[-1])
    response = post(link, {"password": CHOSEN})
    assert response.status_code == 302
    return User.objects.get(username=email)


# Sign-up and confirmation ---------------------------------------------------------------


def test_signing_up_sends_a_link_that_confirms_the_address_and_signs_in(client, post):
    page = client.get(SIGN_UP).content.decode()
    for autocomplete in ("given-name", "family-name", "email", "new-password"):
        assert f'autocomplete="{autocomplete}"' in page
    assert "novalidate" in page

    response = post(SIGN_UP, sign_up_data(email="  Amelie.Tremblay@Example.COM "))

    assert response.status_code == 302
    assert response["Location"] == reverse("common:sign_up_sent")
    user = User.objects.get()
    assert (user.username, user.email) == ("amelie.tremblay@example.com",) * 2
    assert (user.first_name, user.last_name) == ("Amélie", "O'Brien")
    assert not user.is_active
    assert user.check_password(CHOSEN)
    assert not is_signed_in(client)
    (message,) = mail.outbox
    assert message.to == ["amelie.tremblay@example.com"]
    assert language_of(message) == "en"
    assert "Hello Amélie," in message.body
    link = link_in(message)
    assert link.startswith("/en/accounts/confirm/")

    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    assert 'autocomplete="current-password"' in confirm_page.content.decode()
    user.refresh_from_db()  # a GET changes nothing: mail scanners follow links
    assert not user.is_active

    confirmed = post(link, {"password": CHOSEN})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("enrolment:dashboard")
    user.refresh_from_db()
    assert user.is_active
    assert is_signed_in(client)
    assert "Your e-mail address is confirmed" in client.get(ACCOUNT).content.decode()
    assert actions() == ["account.signed_up", "account.confirmed"]


def test_a_confirmation_link_works_once(client, post):
    sign_up_and_confirm(client, post)
    link = link_in(mail.outbox[0])
    client.logout()

    response = client.get(link)
    again = post(link, {"password": CHOSEN})

    html = response.content.decode()
    assert LINK_GONE in html
    assert f'action="{RESEND}"' in html  # the way to a new link
    assert LINK_GONE in again.content.decode()
    assert not is_signed_in(client)


def test_confirming_needs_the_password_chosen_at_sign_up(client, post):
    post(SIGN_UP, sign_up_data())
    link = link_in(mail.outbox[0])

    response = post(link, {"password": "not the one"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password_error"' in html
    assert not User.objects.get().is_active
    assert not is_signed_in(client)
    assert post(link, {"password": CHOSEN}).status_code == 302  # the link still works


def test_a_tampered_or_expired_confirmation_link_is_refused(client, post):
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        post(SIGN_UP, sign_up_data())
        link = link_in(mail.outbox[0])
        assert LINK_GONE in client.get(link[:-3] + "xx/").content.decode()
        assert LINK_GONE in client.get("/en/accounts/confirm/Zm9v/abc-def/").content.decode()
        clock.shift(3 * 60 * 60 + 1)

        response = post(link, {"password": CHOSEN})

    assert LINK_GONE in response.content.decode()
    assert not User.objects.get().is_active


def test_signing_up_with_a_registered_address_looks_the_same_but_mails_a_reminder(client, post):
    existing = UserFactory(
        username="amelie.tremblay@example.com",
        email="amelie.tremblay@example.com",
        first_name="Amélie",
    )

    response = post(SIGN_UP, sign_up_data(email="AMELIE.Tremblay@example.com"))

    assert response["Location"] == reverse("common:sign_up_sent")
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)  # nothing changed
    (message,) = mail.outbox
    assert message.to == ["amelie.tremblay@example.com"]
    assert "You already have a NEXUS Portal account" in message.subject
    assert "http://127.0.0.1:8000/en/accounts/sign-in/" in message.body
    assert "http://127.0.0.1:8000/en/accounts/password-reset/" in message.body
    assert "/confirm/" not in message.body
    assert actions() == []


def test_signing_up_again_before_confirming_replaces_the_first_sign_up(client, post):
    post(SIGN_UP, sign_up_data(first_name="Someone"))
    first_link = link_in(mail.outbox[0])

    post(SIGN_UP, sign_up_data(password=NEW_PASSWORD))

    user = User.objects.get()
    assert user.first_name == "Amélie"
    assert len(mail.outbox) == 2
    second_link = link_in(mail.outbox[1])
    assert LINK_GONE in client.get(first_link).content.decode()  # died with the old password
    assert post(second_link, {"password": CHOSEN}).status_code == 200  # the old one is refused
    assert post(second_link, {"password": NEW_PASSWORD}).status_code == 302
    assert actions() == ["account.signed_up", "account.signed_up_again", "account.confirmed"]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (sign_up_data(password2="something else entirely"), ["password2"]),
        (sign_up_data(password="short"), ["password1"]),
        (sign_up_data(password="amelie.tremblay"), ["password1"]),  # like the address
        (sign_up_data(email="not-an-address"), ["email"]),
        (sign_up_data(first_name="", last_name=""), ["first_name", "last_name"]),
    ],
)
def test_bad_sign_up_input_shows_the_form_again_with_errors_on_the_fields(post, data, fields):
    response = post(SIGN_UP, data)

    html = response.content.decode()
    assert response.status_code == 200
    for name in fields:
        assert f'id="id_{name}_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="Amélie"' in html or "first_name" in fields  # kept as typed
    assert not User.objects.exists()
    assert mail.outbox == []
    assert actions() == []


def test_sign_up_e_mails_are_limited_per_client_address(post):
    for n in range(10):
        assert post(SIGN_UP, sign_up_data(email=f"person{n}@example.com")).status_code == 302

    refused = post(SIGN_UP, sign_up_data(email="person10@example.com"))
    elsewhere = post(SIGN_UP, sign_up_data(email="person11@example.com"), REMOTE_ADDR="192.0.2.9")

    assert refused.status_code == 429
    assert TOO_MANY in refused.content.decode()
    assert not User.objects.filter(username="person10@example.com").exists()
    assert elsewhere.status_code == 302
    assert len(mail.outbox) == 11


def test_sign_up_in_french_writes_in_french(client, post):
    page = client.get("/fr/accounts/sign-up/")
    assert '<html lang="fr">' in page.content.decode()
    assert page["Content-Language"] == "fr"

    post("/fr/accounts/sign-up/", sign_up_data())

    (message,) = mail.outbox
    assert language_of(message) == "fr"
    assert '<html lang="fr">' in message.alternatives[0].content
    link = link_in(message)
    assert link.startswith("/fr/accounts/confirm/")
    confirmed = post(link, {"password": CHOSEN})
    with translation.override("fr"):
        assert confirmed["Location"] == reverse("enrolment:dashboard")


def test_sign_up_needs_a_csrf_token():
    client = Client(enforce_csrf_checks=True)

    assert client.post(SIGN_UP, sign_up_data()).status_code == 403
    assert not User.objects.exists()


def test_a_signed_in_visitor_is_not_offered_sign_up(client):
    client.force_login(UserFactory())

    assert client.get(SIGN_UP)["Location"] == reverse("enrolment:dashboard")


# Signing in with an e-mail address ------------------------------------------------------


def test_the_sign_in_page_asks_for_an_e_mail_address_or_username(client):
    html = client.get(SIGN_IN).content.decode()

    assert '<label for="id_username">E-mail address or username</label>' in html
    assert reverse("common:password_reset") in html
    assert reverse("common:sign_up") in html


def test_an_address_signs_in_whatever_its_case(client, post):
    sign_up_and_confirm(client, post)
    client.logout()

    response = client.post(
        SIGN_IN, {"username": " Amelie.TREMBLAY@example.com", "password": CHOSEN}
    )

    assert response["Location"] == reverse("enrolment:dashboard")
    assert is_signed_in(client)


def test_an_unconfirmed_account_is_told_to_confirm_only_with_the_right_password(client, post):
    post(SIGN_UP, sign_up_data())

    right = client.post(SIGN_IN, {"username": "amelie.tremblay@example.com", "password": CHOSEN})
    wrong = client.post(SIGN_IN, {"username": "amelie.tremblay@example.com", "password": "nope"})

    assert UNCONFIRMED in right.content.decode()
    assert f'href="{RESEND}"' in right.content.decode()
    assert UNCONFIRMED not in wrong.content.decode()
    assert "Please enter a correct" in wrong.content.decode()
    assert not is_signed_in(client)


def test_an_account_switched_off_by_an_administrator_stays_off(client, post):
    user = UserFactory(username="amelie.tremblay@example.com", email="amelie.tremblay@example.com")
    client.force_login(user)  # it has been used
    client.logout()
    User.objects.filter(pk=user.pk).update(is_active=False)

    signed_in = client.post(SIGN_IN, {"username": user.username, "password": PASSWORD})
    post(RESEND, {"email": user.email})
    post(SIGN_UP, sign_up_data())

    assert "This account is inactive." in signed_in.content.decode()
    assert UNCONFIRMED not in signed_in.content.decode()
    (reminder,) = mail.outbox  # no confirmation link, only the sign-up reminder
    assert "/confirm/" not in reminder.body
    user.refresh_from_db()
    assert not user.is_active
    assert user.check_password(PASSWORD)


def test_the_lock_out_covers_addresses_too(client, post):
    sign_up_and_confirm(client, post)
    client.logout()
    for _ in range(5):
        client.post(SIGN_IN, {"username": "amelie.tremblay@example.com", "password": "wrong"})

    right = client.post(SIGN_IN, {"username": "Amelie.Tremblay@example.com", "password": CHOSEN})

    assert right.status_code == 429
    assert not is_signed_in(client)


def test_wrong_passwords_on_the_confirmation_page_count_towards_the_lock_out(client, post):
    post(SIGN_UP, sign_up_data())
    link = link_in(mail.outbox[0])
    for _ in range(5):
        post(link, {"password": "wrong"})

    response = post(link, {"password": CHOSEN})

    assert response.status_code == 429
    assert not User.objects.get().is_active


# A new confirmation link ----------------------------------------------------------------


def test_a_new_confirmation_link_goes_only_to_an_account_waiting_for_one(client, post):
    post(SIGN_UP, sign_up_data())
    UserFactory(username="sophie", email="sophie@example.com")
    mail.outbox.clear()

    answers = [
        post(RESEND, {"email": email})
        for email in ("Amelie.Tremblay@example.com", "sophie@example.com", "nobody@example.com")
    ]

    assert {a["Location"] for a in answers} == {reverse("common:confirm_resend_sent")}
    (message,) = mail.outbox
    assert message.to == ["amelie.tremblay@example.com"]
    assert post(link_in(message), {"password": CHOSEN}).status_code == 302


def test_new_confirmation_links_are_limited_per_client_address(post):
    for _ in range(10):
        assert post(RESEND, {"email": "someone@example.com"}).status_code == 302

    refused = post(RESEND, {"email": "someone@example.com"})

    assert refused.status_code == 429
    assert TOO_MANY in refused.content.decode()


# Password reset -------------------------------------------------------------------------


def test_a_password_reset_from_request_to_sign_in(client, post, applicant):
    user = applicant.user
    page = client.get(RESET).content.decode()
    assert 'autocomplete="email"' in page

    response = post(RESET, {"email": user.email.upper()})

    assert response["Location"] == reverse("common:password_reset_done")
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert language_of(message) == "en"
    link = link_in(message)
    form_page = client.get(link)
    assert form_page.status_code == 302  # the token moves into the session
    set_password_url = form_page["Location"]
    assert 'autocomplete="new-password"' in client.get(set_password_url).content.decode()

    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done["Location"] == reverse("common:password_reset_complete")
    assert client.get(done["Location"]).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert actions() == ["account.password_reset"]
    assert LINK_GONE in client.get(link, follow=True).content.decode()  # once only
    signed_in = client.post(SIGN_IN, {"username": user.username, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_a_weak_new_password_is_refused_on_its_field(client, post, applicant):
    post(RESET, {"email": applicant.user.email})
    set_password_url = client.get(link_in(mail.outbox[0]))["Location"]

    response = client.post(
        set_password_url, {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert 'id="id_new_password1_error"' in response.content.decode()
    applicant.user.refresh_from_db()
    assert applicant.user.check_password(PASSWORD)


def test_a_reset_for_an_unknown_or_unconfirmed_address_looks_the_same_and_sends_nothing(post):
    post(SIGN_UP, sign_up_data())
    mail.outbox.clear()

    unknown = post(RESET, {"email": "nobody@example.com"})
    unconfirmed = post(RESET, {"email": "amelie.tremblay@example.com"})

    assert unknown["Location"] == unconfirmed["Location"] == reverse("common:password_reset_done")
    assert mail.outbox == []


def test_the_reset_e_mail_is_in_the_applicants_language(post, applicant):
    Applicant.objects.filter(pk=applicant.pk).update(preferred_language="fr")

    post(RESET, {"email": applicant.user.email})

    (message,) = mail.outbox
    assert language_of(message) == "fr"
    assert link_in(message).startswith("/fr/accounts/password-reset/")


def test_the_reset_e_mail_of_an_account_without_applicant_is_in_the_pages_language(post):
    user = UserFactory()

    post("/fr/accounts/password-reset/", {"email": user.email})

    (message,) = mail.outbox
    assert language_of(message) == "fr"


def test_reset_requests_are_limited_per_address_and_per_client(post, applicant):
    email = applicant.user.email
    for _ in range(5):
        assert post(RESET, {"email": email}).status_code == 302

    same_address = post(RESET, {"email": email.upper()})
    from_elsewhere = post(RESET, {"email": email}, REMOTE_ADDR="192.0.2.9")
    for n in range(5):
        assert post(RESET, {"email": f"other{n}@example.com"}).status_code == 302
    same_client = post(RESET, {"email": "another@example.com"})

    assert same_address.status_code == 429
    assert TOO_MANY in same_address.content.decode()
    assert from_elsewhere.status_code == 429
    assert same_client.status_code == 429
    assert len(mail.outbox) == 5


def test_the_reset_pages_refuse_other_methods(client):
    assert client.put(RESET).status_code == 405
    assert client.post(reverse("common:password_reset_done")).status_code == 405


# The signed-in account ------------------------------------------------------------------


def test_the_account_page_needs_a_signed_in_user(client):
    for url in (ACCOUNT, PASSWORD_CHANGE, EMAIL_CHANGE):
        assert client.get(url)["Location"] == f"{SIGN_IN}?next={url}"


def test_staff_reach_the_account_pages_only_after_the_code_step(client):
    officer = UserFactory(username="nathalie")
    StaffProfile.objects.create(user=officer, role=StaffProfile.Role.CBSA_OFFICER)
    client.force_login(officer)

    response = client.get(EMAIL_CHANGE)

    assert response["Location"].startswith(reverse("common:verify"))


def test_the_account_page_shows_the_address_and_the_ways_to_change_it(client, applicant):
    client.force_login(applicant.user)

    response = client.get(ACCOUNT)

    html = response.content.decode()
    assert applicant.user.email in html
    assert f'href="{PASSWORD_CHANGE}"' in html
    assert f'href="{EMAIL_CHANGE}"' in html
    assert f'action="{LANGUAGE}"' in html
    assert "no-cache" in response["Cache-Control"]


def test_changing_the_password_keeps_this_session(client, applicant):
    user = applicant.user
    client.force_login(user)
    page = client.get(PASSWORD_CHANGE).content.decode()
    assert 'autocomplete="current-password"' in page
    assert 'autocomplete="new-password"' in page

    wrong = client.post(
        PASSWORD_CHANGE,
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    right = client.post(
        PASSWORD_CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert 'id="id_old_password_error"' in wrong.content.decode()
    assert right["Location"] == ACCOUNT
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(ACCOUNT).status_code == 200  # still signed in
    assert actions() == ["account.password_changed"]


def test_changing_the_e_mail_address_from_request_to_confirmation(client, post, applicant):
    user = applicant.user
    user.username = user.email = "amelie@example.com"
    user.save()
    client.force_login(user)
    page = client.get(EMAIL_CHANGE).content.decode()
    assert 'autocomplete="email"' in page and 'autocomplete="current-password"' in page

    response = post(EMAIL_CHANGE, {"new_email": " Amelie@New.Example ", "password": PASSWORD})

    assert response["Location"] == ACCOUNT
    user.refresh_from_db()
    assert user.email == "amelie@example.com"  # not before the link is opened
    confirmation, notice = mail.outbox
    assert confirmation.to == ["amelie@new.example"]
    assert notice.to == ["amelie@example.com"]
    assert "/email/" not in notice.body
    link = link_in(confirmation)
    assert link.startswith("/en/accounts/email/confirm/")
    assert "amelie@example.com" not in link  # the current address is only a digest in it
    assert "Use this address" in client.get(link).content.decode()  # a GET changes nothing
    user.refresh_from_db()
    assert user.email == "amelie@example.com"

    done = client.post(link)

    assert done["Location"] == ACCOUNT
    user.refresh_from_db()
    assert (user.username, user.email) == ("amelie@new.example", "amelie@new.example")
    assert actions() == ["account.email_change_requested", "account.email_changed"]
    assert LINK_GONE in client.get(link).content.decode()  # stale once used
    client.logout()
    assert client.post(SIGN_IN, {"username": "amelie@new.example", "password": PASSWORD})[
        "Location"
    ] == reverse("enrolment:dashboard")


def test_an_e_mail_change_link_is_refused_when_another_account_has_the_address(
    client, post, applicant
):
    user = applicant.user
    client.force_login(user)
    post(EMAIL_CHANGE, {"new_email": "taken@example.com", "password": PASSWORD})
    link = link_in(mail.outbox[0])
    UserFactory(username="taken@example.com", email="taken@example.com")

    shown = client.get(link)
    tried = client.post(link)

    assert "Another account already uses this e-mail address" in shown.content.decode()
    assert "Use this address" not in shown.content.decode()
    assert "Another account already uses this e-mail address" in tried.content.decode()
    old_email = user.email
    user.refresh_from_db()
    assert user.email == old_email
    assert "account.email_changed" not in actions()


def test_an_e_mail_change_link_dies_with_a_newer_change_and_after_a_day(client, post, applicant):
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        client.force_login(applicant.user)
        post(EMAIL_CHANGE, {"new_email": "first@example.com", "password": PASSWORD})
        post(EMAIL_CHANGE, {"new_email": "second@example.com", "password": PASSWORD})
        first, second = link_in(mail.outbox[0]), link_in(mail.outbox[2])
        client.post(second)
        assert LINK_GONE in client.get(first).content.decode()

        post(EMAIL_CHANGE, {"new_email": "third@example.com", "password": PASSWORD})
        third = link_in(mail.outbox[4])
        clock.shift(24 * 60 * 60 + 1)
        client.force_login(applicant.user)  # the session itself ended after 30 idle minutes
        assert LINK_GONE in client.post(third).content.decode()

    applicant.user.refresh_from_db()
    assert applicant.user.email == "second@example.com"


def test_an_e_mail_change_link_is_only_for_the_account_that_asked(client, post, applicant):
    client.force_login(applicant.user)
    post(EMAIL_CHANGE, {"new_email": "new@example.com", "password": PASSWORD})
    link = link_in(mail.outbox[0])
    client.logout()

    anonymous = client.get(link)
    client.force_login(UserFactory())
    someone_else = client.post(link)

    assert anonymous["Location"].startswith(SIGN_IN)
    assert LINK_GONE in someone_else.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"new_email": "new@example.com", "password": "wrong"}, "password"),
        ({"new_email": "not-an-address", "password": PASSWORD}, "new_email"),
        ({"new_email": "SAME", "password": PASSWORD}, "new_email"),
    ],
)
def test_bad_e_mail_change_input_sends_nothing(client, post, applicant, data, field):
    client.force_login(applicant.user)
    if data["new_email"] == "SAME":
        data = {**data, "new_email": applicant.user.email.upper()}

    response = post(EMAIL_CHANGE, data)

    assert f'id="id_{field}_error"' in response.content.decode()
    assert mail.outbox == []
    assert actions() == []


def test_changing_the_preferred_language(client, applicant):
    client.force_login(applicant.user)
    assert 'name="preferred_language"' in client.get(ACCOUNT).content.decode()

    response = client.post(LANGUAGE, {"preferred_language": "fr"})
    refused = client.post(LANGUAGE, {"preferred_language": "de"})

    assert response["Location"] == ACCOUNT
    applicant.refresh_from_db()
    assert applicant.preferred_language == "fr"
    assert 'id="id_preferred_language_error"' in refused.content.decode()
    (event,) = AuditEvent.objects.filter(action="account.language_changed")
    assert event.data == {"old": "en", "new": "fr"}
    assert client.get(LANGUAGE).status_code == 405


def test_an_account_without_an_applicant_has_no_language_to_change(client):
    client.force_login(UserFactory())

    assert 'name="preferred_language"' not in client.get(ACCOUNT).content.decode()
    assert client.post(LANGUAGE, {"preferred_language": "fr"}).status_code == 404


# Audit and sessions ---------------------------------------------------------------------


def test_audit_rows_hold_no_personal_data(client, post, applicant):
    user = sign_up_and_confirm(client, post)
    post(EMAIL_CHANGE, {"new_email": "amelie@new.example", "password": CHOSEN})
    client.post(link_in(mail.outbox[-2]))
    client.post(
        PASSWORD_CHANGE,
        {"old_password": CHOSEN, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    client.force_login(applicant.user)
    client.post(LANGUAGE, {"preferred_language": "fr"})
    post(RESET, {"email": applicant.user.email})
    set_password_url = client.get(link_in(mail.outbox[-1]))["Location"]
    client.post(set_password_url, {"new_password1": CHOSEN, "new_password2": CHOSEN})

    events = AuditEvent.objects.order_by("id")
    assert [e.action for e in events] == [
        "account.signed_up",
        "account.confirmed",
        "account.email_change_requested",
        "account.email_changed",
        "account.password_changed",
        "account.language_changed",
        "account.password_reset",
    ]
    dump = json.dumps([[e.action, e.target_id, e.data] for e in events])
    for personal in ("@", "amelie", "Amélie", "Brien", applicant.user.first_name):
        assert personal not in dump
    targets = {e.target_id for e in events}
    assert targets == {str(user.pk), str(applicant.user.pk), str(applicant.pk)}


def test_a_session_ends_after_30_idle_minutes(client, applicant, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert not settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client.force_login(applicant.user)

    response = client.get(ACCOUNT)

    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60


def test_each_request_pushes_the_idle_timeout_on(client, applicant):
    with time_machine.travel("2027-01-04 12:00Z", tick=False) as clock:
        client.force_login(applicant.user)
        for _ in range(3):
            clock.shift(29 * 60)
            assert client.get(ACCOUNT).status_code == 200
        clock.shift(31 * 60)

        assert client.get(ACCOUNT)["Location"] == f"{SIGN_IN}?next={ACCOUNT}"
