"""Webhooks: recording an event with the change, fanning it out to the subscriptions
that want it, and delivering each (signed, retried with backoff, paused after too many
failures in a row, the administrator told).

1. ``webhook_event`` is called by a service inside its transaction: one outbox message
   (``common/outbox.py``), committed or rolled back with the change — a rolled-back
   change sends nothing. When no active subscription wants the event, nothing is written.
2. After the commit, ``_fan_out`` makes one ``Delivery`` per subscription that wants the
   event (its body fixed then), each with its own outbox message.
3. ``_deliver`` POSTs it (``webhooks/transport.py``) with the signature
   (``webhooks/signing.py``) and records the ``Attempt``. A failure raises, so the outbox
   tries again after its backoff (30 s, 1 min, 2 min… up to 6 h). After
   ``WEBHOOK_PAUSE_AFTER_FAILURES`` failures in a row the subscription is paused: its
   deliveries are held until an administrator resumes it, and whoever registered it is
   told by e-mail.
"""

import json
import logging
import secrets
import time
from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from centres.services import CAPACITY_CHANGED
from common.actors import Actor, acting_user
from common.audit import audit_record
from common.mail import mail_send
from common.outbox import outbox_handler, outbox_put
from webhooks.errors import WebhookError
from webhooks.models import Attempt, Delivery, Event, Subscription
from webhooks.signing import HEADER, signature_header
from webhooks.transport import post, target_check

logger = logging.getLogger(__name__)

EVENT_TOPIC = "webhook.event"
DELIVER_TOPIC = "webhook.deliver"
PAUSED_MAIL = "mail.webhook_paused"


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx: the outbox tries again after its backoff."""


# --- Recording an event ------------------------------------------------------------------


def webhook_event(event: str, *, key: str, **data: Any) -> bool:
    """Record ``event`` in the current transaction; ``key`` makes it once per happening
    (e.g. the appointment's id). ``data`` is ids, codes and times — never personal data.
    False when nobody wants it (nothing written) or it was already recorded."""
    if event not in Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if not _anyone_wants(event):
        return False
    return outbox_put(
        topic=EVENT_TOPIC,
        key=f"webhook:{event}:{key}",
        event=event,
        event_id=str(uuid4()),
        occurred_at=timezone.now().isoformat(),
        data=data,
    )


def _anyone_wants(event: str) -> bool:
    subscriptions = Subscription.objects.filter(is_active=True).values_list("events", flat=True)
    return any(event in events for events in subscriptions)


@outbox_handler(EVENT_TOPIC)
def _fan_out(payload: dict[str, Any]) -> None:
    body = json.dumps(
        {
            "id": payload["event_id"],
            "event": payload["event"],
            "occurred_at": payload["occurred_at"],
            "data": payload["data"],
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    with transaction.atomic():
        for subscription in Subscription.objects.filter(is_active=True).order_by("pk"):
            if not subscription.wants(payload["event"]):
                continue
            delivery, created = Delivery.objects.get_or_create(
                subscription=subscription,
                event_id=payload["event_id"],
                defaults={
                    "event": payload["event"],
                    "body": body,
                    "status": Delivery.Status.HELD
                    if subscription.is_paused
                    else Delivery.Status.PENDING,
                },
            )
            if created and delivery.status == Delivery.Status.PENDING:
                _queue(delivery)


def _queue(delivery: Delivery) -> None:
    outbox_put(
        topic=DELIVER_TOPIC,
        key=f"webhook.deliver:{delivery.pk}:{delivery.round}",
        delivery=delivery.pk,
    )


@outbox_handler(CAPACITY_CHANGED)
def _capacity_changed(payload: dict[str, Any]) -> None:
    """``centres`` announces its capacity changes on its own topic; they become events."""
    data = dict(payload)
    with transaction.atomic():
        webhook_event(Event.CAPACITY_CHANGED, key=str(data.pop("change_id")), **data)


# --- Delivering ----------------------------------------------------------------------------


@outbox_handler(DELIVER_TOPIC)
def _deliver(payload: dict[str, Any]) -> None:
    delivery = Delivery.objects.select_related("subscription").get(pk=payload["delivery"])
    subscription = delivery.subscription
    if delivery.status == Delivery.Status.DELIVERED or not subscription.is_active:
        return
    if subscription.is_paused:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.HELD)
        return
    body = delivery.body.encode()
    number = delivery.attempts + 1
    try:
        target = target_check(subscription.url)  # checked again: DNS answers change
    except WebhookError as refusal:
        answer_status, answer_error, duration = None, refusal.code, 0
    else:
        answer = post(target, body=body, headers=_headers(subscription, delivery, body))
        answer_status, answer_error, duration = answer.status, answer.error, answer.duration_ms
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=answer_status,
            error=answer_error,
            duration_ms=duration,
        )
        if not answer_error:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.Status.DELIVERED, attempts=number, delivered_at=timezone.now()
            )
            Subscription.objects.filter(pk=subscription.pk).update(failures_in_a_row=0)
            return
        paused = _failure_count(subscription, delivery, number, answer_error)
    if paused:
        return  # held until resumed: no retry now
    logger.warning(
        "webhook delivery %s to subscription %s failed (%s), attempt %s",
        delivery.pk, subscription.pk, answer_error, number,
    )  # fmt: skip
    raise DeliveryFailed(answer_error)


def _headers(subscription: Subscription, delivery: Delivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "NEXUS-Portal-Webhooks/1",
        "X-Nexus-Event": delivery.event,
        "X-Nexus-Delivery": str(delivery.event_id),
        HEADER: signature_header(secret=subscription.secret, timestamp=int(time.time()), body=body),
    }


def _failure_count(subscription: Subscription, delivery: Delivery, number: int, error: str) -> bool:
    """Count a failure; pause the subscription when it is one too many (True then)."""
    Subscription.objects.filter(pk=subscription.pk).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    failures = int(
        Subscription.objects.values_list("failures_in_a_row", flat=True).get(pk=subscription.pk)
    )
    limit: int = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    now = timezone.now()
    paused = failures >= limit and bool(
        Subscription.objects.filter(pk=subscription.pk, paused_at__isnull=True).update(
            paused_at=now, pause_reason=f"{failures} failures in a row (last: {error})"[:200]
        )
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=number,
        status=Delivery.Status.HELD if paused or failures >= limit else Delivery.Status.RETRYING,
    )
    if paused:
        audit_record(
            actor=None,
            action="webhook_subscription.paused",
            target=subscription,
            failures=failures,
            error=error,
        )
        outbox_put(
            topic=PAUSED_MAIL,
            key=f"webhook.paused:{subscription.pk}:{now.isoformat()}",
            subscription=subscription.pk,
        )
    return failures >= limit


@outbox_handler(PAUSED_MAIL)
def _paused_mail_send(payload: dict[str, Any]) -> None:
    subscription = Subscription.objects.select_related("created_by").get(pk=payload["subscription"])
    to = _administrators_to_tell(subscription)
    if not subscription.is_paused or not to:
        return
    with translation.override(subscription.language):
        url = settings.SITE_URL + reverse("webhooks:detail", kwargs={"pk": subscription.pk})
    mail_send(
        template_prefix="webhooks/emails/paused",
        context={"subscription": subscription, "url": url},
        to=to,
        language=subscription.language,
    )


def _administrators_to_tell(subscription: Subscription) -> list[str]:
    user = subscription.created_by
    if user is not None and user.is_active and user.email:
        return [user.email]
    admins = User.objects.filter(is_active=True, staff_profile__role="programme_admin").exclude(
        email=""
    )
    return sorted(admins.values_list("email", flat=True))


# --- Administering subscriptions ------------------------------------------------------------


def _events_check(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen or any(event not in Event.values for event in chosen):
        raise WebhookError(_("Choose at least one event."), code="no_events", kind="invalid")
    return chosen


def subscription_create(
    *, name: str, url: str, events: Iterable[str], actor: Actor, language: str
) -> Subscription:
    """Register a subscription with a new random secret (shown to the administrator on
    its page). Its URL is checked first (``target_check``)."""
    target_check(url)
    chosen = _events_check(events)
    with transaction.atomic():
        subscription = Subscription.objects.create(
            name=name.strip()[:100],
            url=url,
            events=chosen,
            secret=secrets.token_urlsafe(32),
            created_by=acting_user(actor),
            language=language,
        )
        audit_record(
            actor=actor,
            action="webhook_subscription.created",
            target=subscription,
            events=chosen,
        )
    return subscription


def subscription_pause(*, subscription: Subscription, actor: Actor) -> Subscription:
    with transaction.atomic():
        changed = Subscription.objects.filter(pk=subscription.pk, paused_at__isnull=True).update(
            paused_at=timezone.now(), pause_reason="paused by an administrator"
        )
        if changed:
            audit_record(actor=actor, action="webhook_subscription.paused", target=subscription)
    subscription.refresh_from_db()
    return subscription


def subscription_resume(*, subscription: Subscription, actor: Actor) -> int:
    """Resume a paused subscription: its held deliveries are queued again, oldest first.
    Returns how many."""
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.paused_at is None:
            return 0
        locked.paused_at, locked.pause_reason, locked.failures_in_a_row = None, "", 0
        locked.save(update_fields=["paused_at", "pause_reason", "failures_in_a_row"])
        held = list(
            Delivery.objects.filter(subscription=locked, status=Delivery.Status.HELD).order_by(
                "created_at", "id"
            )
        )
        for delivery in held:
            delivery.round += 1
            delivery.status = Delivery.Status.PENDING
            delivery.save(update_fields=["round", "status"])
            _queue(delivery)
        audit_record(
            actor=actor, action="webhook_subscription.resumed", target=locked, queued=len(held)
        )
    subscription.refresh_from_db()
    return len(held)


def subscription_delete(*, subscription: Subscription, actor: Actor) -> None:
    """Stop a subscription for good: nothing more is sent; its delivery log is kept."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="webhook_subscription.deleted",
            target=subscription,
            name=subscription.name,
        )
        Subscription.objects.filter(pk=subscription.pk).update(is_active=False)
