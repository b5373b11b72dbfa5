from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from centres.models import Centre, Slot
from enrolment.models import Application


class Step(models.TextChoices):
    CBSA = "cbsa", _("CBSA interview")
    JOINT = "joint", _("Joint CBSA and CBP interview")


@dataclass(frozen=True)
class PathBooking:
    """Where and for which interview step an application on a path books."""

    step: str
    centre_kind: str
    country: str


# The one place that says which centres fit which path.
PATH_BOOKING: dict[str, PathBooking] = {
    Application.Path.AIRPORT: PathBooking(
        Step.CBSA, Centre.Kind.AIRPORT_ENROLMENT, Centre.Country.CANADA
    ),
    Application.Path.JOINT: PathBooking(
        Step.JOINT, Centre.Kind.LAND_BORDER, Centre.Country.UNITED_STATES
    ),
    Application.Path.SPLIT_SITE: PathBooking(
        Step.CBSA, Centre.Kind.SPLIT_SITE, Centre.Country.CANADA
    ),
}


def path_for_centre(centre: Centre) -> str | None:
    """The path an appointment at this centre belongs to, or None if it takes none."""
    if not (centre.takes_appointments and centre.is_active):
        return None
    for path, booking in PATH_BOOKING.items():
        if (centre.kind, centre.country) == (booking.centre_kind, booking.country):
            return path
    return None


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Moved to another time")

    # Statuses that hold a booth and count as the step's one active appointment.
    ACTIVE = (Status.BOOKED,)

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    step = models.CharField(_("interview step"), max_length=16, choices=Step.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.BOOKED
    )
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "step"],
                condition=Q(status__in=["booked"]),
                name="appointment_one_active_per_step",
            ),
        ]
        indexes = [models.Index(fields=["slot", "status"], name="appointment_slot_status")]

    def __str__(self) -> str:
        return f"{self.application} {self.get_step_display()} {self.slot}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
