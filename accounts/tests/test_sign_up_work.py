"""Signing up with an address that has an account does the same work as a new sign-up,
so how long the answer takes does not tell who is registered. Counted, not timed: the
hasher runs once in every case, with the real (slow) default hasher."""

from unittest import mock

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core import mail

from enrolment.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = "/en/accounts/sign-up/"
CHOSEN = "maple syrup on fresh snow 77"


@pytest.fixture(autouse=True)
def _default_hasher(settings):
    # The suite hashes with MD5 for speed; here the production hasher's work is the point.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


def sign_up(client, django_capture_on_commit_callbacks, email):
    data = {
        "first_name": "Amélie",
        "last_name": "O'Brien",
        "email": email,
        "password1": CHOSEN,
        "password2": CHOSEN,
    }
    with (
        mock.patch.object(
            PBKDF2PasswordHasher, "encode", autospec=True, side_effect=PBKDF2PasswordHasher.encode
        ) as encode,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(SIGN_UP, data)
    return response, encode


@pytest.mark.parametrize("account", ["none", "confirmed", "awaiting_confirmation"])
def test_sign_up_hashes_the_password_once_whether_or_not_the_address_has_an_account(
    client, django_capture_on_commit_callbacks, account
):
    email = "amelie.tremblay@example.com"
    if account == "confirmed":
        UserFactory(username=email, email=email)
    elif account == "awaiting_confirmation":
        UserFactory(username=email, email=email, is_active=False)
    mail.outbox.clear()

    response, encode = sign_up(client, django_capture_on_commit_callbacks, email)

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/sign-up/sent/"
    assert encode.call_count == 1
    ((_hasher, password, _salt), _kwargs) = encode.call_args
    assert password == CHOSEN
    assert len(mail.outbox) == 1  # and one e-mail, sent after the commit in every case


def test_the_known_address_path_leaves_the_accounts_password_as_it_was(
    client, django_capture_on_commit_callbacks
):
    email = "amelie.tremblay@example.com"
    user = UserFactory(username=email, email=email)
    before = user.password

    sign_up(client, django_capture_on_commit_callbacks, email)

    user.refresh_from_db()
    assert user.password == before
