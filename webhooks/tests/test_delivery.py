"""Webhooks end to end against a real HTTP receiver on loopback: one delivery per event,
a valid signature, tried again after a failure, paused after too many, nothing sent for
a change that was rolled back."""

import contextlib
import datetime
import json
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from bookings.services import appointment_book, appointment_cancel
from centres.models import Closure
from centres.services import capacity_change_save
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent, OutboxMessage
from common.outbox import outbox_deliver, outbox_pending
from enrolment.tests.factories import ApplicationFactory, UserFactory
from webhooks.models import Attempt, Delivery, Event, Subscription
from webhooks.services import (
    DELIVER_TOPIC,
    subscription_create,
    subscription_resume,
    webhook_event,
)
from webhooks.signing import HEADER, signature_valid
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _local_receiver_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.OUTBOX_RELAY_SECONDS = 0  # the relay may hand out a message at once


@pytest.fixture
def hooks():
    with receiver() as state:
        yield state


def _subscribe(url, *events, **fields):
    admin = UserFactory(email="director@example.org")
    subscription = subscription_create(
        name="Partner", url=url, events=events or Event.values, actor=admin, language="en"
    )
    Subscription.objects.filter(pk=subscription.pk).update(**fields)
    subscription.refresh_from_db()
    return subscription


def _book(applicant_user=None):
    application = ApplicationFactory()
    user = application.applicant.user
    return appointment_book(application=application, slot=SlotFactory(), actor=user)


def _relay_everything(now=None):
    """What the outbox relay does, until nothing is due (failures wait for their backoff)."""
    for _ in range(10):
        pending = outbox_pending(now=now or timezone.now())
        if not pending:
            return
        for message_id in pending:
            # A failed delivery raises, and waits for its backoff.
            with contextlib.suppress(Exception):
                outbox_deliver(message_id=message_id, now=now)


def test_a_booking_is_delivered_once_signed_with_the_subscription_secret(hooks):
    subscription = _subscribe(hooks.url, Event.APPOINTMENT_BOOKED)

    appointment = _book()
    _relay_everything()
    _relay_everything()  # a second relay run sends nothing more

    assert len(hooks.received) == 1
    sent = hooks.received[0]
    assert sent.path == "/hooks/nexus"
    assert sent.headers["X-Nexus-Event"] == "appointment.booked"
    assert signature_valid(
        secret=subscription.secret,
        header=sent.headers[HEADER],
        body=sent.body,
        now=int(time.time()),
    )
    assert not signature_valid(
        secret="another secret", header=sent.headers[HEADER], body=sent.body, now=int(time.time())
    )
    body = json.loads(sent.body)
    assert body["event"] == "appointment.booked"
    assert body["id"] == sent.headers["X-Nexus-Delivery"]
    assert body["data"]["appointment"] == appointment.pk
    assert "name" not in json.dumps(body)  # ids and codes, nobody's name
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DELIVERED, 1)
    assert Attempt.objects.get().status_code == 200


def test_each_event_a_subscription_wants_and_only_those(hooks):
    _subscribe(hooks.url, Event.APPOINTMENT_CANCELLED)
    appointment = _book()
    appointment_cancel(appointment=appointment, actor=appointment.application.applicant.user)
    _relay_everything()
    assert [json.loads(r.body)["event"] for r in hooks.received] == ["appointment.cancelled"]
    assert json.loads(hooks.received[0].body)["data"]["cancel_reason"] == "applicant"


def test_a_failed_delivery_is_tried_again_after_its_backoff(hooks):
    _subscribe(hooks.url, Event.APPOINTMENT_BOOKED)
    hooks.answers = [503]

    _book()
    _relay_everything()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.RETRYING, 1)
    assert len(hooks.received) == 1
    message = OutboxMessage.objects.get(topic=DELIVER_TOPIC)
    assert message.available_at > timezone.now()  # waits for its backoff

    _relay_everything(now=message.available_at + datetime.timedelta(seconds=1))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.DELIVERED, 2)
    assert [a.status_code for a in Attempt.objects.order_by("number")] == [503, 200]
    assert hooks.received[0].body == hooks.received[1].body  # the same event, the same bytes
    assert len({r.headers["X-Nexus-Delivery"] for r in hooks.received}) == 1


def test_nothing_is_sent_for_a_change_that_was_rolled_back(hooks):
    _subscribe(hooks.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        _book()
        raise RuntimeError("the request failed after booking")
    _relay_everything()
    assert hooks.received == []
    assert not Delivery.objects.exists()


def test_no_subscriber_no_outbox_row():
    assert not webhook_event(Event.APPOINTMENT_BOOKED, key="1", appointment=1)
    assert not OutboxMessage.objects.filter(topic="webhook.event").exists()


def test_too_many_failures_pause_it_tell_the_administrator_and_resume_sends_the_rest(
    hooks, settings
):
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    subscription = _subscribe(hooks.url, Event.APPOINTMENT_BOOKED)
    hooks.answers = [500, 500]
    _book()
    _relay_everything()
    message = OutboxMessage.objects.get(topic=DELIVER_TOPIC)
    _relay_everything(now=message.available_at + datetime.timedelta(seconds=1))

    subscription.refresh_from_db()
    assert subscription.is_paused and "2 failures in a row" in subscription.pause_reason
    assert Delivery.objects.get().status == Delivery.Status.HELD
    assert AuditEvent.objects.filter(action="webhook_subscription.paused").exists()
    told = [m for m in mail.outbox if "webhook" in m.subject]  # (the rest: the applicant's)
    assert [m.to for m in told] == [["director@example.org"]]
    assert "paused" in told[0].subject and "Partner" in told[0].body

    _book()  # while paused: held, not sent
    _relay_everything(now=timezone.now() + datetime.timedelta(hours=7))
    assert len(hooks.received) == 2
    assert Delivery.objects.filter(status=Delivery.Status.HELD).count() == 2

    assert subscription_resume(subscription=subscription, actor=subscription.created_by) == 2
    _relay_everything()
    assert len(hooks.received) == 4
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}


def test_a_capacity_change_reaches_partners(hooks):
    _subscribe(hooks.url, Event.CAPACITY_CHANGED)
    centre = CentreFactory()
    day = timezone.localdate() + datetime.timedelta(days=40)
    capacity_change_save(
        obj=Closure(centre=centre, first_day=day, last_day=day, reason="holiday"),
        actor=UserFactory(),
    )
    _relay_everything()
    body = json.loads(hooks.received[0].body)
    assert body["event"] == "capacity.changed"
    assert (body["data"]["centre"], body["data"]["change"]) == (centre.pk, "closure")


def test_a_completed_enrolment_reaches_partners(hooks):
    from centres.models import StaffProfile
    from interviews.services import appointment_check_in, interview_record_outcome
    from interviews.tests.factories import StaffProfileFactory

    _subscribe(hooks.url, Event.ENROLMENT_COMPLETED)
    centre = CentreFactory(land_border=True, time_zone="UTC")
    application = ApplicationFactory()
    cbsa = StaffProfileFactory(centres=[centre]).user
    cbp = StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[centre]).user
    now = timezone.now()
    slot = SlotFactory(centre=centre, starts_at=now + datetime.timedelta(minutes=30))
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user,
        now=now - datetime.timedelta(minutes=1),
    )  # fmt: skip
    appointment_check_in(appointment=appointment, officer=cbp)
    interview_record_outcome(application=application, officer=cbp, outcome="pass")
    _relay_everything()
    assert hooks.received == []  # one agency passed: not complete yet
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    _relay_everything()

    assert [json.loads(r.body)["event"] for r in hooks.received] == ["enrolment.completed"]
    data = json.loads(hooks.received[0].body)["data"]
    assert (data["path"], data["kind"]) == ("joint", application.kind)


def test_an_imported_entry_exit_batch_reaches_partners(hooks):
    from entry_exit.partners import Partner
    from entry_exit.services import inbound_batch_import
    from entry_exit.tests.batches import RECEIVED, US_PORT, partner_batch, us_row
    from entry_exit.tests.factories import PortFactory

    _subscribe(hooks.url, Event.ENTRY_EXIT_BATCH_IMPORTED)
    PortFactory(code=US_PORT, us=True)
    body = partner_batch([us_row(n) for n in range(3)], batch_id=41)
    result = inbound_batch_import(partner=Partner(name="cbp"), body=body, now=RECEIVED)
    _relay_everything()

    data = json.loads(hooks.received[0].body)["data"]
    assert data == {
        "batch": result.batch.pk, "partner": "cbp", "status": "imported", "records": 3,
        "imported": 3, "duplicates": 0, "refused": 0,
    }  # fmt: skip


def test_a_redirect_is_a_failure_and_is_not_followed(hooks):
    _subscribe(hooks.url, Event.APPOINTMENT_BOOKED)
    hooks.answers = [307]
    _book()
    _relay_everything()
    assert [r.path for r in hooks.received] == ["/hooks/nexus"]  # never /elsewhere
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert Attempt.objects.get().status_code == 307
