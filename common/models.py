from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models


class AuditEvent(models.Model):
    """One row for every state change: who did what to which object, and when.

    ``data`` holds identifiers and state names only, never personal data.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type.model}#{self.target_id}"


class OutboxMessage(models.Model):
    """A side effect (an e-mail, a waitlist match) recorded in the same transaction as
    the change that causes it, and delivered by a task after the commit.

    ``key`` is the event's idempotency key ("appointment.booked:42"): the unique
    constraint makes "the same message twice for the same event" impossible. A message
    is delivered by whoever claims it (``claimed_until``) and done once ``delivered_at``
    is set; a claim that outlives its worker (killed mid-task) runs out and the message
    is delivered again by the relay. See ``common/outbox.py``.
    """

    topic = models.CharField(max_length=64)
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)  # primary keys and codes only
    created_at = models.DateTimeField(auto_now_add=True)
    available_at = models.DateTimeField()  # not before (backoff after a failure)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # the exception's class only

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending",
                condition=models.Q(delivered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class RateLimitCounter(models.Model):
    """A ``RateLimit`` count kept here only while the cache (Redis) is unreachable.

    ``key`` is the limit's cache key, a keyed HMAC: no username, address or account
    number. A row counts until ``expires_at``; an expired row counts for nothing and is
    restarted or deleted by the next failure counted here (see ``common/ratelimit.py``).
    """

    key = models.CharField(max_length=128, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key
