"""The transactional outbox: side effects that survive a broker outage and run once.

1. A service calls ``outbox_put`` inside its transaction: one ``OutboxMessage`` row,
   committed (or rolled back) with the change itself. A second put with the same key
   is ignored, so an event yields one message however often it is recorded.
2. After the commit, ``outbox_put`` asks Celery to deliver it (``outbox_deliver_task``).
   If the broker is down, the ask fails quietly: the change stands, the row waits.
3. ``outbox_relay_task`` (beat, every ``OUTBOX_RELAY_SECONDS``) hands every waiting row
   to a worker again: rows whose ask was lost, whose delivery failed (after a backoff),
   or whose worker died holding the claim.
4. ``outbox_deliver`` claims the row with a conditional update (one worker wins), runs the
   topic's handler, then marks it delivered. A handler must be safe to run again after a
   crash between its effect and the mark (for e-mail: the rare duplicate is accepted
   over a lost message).

Handlers are registered per topic with ``@outbox_handler("topic")`` in each app's module
that owns the effect (imported from its ``AppConfig.ready``).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from common.models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[dict], None]
HANDLERS: dict[str, Handler] = {}


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if HANDLERS.get(topic, handler) is not handler:
            raise ValueError(f"two handlers for outbox topic {topic!r}")
        HANDLERS[topic] = handler
        return handler

    return register


def outbox_put(*, topic: str, key: str, **payload) -> bool:
    """Record a side effect in the current transaction; False if ``key`` was already
    recorded (nothing new is sent). Delivery is asked for once the transaction commits."""
    now = timezone.now()
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                topic=topic, key=key, payload=payload, available_at=now
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: _ask_delivery(message.pk))
    return True


# The delivery task (``common/tasks.py``), found by name in Celery's registry: the tasks
# module builds on this one, never the reverse.
DELIVER_TASK = "common.tasks.outbox_deliver_task"


def _ask_delivery(message_id: int) -> None:
    try:
        current_app.tasks[DELIVER_TASK].apply_async((message_id,), retry=False)
    except Exception as error:  # the broker is down: the relay delivers it later
        logger.warning(
            "outbox message %s waits for the relay: %s", message_id, type(error).__name__
        )


def outbox_deliver(*, message_id: int, now: datetime | None = None) -> bool:
    """Claim, handle and mark one message; False if it was done or someone holds it."""
    now = now or timezone.now()
    claim = timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, delivered_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + claim, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        HANDLERS[message.topic](message.payload)
    except Exception as error:
        backoff = timedelta(seconds=min(30 * 2 ** min(message.attempts, 10), 6 * 60 * 60))
        OutboxMessage.objects.filter(pk=message_id).update(
            claimed_until=None,
            available_at=timezone.now() + backoff,
            last_error=type(error).__name__[:200],
        )
        raise
    OutboxMessage.objects.filter(pk=message_id).update(
        delivered_at=timezone.now(), claimed_until=None, last_error=""
    )
    return True


def outbox_pending(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Messages the relay should hand out again: due, undelivered and unclaimed (or their
    claim ran out), and old enough that their first ask should have been answered."""
    now = now or timezone.now()
    settle = timedelta(seconds=settings.OUTBOX_RELAY_SECONDS)
    return list(
        OutboxMessage.objects.filter(
            delivered_at__isnull=True, available_at__lte=now, created_at__lte=now - settle
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("available_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
