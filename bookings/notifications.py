"""What the applicant is told about their appointment: it is booked, moved or cancelled;
it is coming up (reminders). (What they are told of their interview's outcome is in
``interviews/notifications.py``.)

Each message is recorded in the outbox with the change (``common/outbox.py``) and sent
by a worker after the commit, once per event, in the applicant's preferred language, as
text and HTML, with an ``.ics`` calendar entry. The
entry keeps one UID for an appointment and every time it is moved (``SEQUENCE`` counts
the moves), so calendar apps update the one event instead of adding another; its times
carry the centre's IANA zone with a VTIMEZONE block, so every calendar shows the right
hour wherever the reader is.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from bookings.models import Appointment
from common.mail import Attachment
from common.outbox import outbox_handler, outbox_put
from enrolment.notifications import applicant_mail_send

APPOINTMENT_MAIL = "mail.appointment"
BOOKED = "booked"
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"
# Cancelled because the centre closed at its time (the applicant is first in line there).
CLOSED = "closed"
REMINDER_MAIL = "mail.appointment_reminder"


def _first_and_moves(appointment: Appointment) -> tuple[Appointment, int]:
    first, moves = appointment, 0
    while (previous := first.rescheduled_from) is not None:
        first, moves = previous, moves + 1
    return first, moves


def appointment_calendar(appointment: Appointment, *, language: str) -> bytes:
    """The appointment as an iCalendar file (RFC 5545): a request, or a cancellation."""
    slot, centre = appointment.slot, appointment.slot.centre
    first, moves = _first_and_moves(appointment)
    cancelled = appointment.status == Appointment.Status.CANCELLED
    with translation.override(language):
        summary = _("NEXUS interview: %(step)s") % {"step": appointment.get_step_display()}
        description = _(
            "Bring your passport or other proof of citizenship. Manage it at %(url)s"
        ) % {"url": settings.SITE_URL + reverse("enrolment:dashboard")}
        location = f"{centre.display_name}, {centre.display_full_address}"
    calendar = Calendar()
    calendar.add("prodid", "-//NEXUS Portal//Interview appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"appointment-{first.pk}@nexus-portal")
    # A cancellation must outrank the last request for the same appointment.
    event.add("sequence", moves + (1 if cancelled else 0))
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", slot.starts_at.astimezone(centre.tz))
    event.add("dtend", slot.ends_at.astimezone(centre.tz))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def appointment_notify(appointment: Appointment, event: str) -> None:
    """Record, in the current transaction, that the applicant is to be told of ``event``."""
    outbox_put(
        topic=APPOINTMENT_MAIL,
        key=f"appointment.{event}:{appointment.pk}",
        appointment=appointment.pk,
        event=event,
    )


@outbox_handler(APPOINTMENT_MAIL)
def appointment_message_send(payload: dict[str, Any]) -> None:
    event = payload["event"]
    appointment = Appointment.objects.select_related(
        "slot__centre", "application__applicant__user"
    ).get(pk=payload["appointment"])
    if event not in (CANCELLED, CLOSED) and appointment.status not in Appointment.ACTIVE:
        return  # cancelled or moved before this went out: that message says so instead
    centre = appointment.slot.centre
    method = "CANCEL" if event in (CANCELLED, CLOSED) else "REQUEST"
    applicant_mail_send(
        applicant=appointment.application.applicant,
        template_prefix="bookings/emails/appointment",
        context={
            "event": event,
            "appointment": appointment,
            "centre": centre,
            "starts_at": appointment.slot.starts_at,
            "time_zone": centre.time_zone,
        },
        attachments=lambda language: (
            Attachment(
                "nexus-interview.ics",
                appointment_calendar(appointment, language=language),
                f"text/calendar; method={method}",
            ),
        ),
    )


def appointments_remind(*, now: datetime | None = None) -> int:
    """Record the reminders now due (hourly job); returns how many were recorded.

    A booked appointment gets one reminder per ``REMINDER_DAYS_BEFORE`` entry, once it
    starts within that many days: the outbox key (appointment and days) makes each one
    once, however often this runs, at once or not. When the job was down past a reminder
    moment only the nearest one is sent, and none that fell due before the time was booked
    (or moved there): its confirmation has just told the applicant.
    """
    now = now or timezone.now()
    days_before = sorted(settings.REMINDER_DAYS_BEFORE)
    if not days_before:
        return 0
    upcoming = Appointment.objects.filter(
        status=Appointment.Status.BOOKED,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + timedelta(days=days_before[-1]),
    ).select_related("slot")
    recorded = 0
    for appointment in upcoming.order_by("slot__starts_at", "pk"):
        starts_at = appointment.slot.starts_at
        days = next(d for d in days_before if starts_at <= now + timedelta(days=d))
        if appointment.created_at >= starts_at - timedelta(days=days):
            continue
        if outbox_put(
            topic=REMINDER_MAIL,
            key=f"appointment.reminder:{appointment.pk}:{days}",
            appointment=appointment.pk,
            days=days,
        ):
            recorded += 1
    return recorded


@outbox_handler(REMINDER_MAIL)
def appointment_reminder_send(payload: dict[str, Any]) -> None:
    appointment = Appointment.objects.select_related(
        "slot__centre", "application__applicant__user"
    ).get(pk=payload["appointment"])
    if appointment.status != Appointment.Status.BOOKED or appointment.slot.starts_at <= (
        timezone.now()
    ):
        return  # cancelled, moved (the new time has its own), checked in, or past
    centre = appointment.slot.centre
    applicant_mail_send(
        applicant=appointment.application.applicant,
        template_prefix="bookings/emails/reminder",
        context={
            "appointment": appointment,
            "centre": centre,
            "starts_at": appointment.slot.starts_at,
            "time_zone": centre.time_zone,
        },
    )
