"""The programme administrator's webhook pages: nobody else finds them; a refused
address re-shows the form with the message; pause, resume and stop."""

import pytest
from django.urls import reverse

from centres.models import StaffProfile
from common.models import AuditEvent
from common.tests.helpers import force_login_verified
from interviews.tests.factories import StaffProfileFactory
from webhooks.models import Subscription
from webhooks.services import subscription_create

pytestmark = pytest.mark.django_db


def _admin(role=StaffProfile.Role.PROGRAMME_ADMIN):
    return StaffProfileFactory(role=role).user


@pytest.fixture
def director_client(client):
    force_login_verified(client, _admin())
    return client


def _subscription(**fields):
    return subscription_create(
        name="Partner", url="https://93.184.216.34/in", events=["appointment.booked"],
        actor=_admin(), language="en", **fields,
    )  # fmt: skip


@pytest.mark.parametrize(
    "role",
    [
        StaffProfile.Role.CENTRE_ADMIN,
        StaffProfile.Role.CBSA_OFFICER,
        StaffProfile.Role.ENTRY_EXIT_ANALYST,
    ],
)
def test_only_programme_administrators_find_the_pages(client, role):
    subscription = _subscription()
    force_login_verified(client, _admin(role))
    pages = [
        ("get", reverse("webhooks:subscriptions")),
        ("get", reverse("webhooks:detail", kwargs={"pk": subscription.pk})),
        ("post", reverse("webhooks:act", kwargs={"pk": subscription.pk})),
    ]
    for method, url in pages:
        assert getattr(client, method)(url, {"action": "stop"}).status_code == 404
    assert Subscription.objects.get(pk=subscription.pk).is_active


def test_an_applicant_is_not_shown_them_either(client, applicant):
    client.force_login(applicant.user)
    assert client.get(reverse("webhooks:subscriptions")).status_code == 404


def test_registering_shows_the_secret_and_is_audited(director_client):
    response = director_client.post(
        reverse("webhooks:subscriptions"),
        {"name": "Tracker", "url": "https://93.184.216.34/in", "events": ["enrolment.completed"]},
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    page = director_client.get(response["Location"]).content.decode()
    assert subscription.secret in page and "Enrolment completed" in page
    assert AuditEvent.objects.filter(action="webhook_subscription.created").exists()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_private_address_re_shows_the_form_with_the_message(director_client, language):
    url = f"/{language}/programme/webhooks/"
    response = director_client.post(
        url, {"name": "Inside", "url": "https://10.0.0.7/in", "events": ["appointment.booked"]}
    )
    assert response.status_code == 400
    page = response.content.decode()
    message = {
        "en": "The address resolves to a private, loopback or link-local network.",
        "fr": "L'adresse mène à un réseau privé, de bouclage ou local au lien.",
    }[language]
    assert message in page.replace("&#x27;", "'")
    assert 'value="Inside"' in page  # nothing typed is lost
    assert not Subscription.objects.exists()


def test_nothing_chosen_is_a_form_error(director_client):
    response = director_client.post(
        reverse("webhooks:subscriptions"), {"name": "X", "url": "https://93.184.216.34/in"}
    )
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_pause_resume_and_stop(director_client):
    subscription = _subscription()
    act = reverse("webhooks:act", kwargs={"pk": subscription.pk})
    director_client.post(act, {"action": "pause"})
    assert Subscription.objects.get().is_paused
    director_client.post(act, {"action": "resume"})
    assert not Subscription.objects.get().is_paused
    response = director_client.post(act, {"action": "nonsense"})
    assert response.status_code == 400
    assert "Choose pause, resume or stop." in response.content.decode()
    director_client.post(act, {"action": "stop"})
    assert not Subscription.objects.get().is_active
    assert (
        director_client.get(reverse("webhooks:detail", kwargs={"pk": subscription.pk})).status_code
        == 404
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"webhook_subscription.paused", "webhook_subscription.resumed"} <= actions
