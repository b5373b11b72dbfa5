"""The applicant's own pages about where their enrolment stands: the dashboard (each
application, where it stands and what to do next, the held time, the earlier-time
request) and the plain-language history.

Everything is scoped to the signed-in user's own applicant record: another person's
application number is simply not found (404). They sit in ``interviews`` because they
read every app below it (applications, bookings, the interview); their URLs stay under
``/<lang>/my/`` beside linking an application (``nexus_portal/urls.py``).
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from bookings.models import Appointment, WaitlistRequest
from bookings.waitlist_views import TIMES_OF_DAY
from common.shortcuts import found_or_404
from enrolment.selectors import applicant_of, own_application
from interviews.standing import BOOK, application_history, application_standing, history_zone
from interviews.tracker import application_path


@require_GET
@login_required
def dashboard(request):
    applicant = applicant_of(request.user)
    if applicant is None:
        return render(request, "interviews/dashboard.html", {"applicant": None})
    now = timezone.now()
    appointments = Appointment.objects.select_related("slot__centre__counterpart").order_by(
        "created_at"
    )
    waiting = WaitlistRequest.objects.filter(status=WaitlistRequest.Status.ACTIVE)
    applications = (
        applicant.applications.select_related(
            "membership",
            "interview__cbsa_centre__counterpart",
            "interview__membership",
            "slot_hold__slot__centre",
            "slot_hold__waitlist_offer",
        )
        .prefetch_related(
            Prefetch("appointments", queryset=appointments),
            "interview__events",
            Prefetch(
                "waitlist_requests",
                queryset=waiting.prefetch_related("centres"),
                to_attr="waiting",
            ),
        )
        .order_by("-submitted_at")
    )
    cards = []
    for application in applications:
        hold = getattr(application, "slot_hold", None)
        hold = hold if hold and hold.expires_at > now else None
        standing = application_standing(application, now=now)
        waitlist = application.waiting[0] if application.waiting else None
        cards.append(
            {
                "application": application,
                "standing": standing,
                "path": application_path(application, now=now),
                "hold": hold,
                "offer": getattr(hold, "waitlist_offer", None) if hold else None,
                "waitlist": _waitlist_summary(waitlist) if waitlist else None,
                "may_wait": waitlist is None and _may_wait(application, standing, now),
            }
        )
    return render(request, "interviews/dashboard.html", {"applicant": applicant, "cards": cards})


def _may_wait(application, standing, now) -> bool:
    """Whether to offer "Ask for an earlier time": booking is open, or the appointment
    is booked and still ahead (the service checks the rest)."""
    if not application.may_book:
        return False
    appointment = standing.appointment
    if appointment is None:
        return standing.next_action == BOOK
    return appointment.status == Appointment.Status.BOOKED and appointment.slot.starts_at > now


def _waitlist_summary(waiting: WaitlistRequest) -> dict:
    return {
        "request": waiting,
        "centres": ", ".join(sorted(c.display_name for c in waiting.centres.all())),
        "times": ", ".join(
            str(label).lower() for value, label in TIMES_OF_DAY if getattr(waiting, value)
        ),
    }


@require_GET
@login_required
def history(request, number: str):
    application = found_or_404(own_application(request.user, number))
    return render(
        request,
        "interviews/history.html",
        {
            "application": application,
            "entries": application_history(application),
            "zone": history_zone(application),
        },
    )
