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
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "step"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="appointment_one_active_per_step",
            ),
        ]
        indexes = [models.Index(fields=["slot", "status"], name="appointment_slot_status")]

    def __str__(self) -> str:
        return f"{self.application} {self.get_step_display()} {self.slot}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Agency(models.TextChoices):
    CBSA = "cbsa", _("CBSA")
    CBP = "cbp", _("CBP")


class Interview(models.Model):
    """The two-agency interview of one application, from booking to membership.

    ``state`` changes only through ``interviews.services.workflow``, along the
    transitions declared in ``interviews.workflow.TRANSITIONS``.

    Named ``Enrolment`` until migration 0007 (not the ``enrolment`` app's applicants,
    applications and memberships). What users and clients see still says "enrolment":
    the verbose names, the officer pages and their URLs, the API's keys. So do the
    database's constraint and index names.
    """

    class State(models.TextChoices):
        AWAITING_INTERVIEW = "awaiting_interview", _("Awaiting interview")
        CBSA_PASSED = "cbsa_passed", _("CBSA part passed")
        SHARED_WITH_CBP = "shared_with_cbp", _("CBSA part shared with CBP")
        CBP_PASSED = "cbp_passed", _("CBP part passed")
        UNDER_REVIEW = "under_review", _("Referred for further review")
        NO_SHOW = "no_show", _("Interview missed")
        REFUSED = "refused", _("Refused")
        EXPIRED = "expired", _("Expired")
        ENROLLED = "enrolled", _("Enrolled")

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="interview"
    )
    state = models.CharField(
        _("state"), max_length=32, choices=State.choices, default=State.AWAITING_INTERVIEW
    )
    # Where the CBSA part passed: the split-site CBP part must be at its counterpart.
    cbsa_centre = models.ForeignKey(
        Centre, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # While under review: which agency referred, and the state a clearance resumes from.
    review_agency = models.CharField(max_length=8, choices=Agency, blank=True)
    resume_state = models.CharField(max_length=32, choices=State.choices, blank=True)
    shared_at = models.DateTimeField(_("shared with CBP at"), null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    membership = models.ForeignKey(
        "enrolment.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="under_review") | ~Q(review_agency=""),
                name="enrolment_review_names_its_agency",
            ),
            models.CheckConstraint(
                condition=~Q(state="shared_with_cbp") | Q(shared_at__isnull=False),
                name="enrolment_share_has_a_time",
            ),
        ]
        indexes = [models.Index(fields=["state"], name="enrolment_state")]

    def __str__(self) -> str:
        return f"{self.application} ({self.get_state_display()})"


S = Interview.State
_ALL = frozenset(Application.Path.values)
_AIRPORT = frozenset({Application.Path.AIRPORT})
_JOINT = frozenset({Application.Path.JOINT})
_SHARED_PATHS = frozenset({Application.Path.AIRPORT, Application.Path.SPLIT_SITE})


@dataclass(frozen=True)
class Transition:
    """One legal move of an enrolment.

    ``agency`` is who may make it (None: the applicant or the system); ``resume`` limits a
    review clearance to the state the referral came from; ``setting`` names a switch
    that must be on (Enrollment on Arrival).
    """

    action: str
    source: str
    target: str
    agency: str | None
    paths: frozenset[str]
    resume: str = ""
    setting: str = ""


# The workflow, declared once. Every service in interviews.services.workflow looks its
# move up here; docs/workflow.md is generated from it (manage.py workflow_diagram).
TRANSITIONS: tuple[Transition, ...] = (
    # CBSA interview: at the airport or Canadian split-site appointment, or the joint one.
    Transition("cbsa_pass", S.AWAITING_INTERVIEW, S.CBSA_PASSED, Agency.CBSA, _ALL),
    Transition("cbsa_pass", S.CBP_PASSED, S.ENROLLED, Agency.CBSA, _JOINT),
    Transition("cbsa_refuse", S.AWAITING_INTERVIEW, S.REFUSED, Agency.CBSA, _ALL),
    Transition("cbsa_refuse", S.CBP_PASSED, S.REFUSED, Agency.CBSA, _JOINT),
    Transition("cbsa_refer", S.AWAITING_INTERVIEW, S.UNDER_REVIEW, Agency.CBSA, _ALL),
    Transition("cbsa_refer", S.CBP_PASSED, S.UNDER_REVIEW, Agency.CBSA, _JOINT),
    # A missed appointment: the applicant may book again.
    Transition("no_show", S.AWAITING_INTERVIEW, S.NO_SHOW, Agency.CBSA, _ALL),
    Transition("no_show", S.AWAITING_INTERVIEW, S.NO_SHOW, Agency.CBP, _JOINT),
    # Nobody recorded it: the centre's day ended with the appointment still booked.
    Transition("no_show", S.AWAITING_INTERVIEW, S.NO_SHOW, None, _ALL),
    Transition("rebook", S.NO_SHOW, S.AWAITING_INTERVIEW, None, _ALL),
    # The explicit, recorded share of the CBSA information with CBP.
    Transition("share_with_cbp", S.CBSA_PASSED, S.SHARED_WITH_CBP, Agency.CBSA, _SHARED_PATHS),
    # CBP interview: walk-in at preclearance, at the split site's US counterpart, or joint.
    Transition("cbp_pass", S.SHARED_WITH_CBP, S.ENROLLED, Agency.CBP, _SHARED_PATHS),
    Transition("cbp_pass", S.AWAITING_INTERVIEW, S.CBP_PASSED, Agency.CBP, _JOINT),
    Transition("cbp_pass", S.CBSA_PASSED, S.ENROLLED, Agency.CBP, _JOINT),
    Transition("cbp_refuse", S.SHARED_WITH_CBP, S.REFUSED, Agency.CBP, _SHARED_PATHS),
    Transition("cbp_refuse", S.AWAITING_INTERVIEW, S.REFUSED, Agency.CBP, _JOINT),
    Transition("cbp_refuse", S.CBSA_PASSED, S.REFUSED, Agency.CBP, _JOINT),
    Transition("cbp_refer", S.SHARED_WITH_CBP, S.UNDER_REVIEW, Agency.CBP, _SHARED_PATHS),
    Transition("cbp_refer", S.AWAITING_INTERVIEW, S.UNDER_REVIEW, Agency.CBP, _JOINT),
    Transition("cbp_refer", S.CBSA_PASSED, S.UNDER_REVIEW, Agency.CBP, _JOINT),
    # Enrollment on Arrival (off by default): CBP at preclearance without waiting for the share.
    Transition(
        "cbp_pass", S.CBSA_PASSED, S.ENROLLED, Agency.CBP, _AIRPORT,
        setting="ENROLMENT_ON_ARRIVAL",
    ),
    Transition(
        "cbp_refuse", S.CBSA_PASSED, S.REFUSED, Agency.CBP, _AIRPORT,
        setting="ENROLMENT_ON_ARRIVAL",
    ),
    Transition(
        "cbp_refer", S.CBSA_PASSED, S.UNDER_REVIEW, Agency.CBP, _AIRPORT,
        setting="ENROLMENT_ON_ARRIVAL",
    ),
    # A review decision by the referring agency: cleared is that agency's pass.
    Transition(
        "review_clear", S.UNDER_REVIEW, S.CBSA_PASSED, Agency.CBSA, _ALL,
        resume=S.AWAITING_INTERVIEW,
    ),
    Transition(
        "review_clear", S.UNDER_REVIEW, S.ENROLLED, Agency.CBSA, _JOINT, resume=S.CBP_PASSED
    ),
    Transition(
        "review_clear", S.UNDER_REVIEW, S.ENROLLED, Agency.CBP, _SHARED_PATHS,
        resume=S.SHARED_WITH_CBP,
    ),
    Transition(
        "review_clear", S.UNDER_REVIEW, S.ENROLLED, Agency.CBP, _AIRPORT,
        resume=S.CBSA_PASSED, setting="ENROLMENT_ON_ARRIVAL",
    ),
    Transition(
        "review_clear", S.UNDER_REVIEW, S.CBP_PASSED, Agency.CBP, _JOINT,
        resume=S.AWAITING_INTERVIEW,
    ),
    Transition(
        "review_clear", S.UNDER_REVIEW, S.ENROLLED, Agency.CBP, _JOINT, resume=S.CBSA_PASSED
    ),
    Transition("review_refuse", S.UNDER_REVIEW, S.REFUSED, Agency.CBSA, _ALL),
    Transition("review_refuse", S.UNDER_REVIEW, S.REFUSED, Agency.CBP, _ALL),
    # Conditional approval runs out before the enrolment is complete (the periodic job).
    *(
        Transition("expire", source, S.EXPIRED, None, _ALL)
        for source in (
            S.AWAITING_INTERVIEW, S.NO_SHOW, S.CBSA_PASSED, S.SHARED_WITH_CBP, S.CBP_PASSED
        )
    ),
)  # fmt: skip

TERMINAL_STATES = frozenset({S.REFUSED, S.EXPIRED, S.ENROLLED})
# States in which the applicant may book (or rebook) the interview appointment.
BOOKABLE_STATES = frozenset({S.AWAITING_INTERVIEW, S.NO_SHOW})


def transition_for(
    *,
    action: str,
    state: str,
    path: str,
    agency: str | None,
    resume: str = "",
    enabled: frozenset[str] = frozenset(),
) -> Transition | None:
    """The declared transition for this move, or None if it is illegal."""
    for t in TRANSITIONS:
        if (
            (t.action, t.source, t.agency) == (action, state, agency)
            # A pathless enrolment (never booked) may still be moved by the system.
            and (path in t.paths or (not path and agency is None))
            and (not t.resume or t.resume == resume)
            and (not t.setting or t.setting in enabled)
        ):
            return t
    return None


class EnrolmentEvent(models.Model):
    """One history row per transition: from, to, who, for which agency, where, why, when."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from"), max_length=32, choices=Interview.State.choices)
    to_state = models.CharField(_("to"), max_length=32, choices=Interview.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agency = models.CharField(_("agency"), max_length=8, choices=Agency, blank=True)
    centre = models.ForeignKey(
        Centre, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("notes"), blank=True)
    # What the move carried, e.g. the fields shared with CBP: names of things, not values.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("enrolment event")
        verbose_name_plural = _("enrolment history")

    def __str__(self) -> str:
        return f"{self.interview_id}: {self.from_state} → {self.to_state} ({self.action})"


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
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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
        ordering = ["created_at", "id"]
        verbose_name = _("earlier-time offer")
        verbose_name_plural = _("earlier-time offers")
        constraints = [
            models.UniqueConstraint(fields=["request", "slot"], name="waitlist_offer_once"),
        ]
        indexes = [models.Index(fields=["slot", "status"], name="waitlist_offer_slot_status")]

    def __str__(self) -> str:
        return f"{self.request_id} offered {self.slot_id} ({self.status})"
