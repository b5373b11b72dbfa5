"""The applicant's booking pages: choose a centre, a day and a time (held while they
confirm), confirm, see, move or cancel the appointment, and take it into a calendar.

Thin views, no JavaScript needed: every step is a plain GET or POST. A refusal (a time
just taken, a hold run out) sends the applicant back to the same centre and day with
the message and their choice kept. Everything is scoped to the signed-in applicant:
another person's application or appointment is a 404.
"""

import calendar as pycalendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from bookings.errors import BookingError
from bookings.models import (
    PATH_BOOKING,
    Appointment,
    SlotHold,
    WaitlistOffer,
    WaitlistRequest,
    path_for_centre,
)
from bookings.notifications import appointment_calendar
from bookings.selectors import (
    bookable_application,
    bookable_slots,
    centre_for,
    own_appointment,
    paths_open_to,
)
from bookings.services import (
    appointment_cancel,
    hold_confirm,
    hold_release,
    slot_hold,
)
from bookings.waitlist_views import TIMES_OF_DAY
from bookings.wording import local_when, step_name
from centres.maps import directions_url
from centres.models import Centre, Slot
from centres.selectors import (
    centres_with_soonest_slot,
    days_with_open_slots,
    open_days_between,
    slots_open_on_day,
)
from common.inputs import InputError, read_date, read_id
from common.shortcuts import found_or_404, refusal_status
from enrolment.models import Application


@dataclass(frozen=True)
class CalendarDay:
    day: date
    open_times: int  # 0: no open time (or outside the bookable range)
    url: str  # "" when not a link
    chosen: bool


@dataclass(frozen=True)
class MonthCalendar:
    """One month of a centre's days, weeks as rows, for choosing a day."""

    month: date  # its first day
    weekdays: list[tuple[str, str]]  # (short, full) names, in the columns' order
    weeks: list[list[CalendarDay | None]]  # None: a day of another month
    day: date | None  # the chosen day
    any_open: bool  # whether the centre has any open time at all
    previous_url: str
    previous_month: date | None
    next_url: str
    next_month: date | None

    @property
    def open_days(self) -> int:
        return sum(1 for week in self.weeks for cell in week if cell and cell.url)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _month_calendar(request, application, centre, move, day, open_slots, now) -> MonthCalendar:
    """The month to show (``?month=YYYY-MM``, else the chosen day's, else the first open
    day's, which is then chosen), from this month to the booking horizon, with the days
    that have open times as links: one query for the month's days."""
    today = timezone.localdate(timezone=centre.tz)
    last = today + timedelta(days=settings.SLOT_HORIZON_DAYS)
    first_month, last_month = today.replace(day=1), last.replace(day=1)
    if day is not None and not today <= day <= last:
        day = None
    month = _parse_month(request.GET.get("month"))
    if month is not None:
        month = min(max(month, first_month), last_month)
        if day is not None and day.replace(day=1) != month:
            day = None
    soonest = days_with_open_slots(centre=centre, after=now, limit=1, slots=open_slots)
    if month is None:
        if day is None and soonest and soonest[0][0] <= last:
            day = soonest[0][0]
        month = day.replace(day=1) if day else first_month
    following = _add_months(month, 1)
    open_days = open_days_between(
        centre=centre,
        first=max(month, today),
        last=min(following - timedelta(days=1), last),
        after=now,
        slots=open_slots,
    )
    base = reverse("booking:time", kwargs={"number": application.number, "centre_pk": centre.pk})
    moving = move.pk if move else None
    # Django's FIRST_DAY_OF_WEEK counts from Sunday (0); Python's calendar from Monday.
    first_weekday = (int(formats.get_format("FIRST_DAY_OF_WEEK")) - 1) % 7
    grid = pycalendar.Calendar(first_weekday).monthdatescalendar(month.year, month.month)
    weeks = [
        [
            CalendarDay(
                d,
                open_days.get(d, 0),
                _with_query(base, day=d, move=moving) if d in open_days else "",
                d == day,
            )
            if d.month == month.month
            else None
            for d in week
        ]
        for week in grid
    ]
    previous = _add_months(month, -1) if month > first_month else None
    upcoming = following if following <= last_month else None
    return MonthCalendar(
        month=month,
        weekdays=[(formats.date_format(d, "D"), formats.date_format(d, "l")) for d in grid[0]],
        weeks=weeks,
        day=day,
        any_open=bool(soonest),
        previous_url=_with_query(base, month=f"{previous:%Y-%m}", move=moving) if previous else "",
        previous_month=previous,
        next_url=_with_query(base, month=f"{upcoming:%Y-%m}", move=moving) if upcoming else "",
        next_month=upcoming,
    )


def _by_time_of_day(times: list[Slot], centre: Centre) -> list[tuple[str, str, list[Slot]]]:
    """The day's times in mornings, afternoons and evenings (local time), each with its
    name; only those that have times."""
    groups: dict[str, list[Slot]] = {}
    for slot in times:
        local = timezone.localtime(slot.starts_at, centre.tz).time()
        groups.setdefault(WaitlistRequest.time_of_day(local), []).append(slot)
    return [(key, str(label), groups[key]) for key, label in TIMES_OF_DAY if key in groups]


def _move_of(request, application: Application) -> Appointment | None:
    """The appointment being moved (``?move=<pk>``), which must be the applicant's own
    and still booked; otherwise this is a new booking."""
    pk = request.POST.get("move") or request.GET.get("move")
    if not pk:
        return None
    appointment = (
        Appointment.objects.select_related("slot__centre")
        .filter(pk=_id_or_zero(pk), application=application)
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


def _id_or_zero(value: str) -> int:
    """An id from the query or form, or 0 (no object has it) for anything else."""
    try:
        return read_id(value)
    except InputError:
        return 0


def _with_query(url: str, **params) -> str:
    params = {key: value for key, value in params.items() if value not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


@require_GET
@login_required
def choose_centre(request, number: str):
    application = found_or_404(bookable_application(request.user, number))
    move = _move_of(request, application)
    paths = paths_open_to(application)
    kinds = [
        kind for kind in Centre.Kind.values if kind in {PATH_BOOKING[p].centre_kind for p in paths}
    ]
    fitting = [c for c in centres_with_soonest_slot(kinds=kinds) if path_for_centre(c) in paths]
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    region = request.GET.get("region", "").upper()[:2]
    regions = sorted({c.region for c in fitting})
    region = region if region in regions else ""
    centres = [
        c for c in fitting if (not kind or c.kind == kind) and (not region or c.region == region)
    ]
    return render(
        request,
        "bookings/choose_centre.html",
        {
            "application": application,
            "move": move,
            "centres": centres,
            "kinds": [(value, label) for value, label in Centre.Kind.choices if value in kinds],
            "kind": kind,
            "regions": regions,
            "region": region,
        },
    )


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _parse_month(value: str | None) -> date | None:
    """The first day of a month from the query (``YYYY-MM``); anything else is none."""
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    return _parse_day(f"{match[1]}-{match[2]}-01")


def _parse_day(value: str | None) -> date | None:
    """A day from the query (links of these pages); anything else is no day chosen."""
    try:
        return read_date(value) if value else None
    except InputError:
        return None


@require_http_methods(["GET", "POST"])
@login_required
def choose_time(request, number: str, centre_pk: int):
    """GET: a month of the centre's days, those with open times as links, and the times of
    the chosen day. POST: hold the chosen time, then go to the confirmation step."""
    application = found_or_404(bookable_application(request.user, number))
    move = _move_of(request, application)
    centre = found_or_404(centre_for(application, centre_pk))
    now = timezone.now()
    # Times walked away from (a hold expired) are offered again at once: counted as free.
    open_slots = bookable_slots(now)
    source = request.POST if request.method == "POST" else request.GET
    day = _parse_day(source.get("day"))
    error = ""
    status = 200
    chosen = source.get("slot", "")
    if request.method == "POST":
        slot = Slot.objects.filter(pk=_id_or_zero(chosen), centre=centre).first()
        if slot is None:
            error, status = _("Choose a time."), 400
        else:
            try:
                slot_hold(
                    application=application,
                    slot=slot,
                    actor=request.user,
                    appointment=move,
                    now=now,
                )
            except BookingError as refusal:
                error, status = refusal.message, refusal_status(refusal)
            else:
                return redirect("booking:hold", number=application.number)
    calendar = _month_calendar(request, application, centre, move, day, open_slots, now)
    day = calendar.day
    times = (
        list(slots_open_on_day(centre=centre, day=day, after=now, slots=open_slots)) if day else []
    )
    return render(
        request,
        "bookings/choose_time.html",
        {
            "application": application,
            "move": move,
            "move_when": local_when(move.slot.starts_at, move.slot.centre) if move else "",
            "centre": centre,
            "calendar": calendar,
            "day": day,
            "times": times,
            "time_groups": _by_time_of_day(times, centre),
            "chosen": chosen,
            "error": error,
            "hold_minutes": settings.SLOT_HOLD_MINUTES,
        },
        status=status,
    )


def _hold_of(application: Application) -> SlotHold | None:
    """The application's hold, live or expired (an expired one is swept soon)."""
    return (
        SlotHold.objects.select_related("slot__centre", "appointment__slot__centre")
        .filter(application=application)
        .first()
    )


def _back_to_choice(hold: SlotHold, application: Application) -> str:
    """The time page the hold came from: same centre, same local day, same time ticked."""
    slot = hold.slot
    day = timezone.localtime(slot.starts_at, slot.centre.tz).date()
    url = reverse(
        "booking:time", kwargs={"number": application.number, "centre_pk": slot.centre_id}
    )
    return _with_query(
        url, day=day, slot=slot.pk, move=hold.appointment_id if hold.appointment_id else None
    )


@require_http_methods(["GET", "POST"])
@login_required
def hold(request, number: str):
    """The held time, to confirm or let go, and until when it is held. An expired hold or
    a refused booking goes back to the choice of times, with the message and the earlier
    choice kept. A time the earlier-time waitlist found (an offer) is accepted or let go
    instead; let go or run out, the applicant is back on the dashboard, still waiting."""
    application = found_or_404(bookable_application(request.user, number))
    now = timezone.now()
    held = _hold_of(application)
    if held is None:
        messages.info(request, _("You are not holding a time. Choose one below."))
        return redirect("booking:centres", number=application.number)
    offer = _offer_of(held)
    if request.method == "POST":
        back = _back_to_choice(held, application)
        if request.POST.get("action") == "release":
            hold_release(hold=held, actor=request.user)
            if offer is not None:
                # Let go, the offer is declined; the request keeps looking (and is never
                # offered this time again).
                messages.info(
                    request,
                    _(
                        "You let the time go. We are still looking and will e-mail you "
                        "when another time frees up."
                    ),
                )
                return redirect("enrolment:dashboard")
            messages.info(request, _("The time was released. Choose another."))
            return redirect(back)
        try:
            appointment = hold_confirm(hold=held, actor=request.user, now=now)
        except BookingError as refusal:
            if refusal.code == "hold_expired":
                minutes = settings.SLOT_HOLD_MINUTES
                messages.error(
                    request,
                    ngettext(
                        "You held this time for more than %(minutes)s minute, so it was "
                        "released. If it is still open it is selected below: confirm it again.",
                        "You held this time for more than %(minutes)s minutes, so it was "
                        "released. If it is still open it is selected below: confirm it again.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
            else:
                messages.error(request, refusal.message)
            return redirect(back)
        messages.success(
            request,
            _("Your appointment is moved. We sent the new details to your e-mail.")
            if held.appointment_id
            else _("Your appointment is booked. We sent the details to your e-mail."),
        )
        return redirect("booking:appointment", pk=appointment.pk)
    if held.expires_at <= now and offer is not None:
        messages.error(
            request,
            _(
                "The time we held for you was not accepted in time, so it went to the next "
                "person in line. We are still looking for a time for you."
            ),
        )
        return redirect("enrolment:dashboard")
    if held.expires_at <= now:
        messages.error(
            request,
            _("Your hold on this time has ended. If it is still open it is selected below."),
        )
        return redirect(_back_to_choice(held, application))
    return render(
        request,
        "bookings/hold.html",
        {
            "application": application,
            "hold": held,
            "centre": held.slot.centre,
            "step": step_name(held.appointment.step if held.appointment else _step_of(held)),
            "when": local_when(held.slot.starts_at, held.slot.centre),
            "offer": offer,
            "old_when": (
                local_when(held.appointment.slot.starts_at, held.appointment.slot.centre)
                if held.appointment
                else ""
            ),
            **_time_left(held.expires_at, now, held.slot.centre),
        },
    )


def _time_left(expires_at: datetime, now: datetime, centre: Centre) -> dict:
    """When the hold ends, in the centre's zone, and about how many whole minutes are left
    (rounded to the nearest; "less than a minute" under half a minute's worth)."""
    seconds = (expires_at - now).total_seconds()
    return {
        "until": formats.time_format(timezone.localtime(expires_at, centre.tz), "TIME_FORMAT"),
        "minutes_left": max(0, round(seconds / 60)),
    }


def _offer_of(held: SlotHold) -> WaitlistOffer | None:
    """The earlier-time offer this hold was made for, if it is still open."""
    return WaitlistOffer.objects.filter(hold=held, status=WaitlistOffer.Status.OFFERED).first()


def _step_of(held: SlotHold) -> str:
    path = path_for_centre(held.slot.centre)
    assert path is not None  # held at a centre of a path (``slot_hold`` checked it)
    return PATH_BOOKING[path].step


def _appointment_page(request, pk: int, template: str):
    appointment = found_or_404(own_appointment(request.user, pk))
    centre = appointment.slot.centre
    return render(
        request,
        template,
        {
            "appointment": appointment,
            "application": appointment.application,
            "centre": centre,
            "step": step_name(appointment.step),
            "when": local_when(appointment.slot.starts_at, centre),
            "directions_url": directions_url(centre),
            "changeable": appointment.status == Appointment.Status.BOOKED
            and appointment.slot.starts_at > timezone.now(),
        },
    )


@require_GET
@login_required
def appointment_detail(request, pk: int):
    return _appointment_page(request, pk, "bookings/appointment.html")


@require_GET
@login_required
def appointment_print(request, pk: int):
    """The appointment on one printable sheet: no navigation, no forms; a link back."""
    return _appointment_page(request, pk, "bookings/appointment_print.html")


@require_http_methods(["GET", "POST"])
@login_required
def appointment_cancel_view(request, pk: int):
    """GET asks "are you sure?"; POST cancels."""
    appointment = found_or_404(own_appointment(request.user, pk))
    if request.method == "POST":
        try:
            appointment_cancel(appointment=appointment, actor=request.user)
        except BookingError as refusal:
            refusal_status(refusal)  # a 404, or the message below
            messages.error(request, refusal.message)
            return redirect("booking:appointment", pk=appointment.pk)
        messages.success(
            request, _("Your appointment is cancelled. We sent a confirmation to your e-mail.")
        )
        return redirect("enrolment:dashboard")
    centre = appointment.slot.centre
    return render(
        request,
        "bookings/cancel.html",
        {
            "appointment": appointment,
            "centre": centre,
            "step": step_name(appointment.step),
            "when": local_when(appointment.slot.starts_at, centre),
        },
    )


@require_GET
@login_required
def appointment_ics(request, pk: int):
    appointment = found_or_404(own_appointment(request.user, pk))
    response = HttpResponse(
        appointment_calendar(appointment, language=request.LANGUAGE_CODE),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="nexus-interview.ics"'
    return response
