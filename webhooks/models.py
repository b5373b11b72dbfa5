"""Partner systems' webhook subscriptions, and every delivery made to them.

An event (an appointment booked, an enrolment completed, capacity changed…) is recorded
in the outbox with the change that causes it; after the commit it becomes one
``Delivery`` per subscription that wants it, each POSTed, signed, until the receiver
answers 2xx. Every try is an ``Attempt`` row (when, status, how long). See
``webhooks/services.py`` and ``docs/webhooks.md``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    APPOINTMENT_BOOKED = "appointment.booked", _("Appointment booked")
    APPOINTMENT_MOVED = "appointment.moved", _("Appointment moved")
    APPOINTMENT_CANCELLED = "appointment.cancelled", _("Appointment cancelled")
    ENROLMENT_COMPLETED = "enrolment.completed", _("Enrolment completed")
    CAPACITY_CHANGED = "capacity.changed", _("Centre capacity changed")
    ENTRY_EXIT_BATCH_SENT = "entry_exit.batch_sent", _("Entry/Exit batch sent to the partner")
    ENTRY_EXIT_BATCH_IMPORTED = "entry_exit.batch_imported", _("Entry/Exit batch imported")


class Subscription(models.Model):
    """A partner system's URL, the events it wants and the secret its deliveries are
    signed with. Paused (``paused_at``) after too many failures in a row: deliveries wait
    until an administrator resumes it."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("why paused"), max_length=200, blank=True)
    failures_in_a_row = models.PositiveIntegerField(_("failures in a row"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The administrator is written to in the language they registered it in.
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def wants(self, event: str) -> bool:
        return event in self.events


class Delivery(models.Model):
    """One event for one subscription: its body is fixed when the event happens, so every
    try sends the same bytes (and the receiver deduplicates by ``event_id``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        RETRYING = "retrying", _("Failed, will try again")
        HELD = "held", _("Held while the subscription is paused")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    event_id = models.UUIDField(_("event id"))
    body = models.TextField(_("body"))  # the JSON sent, exactly
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Bumped each time a held delivery is queued again (the outbox key names it).
    round = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "status"],
                condition=Q(status="held"),
                name="webhook_delivery_held",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} → {self.subscription_id} ({self.status})"


class Attempt(models.Model):
    """One try of a delivery: when, the HTTP status (none if it never got one), what went
    wrong (a short code, never the receiver's body), how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
