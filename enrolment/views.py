"""The applicant's dashboard, the application link and the plain-language history.

Everything is scoped to the signed-in user's own applicant record: another person's
application number is simply not found (404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from common.errors import ApplicationError
from common.shortcuts import found_or_404
from enrolment.forms import LinkApplicationForm
from enrolment.selectors import applicant_of, own_application
from enrolment.services import application_link
from interviews.models import Appointment, WaitlistRequest
from interviews.standing import BOOK, application_history, application_standing
from interviews.waitlist_views import TIMES_OF_DAY


@require_GET
@login_required
def dashboard(request):
    applicant = applicant_of(request.user)
    if applicant is None:
        return render(request, "enrolment/dashboard.html", {"applicant": None})
    now = timezone.now()
    appointments = Appointment.objects.select_related("slot__centre").order_by("created_at")
    waiting = WaitlistRequest.objects.filter(status=WaitlistRequest.Status.ACTIVE)
    applications = (
        applicant.applications.select_related(
            "membership",
            "interview__cbsa_centre__counterpart",
            "slot_hold__slot__centre",
            "slot_hold__waitlist_offer",
        )
        .prefetch_related(
            Prefetch("appointments", queryset=appointments),
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
                "hold": hold,
                "offer": getattr(hold, "waitlist_offer", None) if hold else None,
                "waitlist": _waitlist_summary(waitlist) if waitlist else None,
                "may_wait": waitlist is None and _may_wait(application, standing, now),
            }
        )
    return render(request, "enrolment/dashboard.html", {"applicant": applicant, "cards": cards})


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
        "centres": ", ".join(sorted(c.name for c in waiting.centres.all())),
        "times": ", ".join(
            str(label).lower() for value, label in TIMES_OF_DAY if getattr(waiting, value)
        ),
    }


@require_http_methods(["GET", "POST"])
@login_required
def link_application(request):
    form = LinkApplicationForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            application = application_link(
                user=request.user,
                number=form.cleaned_data["number"],
                date_of_birth=form.cleaned_data["date_of_birth"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
            kinds = {"conflict": 409, "forbidden": 403}
            status = 429 if error.code == "locked" else kinds.get(error.kind, 400)
        else:
            messages.success(
                request,
                _("Application %(number)s is now linked to your account.")
                % {"number": application.number},
            )
            return redirect("enrolment:dashboard")
    elif form.is_bound:
        status = 400
    return render(request, "enrolment/link.html", {"form": form}, status=status)


@require_GET
@login_required
def history(request, number: str):
    application = found_or_404(own_application(request.user, number))
    return render(
        request,
        "enrolment/history.html",
        {"application": application, "entries": application_history(application)},
    )
