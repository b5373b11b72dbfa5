"""Holding a chosen time while the applicant confirms it.

``slot_hold`` takes a booth for ``SLOT_HOLD_MINUTES`` after the same checks as a booking
(or a move); ``hold_confirm`` turns the hold into the appointment in one transaction
(the held booth is handed over under the slot's row lock, so nobody can take it in
between); ``hold_release`` gives it back; ``holds_release_expired`` frees the booths of
holds nobody confirmed — from the beat schedule every minute, and from the booking pages
themselves, so a walked-away hold never outlives its time by much, even without a
worker.

Lock order as in ``booking.py``: the application, then the hold row, then the slot.
"""

from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.errors import BookingError
from bookings.models import Appointment, SlotHold, WaitlistOffer
from bookings.services.booking import (
    appointment_book,
    appointment_reschedule,
    check_may_book,
    check_may_move,
    lock_active_appointment,
    lock_application,
)
from bookings.services.booths import booth_take, hold_end, slot_freed_announce
from centres.models import Slot
from common.actors import Actor
from common.audit import audit_record
from enrolment.models import Application


class OfferAcceptance(Protocol):
    """What confirming a hold made for a waitlist offer also does (accept the offer, fulfil
    the request), in the same transaction."""

    def __call__(self, *, offer: WaitlistOffer, appointment: Appointment, actor: Actor) -> None: ...


# The waitlist builds on this module and registers it (``offer_acceptance_register``), so
# that this module never imports the waitlist.
_offer_acceptance: OfferAcceptance | None = None


def offer_acceptance_register(handler: OfferAcceptance) -> OfferAcceptance:
    global _offer_acceptance
    _offer_acceptance = handler
    return handler


def _offer_accepted(*, offer: WaitlistOffer, appointment: Appointment, actor: Actor) -> None:
    if _offer_acceptance is None:  # the app's ready() imports the waitlist: never so
        raise RuntimeError("no waitlist registered to accept a confirmed offer")
    _offer_acceptance(offer=offer, appointment=appointment, actor=actor)


def _take_booth_or_sweep(slot: Slot, now: datetime) -> None:
    """Take a booth; if the slot is full only because of expired holds, free them first."""
    try:
        with transaction.atomic():
            booth_take(slot)
    except BookingError:
        expired = list(SlotHold.objects.filter(slot=slot, expires_at__lte=now))
        if not any([hold_end(hold) for hold in expired]):
            raise
        booth_take(slot)


def slot_hold(
    *,
    application: Application,
    slot: Slot,
    actor: Actor,
    appointment: Appointment | None = None,
    now: datetime | None = None,
) -> SlotHold:
    """Hold ``slot`` for a new booking, or for moving ``appointment`` there.

    Refuses, with the booking's own messages, anything the booking or the move would
    refuse; replaces the application's earlier hold, if any.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = lock_application(application=application, actor=actor)
        slot = Slot.objects.select_related("centre").get(pk=slot.pk)
        if appointment is None:
            check_may_book(application=application, slot=slot, now=now)
        else:
            if appointment.application_id != application.pk:
                raise BookingError(
                    _("No such application or appointment."), code="not_found", kind="not_found"
                )
            _application, appointment = lock_active_appointment(
                appointment=appointment, actor=actor, now=now
            )
            check_may_move(application=application, old=appointment, slot=slot, now=now)
        earlier = SlotHold.objects.select_for_update().filter(application=application).first()
        if earlier is not None:
            hold_end(earlier)
        _take_booth_or_sweep(slot, now)
        hold = SlotHold.objects.create(
            application=application,
            slot=slot,
            appointment=appointment,
            expires_at=now + timedelta(minutes=settings.SLOT_HOLD_MINUTES),
        )
        audit_record(
            actor=actor,
            action="slot.held",
            target=hold,
            application=application.pk,
            slot=slot.pk,
            appointment=appointment.pk if appointment else None,
        )
    return hold


def _hold_gone() -> BookingError:
    return BookingError(
        _("This time is no longer held for you. Please choose a time again."),
        code="hold_expired",
    )


def hold_confirm(*, hold: SlotHold, actor: Actor, now: datetime | None = None) -> Appointment:
    """Book (or move to) the held time. The hold ends either way: an expired hold frees
    its booth and is refused; a refused booking leaves the applicant's appointments as
    they were."""
    now = now or timezone.now()
    refusal: BookingError | None = None
    with transaction.atomic():
        application = lock_application(application=hold.application, actor=actor)
        locked = (
            SlotHold.objects.select_for_update(of=("self",))
            .select_related("slot", "appointment")
            .filter(pk=hold.pk, application=application)
            .first()
        )
        if locked is None:
            raise _hold_gone()
        hold = locked
        offer = WaitlistOffer.objects.filter(hold=hold, status=WaitlistOffer.Status.OFFERED).first()
        # The booth is free again, under this transaction's slot lock; not announced to
        # the waitlist unless the booking below is refused (then it stays free).
        hold_end(hold, announce=False)
        if hold.expires_at <= now:
            refusal = _hold_gone()
        else:
            try:
                with transaction.atomic():
                    if hold.appointment is None:
                        appointment = appointment_book(
                            application=application, slot=hold.slot, actor=actor, now=now
                        )
                    else:
                        appointment = appointment_reschedule(
                            appointment=hold.appointment, slot=hold.slot, actor=actor, now=now
                        )
            except BookingError as error:
                refusal = error
        if refusal is not None:
            slot_freed_announce(slot_ids=[hold.slot_id])
        elif offer is not None:
            _offer_accepted(offer=offer, appointment=appointment, actor=actor)
        audit_record(
            actor=actor,
            action="slot.hold_ended",
            target=hold,
            application=application.pk,
            slot=hold.slot_id,
            outcome=refusal.code if refusal else "confirmed",
        )
    if refusal is not None:
        raise refusal
    return appointment


def hold_release(*, hold: SlotHold, actor: Actor) -> None:
    """The applicant lets the held time go (chooses another, or leaves)."""
    with transaction.atomic():
        application = lock_application(application=hold.application, actor=actor)
        current = SlotHold.objects.filter(pk=hold.pk, application=application).first()
        if current is not None and hold_end(current):
            audit_record(
                actor=actor,
                action="slot.hold_ended",
                target=current,
                application=application.pk,
                slot=current.slot_id,
                outcome="released",
            )


def holds_release_expired(*, now: datetime | None = None) -> int:
    """Free the booths of every expired hold; safe to run twice at once (each hold is
    ended by exactly one conditional delete). Returns how many were freed."""
    now = now or timezone.now()
    freed = 0
    for hold in SlotHold.objects.filter(expires_at__lte=now).only("pk", "slot_id"):
        with transaction.atomic():
            if hold_end(hold):  # 0 rows if it was confirmed or released meanwhile
                audit_record(
                    actor=None,
                    action="slot.hold_ended",
                    target=hold,
                    slot=hold.slot_id,
                    outcome="expired",
                )
                freed += 1
    return freed
