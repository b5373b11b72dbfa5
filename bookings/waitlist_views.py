"""The applicant's earlier-time waitlist pages: ask (a form), and stop looking (a POST).

Thin views, no JavaScript: the form validates the input, the service checks the rest
under the application's lock. What the applicant is waiting for shows on the dashboard.
Everything is scoped to the signed-in applicant: another person's application or
request is a 404.
"""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from bookings.errors import BookingError
from bookings.models import Appointment, WaitlistOffer, WaitlistRequest
from bookings.selectors import bookable_application, centres_for
from bookings.services.waitlist import (
    waitlist_check_may_wait,
    waitlist_request_cancel,
    waitlist_request_create,
    waitlist_request_first_match,
)
from bookings.wording import local_date, local_when
from centres.models import Centre
from common import inputs
from common.shortcuts import found_or_404, refusal_status

TIMES_OF_DAY = [
    ("mornings", gettext_lazy("Mornings (before noon)")),
    ("afternoons", gettext_lazy("Afternoons (noon to 5 p.m.)")),
    ("evenings", gettext_lazy("Evenings (from 5 p.m.)")),
]
# How far ahead the window ends by default for an applicant without an appointment.
DEFAULT_WINDOW_DAYS = 30


class _CentreChoice(inputs.IdsChoiceField):
    def label_from_instance(self, obj: Centre) -> str:
        return f"{obj.display_name} ({obj.display_city}, {obj.region})"


class WaitlistForm(forms.Form):
    centres = _CentreChoice(
        queryset=Centre.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Centres where you could go"),
        error_messages={"required": gettext_lazy("Choose at least one centre.")},
    )
    earliest = inputs.DateField(
        label=gettext_lazy("From"),
        widget=inputs.IsoDateInput(),
        help_text=gettext_lazy("The first day you could come, in the centre's local time."),
    )
    latest = inputs.DateField(
        label=gettext_lazy("Until"),
        widget=inputs.IsoDateInput(),
        help_text=gettext_lazy("The last day you could come."),
    )
    times = forms.MultipleChoiceField(
        choices=TIMES_OF_DAY,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Times of day"),
        error_messages={"required": gettext_lazy("Choose at least one time of day.")},
    )
    auto_rebook = forms.BooleanField(required=False)

    def __init__(self, *args, centres: list[Centre], appointment_day: date | None, **kwargs):
        super().__init__(*args, **kwargs)
        choice = self.fields["centres"]
        assert isinstance(choice, _CentreChoice)  # declared above
        choice.queryset = Centre.objects.filter(pk__in=[c.pk for c in centres]).order_by("name")
        self.appointment_day = appointment_day
        minutes = settings.WAITLIST_OFFER_MINUTES
        auto = self.fields["auto_rebook"]
        if appointment_day:
            auto.label = _("Move my appointment automatically")
            auto.help_text = ngettext(
                "If you tick this, we move your appointment to the first earlier time that "
                "fits, without asking you first, and your current time is given to someone "
                "else at once: you cannot get it back. If you leave it unticked, we hold the "
                "time for you for %(minutes)d minute and e-mail you a link to accept it.",
                "If you tick this, we move your appointment to the first earlier time that "
                "fits, without asking you first, and your current time is given to someone "
                "else at once: you cannot get it back. If you leave it unticked, we hold the "
                "time for you for %(minutes)d minutes and e-mail you a link to accept it.",
                minutes,
            ) % {"minutes": minutes}
        else:
            auto.label = _("Book it for me automatically")
            auto.help_text = ngettext(
                "If you tick this, we book the first time that fits without asking you first. "
                "If you leave it unticked, we hold the time for you for %(minutes)d minute "
                "and e-mail you a link to accept it.",
                "If you tick this, we book the first time that fits without asking you first. "
                "If you leave it unticked, we hold the time for you for %(minutes)d minutes "
                "and e-mail you a link to accept it.",
                minutes,
            ) % {"minutes": minutes}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        earliest, latest = data.get("earliest"), data.get("latest")
        if earliest and latest:
            if earliest > latest:
                self.add_error("latest", _("The last day must not be before the first."))
            elif latest < timezone.localdate() - timedelta(days=1):
                self.add_error("latest", _("This day has passed."))
            elif self.appointment_day and earliest > self.appointment_day:
                self.add_error(
                    "earliest",
                    _("Your appointment is on %(day)s: choose a first day up to it.")
                    % {"day": local_date(self.appointment_day)},
                )
        return data


@require_http_methods(["GET", "POST"])
@login_required
def waitlist_new(request, number: str):
    """GET: the form; POST: put the application on the waitlist, then the dashboard."""
    application = found_or_404(bookable_application(request.user, number))
    now = timezone.now()
    if WaitlistRequest.objects.filter(
        application=application, status=WaitlistRequest.Status.ACTIVE
    ).exists():
        messages.info(
            request,
            _("You are already waiting for an earlier time. Stop looking first to change it."),
        )
        return redirect("enrolment:dashboard")
    try:
        appointment = waitlist_check_may_wait(application=application, now=now)
    except BookingError as refusal:
        messages.error(request, refusal.message)
        return redirect("enrolment:dashboard")
    appointment_day = appointment.slot.local_start().date() if appointment else None
    centres = centres_for(application)
    today = timezone.localdate(now)
    form = WaitlistForm(
        request.POST if request.method == "POST" else None,
        centres=centres,
        appointment_day=appointment_day,
        initial={
            "centres": [appointment.slot.centre_id] if appointment else [],
            "earliest": today,
            "latest": appointment_day or today + timedelta(days=DEFAULT_WINDOW_DAYS),
            "times": [value for value, _label in TIMES_OF_DAY],
        },
    )
    status = 200
    if form.is_valid():
        times = set(form.cleaned_data["times"])
        try:
            waiting = waitlist_request_create(
                application=application,
                actor=request.user,
                centres=list(form.cleaned_data["centres"]),
                earliest=form.cleaned_data["earliest"],
                latest=form.cleaned_data["latest"],
                mornings="mornings" in times,
                afternoons="afternoons" in times,
                evenings="evenings" in times,
                auto_rebook=form.cleaned_data["auto_rebook"],
                now=now,
            )
        except BookingError as refusal:
            status = refusal_status(refusal)
            form.add_error(None, refusal.message)
        else:
            return _after_request(request, waiting, application, now)
    elif form.is_bound:
        status = 400
    return render(
        request,
        "bookings/waitlist_request.html",
        {
            "application": application,
            "form": form,
            "appointment": appointment,
            "appointment_when": (
                local_when(appointment.slot.starts_at, appointment.slot.centre)
                if appointment
                else ""
            ),
            "no_centres": not centres,
        },
        status=status,
    )


def _after_request(request, waiting: WaitlistRequest, application, now) -> HttpResponse:
    """Say the one thing that came of the new request: a time found and held (the hold
    page, to accept it or let it go), a time found and booked (the appointment), or
    nothing yet (the dashboard: we will write)."""
    offer = waitlist_request_first_match(request=waiting, now=now)
    if offer is not None and offer.status == WaitlistOffer.Status.OFFERED:
        return redirect("booking:hold", number=application.number)
    if offer is not None:
        appointment = (
            Appointment.objects.filter(
                application=application, slot=offer.slot, status__in=Appointment.ACTIVE
            )
            .select_related("slot__centre")
            .first()
        )
        if appointment is not None:
            messages.success(
                request,
                _(
                    "We found an earlier time and booked it for you: %(when)s at %(centre)s. "
                    "We sent the details to your e-mail."
                )
                % {
                    "when": local_when(appointment.slot.starts_at, appointment.slot.centre),
                    "centre": appointment.slot.centre.name,
                },
            )
            return redirect("booking:appointment", pk=appointment.pk)
    messages.success(
        request,
        _("You are on the waiting list. We will e-mail you when an earlier time frees up.")
        if waiting.appointment_id
        else _("You are on the waiting list. We will e-mail you when a time frees up."),
    )
    return redirect("enrolment:dashboard")


@require_POST
@login_required
def waitlist_stop(request, pk: int):
    """Stop looking for an earlier time (a time held by an offer is let go too)."""
    waiting = (
        WaitlistRequest.objects.select_related("application")
        .filter(pk=pk, application__applicant__user=request.user)
        .first()
    )
    if waiting is None:
        raise Http404
    try:
        waitlist_request_cancel(waitlist_request=waiting, actor=request.user)
    except BookingError as refusal:
        refusal_status(refusal)  # a 404, or the message below
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("We have stopped looking for an earlier time for you."))
    return redirect("enrolment:dashboard")
