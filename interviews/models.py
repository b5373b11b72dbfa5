from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from bookings.models import Appointment
from centres.models import Centre
from enrolment.models import Application


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
# States in which a renewal is over, and the audit's word for each (the renewal-benefit
# sweep in ``enrolment.services`` is told them at start-up).
RENEWAL_OVER: dict[str, str] = {S.REFUSED: "refused", S.EXPIRED: "expired", S.ENROLLED: "completed"}
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
