"""Officer consoles: the CBSA day list and interview, the CBP look-up, the timeline.

Thin views: validate input, fetch through a scoped selector, call one service, render.
A domain error re-shows the page with its message and the officer's input kept; an
object outside the officer's scope is a 404.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from bookings.models import PATH_BOOKING, Appointment, CbpSite
from bookings.selectors import appointments_visible_to
from centres.selectors import centres_of_staff, staff_profile_of
from common.permissions import staff_verified_required
from common.shortcuts import found_or_404, refusal_status
from interviews.errors import InterviewError
from interviews.forms import DayForm, FindTravellerForm, OutcomeForm, ReviewForm
from interviews.models import Agency, Interview
from interviews.selectors import (
    appointments_for_centre_day,
    busiest_centre_today,
    enrolment_get_visible,
    enrolment_timeline,
    travellers_find,
)
from interviews.services import (
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    interview_record_outcome,
    review_decide,
)
from interviews.services.workflow import (
    SHARED_FIELDS,
    check_in_refusal,
    may_record_no_show,
    open_actions,
)


def _enrolment_or_404(request, pk: int) -> Interview:
    return found_or_404(enrolment_get_visible(user=request.user, pk=pk))


def _refused(request, error: InterviewError) -> None:
    refusal_status(error)  # a 404, or the message below
    messages.error(request, error.message)


@dataclass(frozen=True)
class DayRow:
    appointment: Appointment
    can_check_in: bool
    can_mark_missed: bool


@staff_verified_required
def day_list(request):
    centres = centres_of_staff(request.user).filter(takes_appointments=True)
    form = DayForm(request.GET or None, centres=centres)
    centre = day = None
    if form.is_bound and form.is_valid():
        centre, day = form.cleaned_data["centre"], form.cleaned_data["day"]
    else:
        centre = busiest_centre_today(centres=list(centres), now=timezone.now())
        day = timezone.localdate(timezone=centre.tz) if centre else timezone.localdate()
        if not form.is_bound:
            form = DayForm(initial={"centre": centre, "day": day}, centres=centres)
    appointments = list(appointments_for_centre_day(centre=centre, day=day)) if centre else []
    # Offer only what can be done now: check-in on the day, "missed" once the time came.
    profile = staff_profile_of(request.user)
    agency = profile.agency if profile else None
    now = timezone.now()
    rows = [
        DayRow(
            appointment=appointment,
            can_check_in=agency is not None
            and check_in_refusal(appointment, agency=agency, now=now) is None,
            can_mark_missed=agency is not None and may_record_no_show(appointment, now=now),
        )
        for appointment in appointments
    ]
    context = {"form": form, "centre": centre, "day": day, "rows": rows}
    if centre is not None and day is not None:
        url = reverse("interviews:day_list")
        context["previous_url"] = f"{url}?centre={centre.pk}&day={day - timedelta(days=1)}"
        context["next_url"] = f"{url}?centre={centre.pk}&day={day + timedelta(days=1)}"
    return render(request, "interviews/day_list.html", context)


def _appointment_action(request, pk: int, service, done: str):
    appointment = found_or_404(appointments_visible_to(request.user).filter(pk=pk).first())
    try:
        service(appointment=appointment, officer=request.user)
        messages.success(request, done)
    except InterviewError as error:
        _refused(request, error)
    return redirect(_day_url(appointment))


@require_POST
@staff_verified_required
def appointment_check_in_view(request, pk: int):
    return _appointment_action(request, pk, appointment_check_in, _("Checked in."))


@require_POST
@staff_verified_required
def appointment_no_show_view(request, pk: int):
    return _appointment_action(
        request, pk, appointment_record_no_show,
        _("Recorded as missed. The applicant may book again."),
    )  # fmt: skip


def _day_url(appointment) -> str:
    day = appointment.slot.local_start().date().isoformat()
    return f"{reverse('interviews:day_list')}?centre={appointment.slot.centre_id}&day={day}"


def _shared_view(enrolment: Interview) -> dict | None:
    """What the CBSA side shared with CBP, as CBP sees it."""
    if enrolment.shared_at is None:
        return None
    cbsa = (
        enrolment.events.filter(agency=Agency.CBSA, action__in=["cbsa_pass", "review_clear"])
        .select_related("centre", "appointment__slot")
        .last()
    )
    applicant = enrolment.application.applicant
    membership = applicant.memberships.first()
    return {
        "fields": SHARED_FIELDS,
        "at": enrolment.shared_at,
        "by": enrolment.shared_by,
        "application_number": enrolment.application.number,
        "name": applicant.full_name,
        "date_of_birth": applicant.date_of_birth,
        "membership_number": membership.number if membership else "",
        "cbsa_centre": enrolment.cbsa_centre,
        "cbsa_interview": cbsa.created_at if cbsa else None,
        "cbsa_notes": cbsa.reason if cbsa else "",
    }


def _outcome_options(request, enrolment: Interview) -> dict:
    """What the acting officer may record on this enrolment now: the outcomes the workflow
    allows their agency, whether a CBP part off appointment needs its place, and whether
    the applicant must first be checked in at their appointment."""
    profile = staff_profile_of(request.user)
    agency = profile.agency if profile else None
    open_now = open_actions(enrolment, agency) if agency else frozenset()
    path = enrolment.application.path
    off_appointment = (
        agency == Agency.CBP and path in PATH_BOOKING
        and PATH_BOOKING[path].cbp_site != CbpSite.APPOINTMENT
    )  # fmt: skip
    outcomes = [o for o in ("pass", "refuse", "refer") if f"{agency}_{o}" in open_now]
    checked_in = enrolment.application.appointments.filter(
        status=Appointment.Status.CHECKED_IN
    ).exists()
    return {
        "agency": agency,
        "open_now": open_now,
        "outcomes": outcomes,
        "ask_centre": off_appointment,
        "check_in_first": bool(outcomes) and not off_appointment and not checked_in,
    }


def _outcome_form(request, options: dict, data=None) -> OutcomeForm:
    return OutcomeForm(
        data,
        centres=centres_of_staff(request.user),
        outcomes=options["outcomes"],
        centre_required=options["ask_centre"],
    )


def _render_enrolment(request, enrolment, *, outcome_form=None, review_form=None, status=200):
    options = _outcome_options(request, enrolment)
    agency = options["agency"]
    context = {
        "enrolment": enrolment,
        "application": enrolment.application,
        "agency": agency,
        "appointments": enrolment.application.appointments.select_related("slot__centre"),
        "shared": _shared_view(enrolment),
        "outcome_form": outcome_form or _outcome_form(request, options),
        "outcomes": options["outcomes"],
        "check_in_first": options["check_in_first"],
        "review_form": review_form or ReviewForm(),
        "ask_centre": options["ask_centre"],
        "can_review": enrolment.state == Interview.State.UNDER_REVIEW
        and enrolment.review_agency == agency
        and bool({"review_clear", "review_refuse"} & options["open_now"]),
        "can_share": "share_with_cbp" in options["open_now"],
        "memberships": enrolment.application.applicant.memberships.all(),
    }
    return render(request, "interviews/enrolment_detail.html", context, status=status)


@staff_verified_required
def enrolment_detail(request, pk: int):
    return _render_enrolment(request, _enrolment_or_404(request, pk))


@require_POST
@staff_verified_required
def enrolment_outcome(request, pk: int):
    enrolment = _enrolment_or_404(request, pk)
    form = _outcome_form(request, _outcome_options(request, enrolment), request.POST)
    if not form.is_valid():
        return _render_enrolment(request, enrolment, outcome_form=form, status=400)
    try:
        interview_record_outcome(
            application=enrolment.application,
            officer=request.user,
            outcome=form.cleaned_data["outcome"],
            centre=form.cleaned_data["centre"],
            notes=form.cleaned_data["notes"],
        )
    except InterviewError as error:
        _refused(request, error)
        enrolment.refresh_from_db()
        return _render_enrolment(request, enrolment, outcome_form=form, status=409)
    messages.success(request, _("Outcome recorded."))
    return redirect("interviews:enrolment", pk=enrolment.pk)


@require_POST
@staff_verified_required
def enrolment_share(request, pk: int):
    enrolment = _enrolment_or_404(request, pk)
    try:
        cbsa_share_with_cbp(application=enrolment.application, officer=request.user)
        messages.success(request, _("The CBSA interview information is now shared with CBP."))
    except InterviewError as error:
        _refused(request, error)
    return redirect("interviews:enrolment", pk=enrolment.pk)


@require_POST
@staff_verified_required
def enrolment_review(request, pk: int):
    enrolment = _enrolment_or_404(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_enrolment(request, enrolment, review_form=form, status=400)
    try:
        review_decide(
            application=enrolment.application,
            officer=request.user,
            clear=form.cleaned_data["decision"] == "clear",
            notes=form.cleaned_data["notes"],
        )
    except InterviewError as error:
        _refused(request, error)
        enrolment.refresh_from_db()
        return _render_enrolment(request, enrolment, review_form=form, status=409)
    messages.success(request, _("Review decision recorded."))
    return redirect("interviews:enrolment", pk=enrolment.pk)


@staff_verified_required
def enrolment_timeline_view(request, pk: int):
    enrolment = _enrolment_or_404(request, pk)
    return render(
        request,
        "interviews/timeline.html",
        {"enrolment": enrolment, "events": enrolment_timeline(enrolment=enrolment)},
    )


@staff_verified_required
def find_traveller(request):
    form = FindTravellerForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        results = travellers_find(
            user=request.user,
            number=form.cleaned_data["number"],
            last_name=form.cleaned_data["last_name"],
            date_of_birth=form.cleaned_data["date_of_birth"],
        ).select_related("application__applicant__user", "cbsa_centre")
        results = results.prefetch_related("application__applicant__memberships")
    return render(request, "interviews/find.html", {"form": form, "results": results})
