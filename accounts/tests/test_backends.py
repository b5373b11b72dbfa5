import pytest
from django.urls import reverse

from enrolment.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_deactivating_an_account_ends_its_session_on_the_next_request(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("enrolment:dashboard")).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get(reverse("enrolment:dashboard"))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]
