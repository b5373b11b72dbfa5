"""Appointments, held times and the earlier-time waitlist: what an applicant books.

The tables kept their names when the models moved here from ``interviews`` (migration
``bookings.0001``): ``interviews_appointment``, ``interviews_slothold``,
``interviews_waitlistrequest`` and ``interviews_waitlistoffer``.
"""

from dataclasses import dataclass
from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from centres.models import Centre, Slot
from common.inputs import DATE_VALIDATORS
from enrolment.models import Application


class Step(models.TextChoices):
    CBSA = "cbsa", _("CBSA interview")
    JOINT = "joint", _("Joint CBSA and CBP interview")


class CbpSite(models.TextChoices):
    """Where the CBP part of an enrolment takes place."""

    PRECLEARANCE = "preclearance", _("any Canadian airport preclearance area (walk-in)")
    COUNTERPART = "counterpart", _("the US counterpart of the Canadian split site")
    APPOINTMENT = "appointment", _("the joint appointment's centre")


@dataclass(frozen=True)
class PathBooking:
    """Where and for which interview step an application on a path books, and where
    the CBP part of its enrolment is done."""

    step: str
    centre_kind: str
    country: str
    cbp_site: str


# The one place that says which centres fit which path.
PATH_BOOKING: dict[str, PathBooking] = {
    Application.Path.AIRPORT: PathBooking(
        Step.CBSA, Centre.Kind.AIRPORT_ENROLMENT, Centre.Country.CANADA, CbpSite.PRECLEARANCE
    ),
    Application.Path.JOINT: PathBooking(
        Step.JOINT, Centre.Kind.LAND_BORDER, Centre.Country.UNITED_STATES, CbpSite.APPOINTMENT
    ),
    Application.Path.SPLIT_SITE: PathBooking(
        Step.CBSA, Centre.Kind.SPLIT_SITE, Centre.Country.CANADA, CbpSite.COUNTERPART
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
        CHECKED_IN = "checked_in", _("Checked in")
        ATTENDED = "attended", _("Interviewed")
        NO_SHOW = "no_show", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Moved to another time")

    class CancelReason(models.TextChoices):
        APPLICANT = "applicant", _("Cancelled by the applicant")
        ENROLMENT_EXPIRED = "enrolment_expired", _("Conditional approval expired")
        CENTRE_CLOSED = "centre_closed", _("Centre closed")

    # The step's one active appointment: booked, or checked in at the centre.
    ACTIVE = (Status.BOOKED, Status.CHECKED_IN)
    # Statuses whose booth stays taken (``Slot.booked`` counts them).
    HOLDS_BOOTH = (Status.BOOKED, Status.CHECKED_IN, Status.ATTENDED, Status.NO_SHOW)

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="appointments"
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    step = models.CharField(_("interview step"), max_length=16, choices=Step)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.BOOKED
    )
    rescheduled_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rescheduled_to"
    )
    # A cancelled appointment says why, and who cancelled it (nobody: the system).
    cancel_reason = models.CharField(
        _("why cancelled"), max_length=32, choices=CancelReason.choices, blank=True
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "interviews_appointment"
        ordering = ["-created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "step"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="appointment_one_active_per_step",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancel_reason__gt="")
                | (~Q(status="cancelled") & Q(cancel_reason="", cancelled_by__isnull=True)),
                name="appointment_cancelled_says_why",
            ),
        ]
        indexes = [models.Index(fields=["slot", "status"], name="appointment_slot_status")]

    def __str__(self) -> str:
        return f"{self.application} {self.get_step_display()} {self.slot}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def reference(self) -> str:
        """The booking reference the applicant quotes: "NX-001234-6", the row's id with a
        Luhn check digit (a digit misheard or mistyped is caught).

        Derived, not stored: the id is already unique and never changes, so the reference
        needs no column, no migration and no collision retry, and every appointment has
        one, old rows included. A move books a new row, so the moved appointment has a
        new reference (its e-mail says so). It reveals only a count of bookings, and
        nothing is looked up by it without signing in."""
        return appointment_reference(self.pk)


def appointment_reference(pk: int) -> str:
    digits = f"{pk:06d}"
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"NX-{digits}-{(10 - total % 10) % 10}"


@dataclass(frozen=True)
class AppointmentMove:
    """One legal change of an appointment's status: from any of ``sources`` to ``target``
    (a cancellation with its ``reason``)."""

    action: str
    sources: frozenset[str]
    target: str
    reason: str = ""


_A = Appointment.Status
# Every change of an appointment's status, declared once; ``bookings.services.states.
# appointment_move`` makes them, each with one conditional UPDATE. An appointment is made
# ``booked`` (booking, a move, an auto-rebook); ``rescheduled``, ``cancelled``, ``attended``
# and ``no_show`` are final.
APPOINTMENT_MOVES: dict[str, AppointmentMove] = {
    move.action: move
    for move in (
        # The applicant moves it: its replacement is booked in the same transaction.
        AppointmentMove("reschedule", frozenset({_A.BOOKED}), _A.RESCHEDULED),
        # The applicant cancels it before its time.
        AppointmentMove(
            "cancel", frozenset({_A.BOOKED}), _A.CANCELLED, Appointment.CancelReason.APPLICANT
        ),
        # The enrolment expired (the system): whatever is still active goes.
        AppointmentMove(
            "expire",
            frozenset({_A.BOOKED, _A.CHECKED_IN}),
            _A.CANCELLED,
            Appointment.CancelReason.ENROLMENT_EXPIRED,
        ),
        # An administrator closed the centre at its time, moving people first.
        AppointmentMove(
            "close",
            frozenset({_A.BOOKED}),
            _A.CANCELLED,
            Appointment.CancelReason.CENTRE_CLOSED,
        ),
        # An officer checks the applicant in on the day.
        AppointmentMove("check_in", frozenset({_A.BOOKED}), _A.CHECKED_IN),
        # An officer records the interview's outcome.
        AppointmentMove("attend", frozenset({_A.CHECKED_IN}), _A.ATTENDED),
        # An officer, or the end of the centre's day, records that nobody came.
        AppointmentMove("no_show", frozenset({_A.BOOKED}), _A.NO_SHOW),
    )
}


class SlotHold(models.Model):
    """A booth kept for an applicant while they confirm a time (``SLOT_HOLD_MINUTES``).

    A hold takes a booth like an appointment does (it counts in ``Slot.booked``), so the
    time cannot be taken from under the applicant while they read the confirmation page.
    It ends by being confirmed, released, or expiring (``holds_release_expired``). One
    hold per application; ``appointment`` is set when the hold is for moving it.
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="slot_hold"
    )
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="holds")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField(_("held until"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "interviews_slothold"
        verbose_name = _("held time")
        verbose_name_plural = _("held times")
        indexes = [models.Index(fields=["expires_at"], name="slothold_expiry")]

    def __str__(self) -> str:
        return f"{self.application} holds {self.slot} until {self.expires_at:%H:%M}"


class WaitlistRequest(models.Model):
    """An applicant's wish for an earlier time: at these centres, between these local days,
    at these times of day. Matched, oldest first, whenever a booth frees up
    (``interviews.services.waitlist``): the time is offered with a hold, or — with
    ``auto_rebook`` — booked at once, the old appointment's booth released in the same
    transaction. One active request per application.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Looking for an earlier time")
        FULFILLED = "fulfilled", _("Earlier time found")
        CANCELLED = "cancelled", _("Stopped looking")

    # Times of day, by the slot's start in the centre's local time.
    MORNING_ENDS = time(12, 0)
    EVENING_STARTS = time(17, 0)

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="waitlist_requests"
    )
    # The appointment to move, when there was one: if it is cancelled, not moved, the
    # request lapses instead of booking a new one.
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    centres = models.ManyToManyField(Centre, verbose_name=_("centres"), related_name="+")
    earliest = models.DateField(_("from"), validators=DATE_VALIDATORS)
    latest = models.DateField(_("until"), validators=DATE_VALIDATORS)
    mornings = models.BooleanField(_("mornings (before noon)"), default=True)
    afternoons = models.BooleanField(_("afternoons (noon to 5 p.m.)"), default=True)
    evenings = models.BooleanField(_("evenings (from 5 p.m.)"), default=True)
    auto_rebook = models.BooleanField(_("move me automatically"), default=False)
    # Ahead of every ordinary request: people whose appointment a closure cancelled
    # (``waitlist_request_first_in_line``); among themselves, first come, first served.
    first_in_line = models.BooleanField(_("first in line"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "interviews_waitlistrequest"
        ordering = ["created_at", "id"]
        verbose_name = _("earlier-time request")
        verbose_name_plural = _("earlier-time requests")
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="active"),
                name="waitlist_one_active_per_application",
            ),
            models.CheckConstraint(
                condition=Q(earliest__lte=F("latest")), name="waitlist_window_in_order"
            ),
            models.CheckConstraint(
                condition=Q(mornings=True) | Q(afternoons=True) | Q(evenings=True),
                name="waitlist_some_time_of_day",
            ),
        ]
        indexes = [
            # FIFO over the active requests: the matcher's scan.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status="active"),
                name="waitlist_active_fifo",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} waits for {self.earliest}–{self.latest}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @classmethod
    def time_of_day(cls, local_start: time) -> str:
        """The field that says whether a slot starting at this local time is wanted."""
        if local_start < cls.MORNING_ENDS:
            return "mornings"
        if local_start < cls.EVENING_STARTS:
            return "afternoons"
        return "evenings"

    def wants_time(self, local_start: time) -> bool:
        return getattr(self, self.time_of_day(local_start))


class WaitlistOffer(models.Model):
    """One slot given to one request: held for the applicant to accept (``hold``), or
    booked at once for an ``auto_rebook`` request (accepted, no hold). A slot is offered
    to a request at most once (a declined or expired offer is not repeated).

    An offer still ``offered`` whose hold has ended (the row is gone) is settled as
    expired or declined by the next match of its slot: the hold's end announces the
    freed booth.
    """

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")

    request = models.ForeignKey(WaitlistRequest, on_delete=models.CASCADE, related_name="offers")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="+")
    # Not a database constraint, and nothing done to the offer when the hold row goes:
    # ending a hold stays the one conditional DELETE it is everywhere (no extra row
    # locked before it, so no new lock order against ``hold_confirm``). Hold ids are
    # never reused, so an ended hold's id keeps naming it.
    hold = models.OneToOneField(
        SlotHold,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="waitlist_offer",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OFFERED
    )
    expires_at = models.DateTimeField(_("offered until"), null=True, blank=True)
    created_at = models.DateTimeField(_("offered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "interviews_waitlistoffer"
        ordering = ["created_at", "id"]
        verbose_name = _("earlier-time offer")
        verbose_name_plural = _("earlier-time offers")
        constraints = [
            models.UniqueConstraint(fields=["request", "slot"], name="waitlist_offer_once"),
        ]
        indexes = [models.Index(fields=["slot", "status"], name="waitlist_offer_slot_status")]

    def __str__(self) -> str:
        return f"{self.request_id} offered {self.slot_id} ({self.status})"
