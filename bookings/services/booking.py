"""Booking, rescheduling and cancelling interview appointments.

Lock order, everywhere: the application row first, then slot rows in primary-key
order. Capacity is taken with one conditional UPDATE (``booked < capacity``) that holds
the slot's row lock to commit; the ``slot_never_overbooked`` check constraint makes any
path that misses it fail loudly instead of overbooking.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.errors import BookingError
from bookings.models import PATH_BOOKING, Appointment, SlotHold, path_for_centre
from bookings.notifications import BOOKED, CANCELLED, CLOSED, RESCHEDULED, appointment_notify
from bookings.selectors import path_settled
from bookings.services.booths import booth_release, booth_take, hold_end
from bookings.services.gate import interview_gate
from bookings.services.states import appointment_move
from centres.models import Slot
from common.actors import Actor
from common.audit import audit_record
from enrolment.models import Application
from webhooks.models import Event
from webhooks.services import webhook_event


def _not_found() -> BookingError:
    return BookingError(
        _("No such application or appointment."), code="not_found", kind="not_found"
    )


def lock_application(*, application: Application, actor: Actor) -> Application:
    # ``of=("self",)``: lock the application only, not the applicant row it joins.
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant")
        .get(pk=application.pk)
    )
    if not _may_act_for(actor, application):
        raise _not_found()
    return application


def _may_act_for(actor: Actor, application: Application) -> bool:
    if actor is None or not actor.is_authenticated:
        return False
    return actor.is_superuser or application.applicant.user_id == actor.pk


def _check_slot_fits(*, application: Application, slot: Slot, now: datetime) -> str:
    """Refuse a slot the application may not book; return the interview step it is for."""
    if not application.may_book:
        raise BookingError(
            _("Only a conditionally approved application can book an interview."),
            code="not_approved",
        )
    path = path_for_centre(slot.centre)
    if path is None:
        raise BookingError(
            _("%(centre)s does not take appointments.") % {"centre": slot.centre},
            code="centre_takes_no_appointments",
        )
    if application.path and application.path != path and path_settled(application):
        raise BookingError(
            _("%(centre)s does not fit your interview path (%(path)s).")
            % {"centre": slot.centre, "path": application.get_path_display()},
            code="wrong_path",
        )
    if slot.starts_at <= now:
        raise BookingError(_("This time has already passed."), code="slot_in_past")
    if slot.starts_at > now + timedelta(days=settings.SLOT_HORIZON_DAYS + 1):
        raise BookingError(_("This time is not open for booking yet."), code="slot_beyond_horizon")
    return PATH_BOOKING[path].step


def check_may_book(*, application: Application, slot: Slot, now: datetime) -> str:
    """Refuse a first (or, after a missed interview, a new) booking of ``slot``; return the
    interview step. The application is locked by the caller."""
    step = _check_slot_fits(application=application, slot=slot, now=now)
    state = interview_gate().under_way(application)
    if state is not None:
        raise BookingError(
            _("Your interview is already under way (%(state)s): there is nothing to book.")
            % {"state": state},
            code="interview_under_way",
        )
    if Appointment.objects.filter(
        application=application, step=step, status__in=Appointment.ACTIVE
    ).exists():
        raise BookingError(
            _("You already have an appointment for this interview. Reschedule it instead."),
            code="already_booked",
        )
    return step


def check_may_move(*, application: Application, old: Appointment, slot: Slot, now: datetime) -> str:
    """Refuse moving the active appointment ``old`` to ``slot``; return the step."""
    if old.slot_id == slot.pk:
        raise BookingError(_("Your appointment is already at this time."), code="same_slot")
    step = _check_slot_fits(application=application, slot=slot, now=now)
    if step != old.step:
        raise BookingError(
            _("An appointment can only move to a time for the same interview."),
            code="wrong_path",
        )
    return step


def appointment_book(
    *, application: Application, slot: Slot, actor: Actor, now: datetime | None = None
) -> Appointment:
    """Book ``slot`` for ``application``.

    1. Lock the application (serialises this applicant's bookings).
    2. Check the application may book there and then; fix its path on first booking.
    3. Take a booth with a conditional update; a full or closed slot is refused.
    4. Insert the appointment and the audit row, in the same transaction. "One active
       appointment per step" is checked under the application lock and backed by a
       partial unique constraint, so a missed lock fails loudly.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = lock_application(application=application, actor=actor)
        slot = Slot.objects.select_related("centre").get(pk=slot.pk)
        step = check_may_book(application=application, slot=slot, now=now)
        booth_take(slot)
        path = path_for_centre(slot.centre)
        assert path is not None  # check_may_book refused a centre of no path
        if application.path != path:  # the first booking, or a new choice (path_settled)
            application.path = path
            application.save(update_fields=["path"])
        appointment = Appointment.objects.create(application=application, slot=slot, step=step)
        interview_gate().booked(application, actor=actor)
        audit_record(
            actor=actor,
            action="appointment.booked",
            target=appointment,
            application=application.pk,
            slot=slot.pk,
            status=appointment.status,
        )
        appointment_notify(appointment, BOOKED)
        webhook_event(
            Event.APPOINTMENT_BOOKED,
            key=str(appointment.pk),
            **appointment_webhook_data(appointment),
        )
    return appointment


def lock_active_appointment(
    *, appointment: Appointment, actor: Actor, now: datetime
) -> tuple[Application, Appointment]:
    application = lock_application(application=appointment.application, actor=actor)
    appointment = Appointment.objects.select_related("slot").get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise BookingError(
            _("This appointment is no longer active (%(status)s).")
            % {"status": appointment.get_status_display()},
            code="appointment_not_active",
        )
    if appointment.slot.starts_at <= now:
        raise BookingError(
            _("This appointment has already started and can no longer be changed."),
            code="appointment_started",
        )
    return application, appointment


def appointment_reschedule(
    *, appointment: Appointment, slot: Slot, actor: Actor, now: datetime | None = None
) -> Appointment:
    """Move an active appointment to ``slot``.

    1. Lock the application, then both slots in primary-key order (two applicants
       swapping slots cannot deadlock).
    2. Take the new booth before releasing the old one: if the new slot is full,
       the transaction rolls back and the old booking stands untouched.
    3. The old appointment becomes ``rescheduled`` and points to its replacement.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application, old = lock_active_appointment(appointment=appointment, actor=actor, now=now)
        list(Slot.objects.select_for_update().filter(pk__in=[old.slot_id, slot.pk]).order_by("pk"))
        slot = Slot.objects.select_related("centre").get(pk=slot.pk)
        step = check_may_move(application=application, old=old, slot=slot, now=now)
        booth_take(slot)
        appointment_move(old, "reschedule", now=now)
        booth_release(old.slot_id)
        new = Appointment.objects.create(
            application=application, slot=slot, step=step, rescheduled_from=old
        )
        audit_record(
            actor=actor,
            action="appointment.rescheduled",
            target=old,
            application=application.pk,
            from_slot=old.slot_id,
            to_slot=slot.pk,
            to_appointment=new.pk,
            status=Appointment.Status.RESCHEDULED,
        )
        audit_record(
            actor=actor,
            action="appointment.booked",
            target=new,
            application=application.pk,
            slot=slot.pk,
            status=new.status,
            rescheduled_from=old.pk,
        )
        appointment_notify(new, RESCHEDULED)
        webhook_event(
            Event.APPOINTMENT_MOVED,
            key=str(new.pk),
            moved_from=old.pk,
            **appointment_webhook_data(new),
        )
    return new


def appointment_cancel(
    *, appointment: Appointment, actor: Actor, now: datetime | None = None
) -> Appointment:
    """Cancel an active appointment and free its booth (no slot lock needed to free)."""
    now = now or timezone.now()
    with transaction.atomic():
        _application, appointment = lock_active_appointment(
            appointment=appointment, actor=actor, now=now
        )
        appointment_move(appointment, "cancel", actor=actor, now=now)
        _cancelled(appointment, actor=actor, event=CANCELLED)
    return appointment


def _cancelled(
    appointment: Appointment, *, actor: Actor, event: str, announce: bool = True, **data: object
) -> None:
    """What follows a cancellation, in its transaction: the booth freed (``announce``: to
    the earlier-time queue), a time held to move it ended, the audit row, the applicant
    told (``event``), partner systems too."""
    booth_release(appointment.slot_id, announce=announce)
    for hold in SlotHold.objects.filter(appointment=appointment):
        hold_end(hold)  # a time held for moving it has nothing left to move
    audit_record(
        actor=actor,
        action="appointment.cancelled",
        target=appointment,
        application=appointment.application_id,
        slot=appointment.slot_id,
        status=appointment.status,
        **data,
    )
    appointment_notify(appointment, event)
    webhook_event(
        Event.APPOINTMENT_CANCELLED,
        key=str(appointment.pk),
        **appointment_webhook_data(appointment),
    )


def appointment_webhook_data(appointment: Appointment) -> dict[str, object]:
    """What a partner system is told of an appointment (``webhooks``): ids, codes and
    times, never who."""
    return {
        "appointment": appointment.pk,
        "centre": appointment.slot.centre_id,
        "step": appointment.step,
        "starts_at": appointment.slot.starts_at.isoformat(),
        "status": appointment.status,
        "cancel_reason": appointment.cancel_reason,
    }


def appointment_cancel_for_closure(
    *, appointment: Appointment, actor: Actor, now: datetime | None = None
) -> Appointment:
    """The centre closes at this appointment's time and the administrator chose to move
    people first: cancel it (reason ``centre_closed``, by the administrator), free its
    booth without announcing it (the closure removes the time), end any time held to move
    it, and tell the applicant in their language. Runs in the closure's transaction."""
    now = now or timezone.now()
    Application.objects.select_for_update(of=("self",)).get(pk=appointment.application_id)
    appointment = Appointment.objects.select_related("slot").get(pk=appointment.pk)
    if not appointment_move(appointment, "close", actor=actor, now=now):
        return appointment  # no longer booked: nothing to cancel
    _cancelled(
        appointment, actor=actor, event=CLOSED, announce=False,
        reason=Appointment.CancelReason.CENTRE_CLOSED,
    )  # fmt: skip
    return appointment
