"""Taking and freeing a slot's booths: the only code that changes ``Slot.booked``.

Every freed booth is announced (``SLOT_FREED`` in the outbox, in the freeing
transaction), so the earlier-time waitlist is matched against it after the commit
(``interviews.services.waitlist``), whichever service freed it.
"""

from uuid import uuid4

from django.db.models import F
from django.utils.translation import gettext as _

from bookings.errors import BookingError
from bookings.models import SlotHold
from centres.models import Slot
from common.outbox import outbox_put

SLOT_FREED = "waitlist.slot_freed"


def booth_take(slot: Slot) -> None:
    """Take one booth of ``slot`` (read in this transaction) or refuse, saying why.

    One conditional UPDATE: it holds the slot's row lock to commit, and the
    ``slot_never_overbooked`` check constraint backs it.
    """
    taken = Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if taken:
        return
    if not slot.capacity:
        raise BookingError(_("This time is closed; please choose another."), code="slot_closed")
    raise BookingError(_("This time has just been taken; please choose another."), code="slot_full")


def booth_release(slot_id: int, *, announce: bool = True) -> None:
    """Free one booth; freeing needs no lock (the counter only goes down).

    ``announce=False`` only where the same transaction takes the booth straight back
    (confirming a hold), so the waitlist is not woken for nothing.
    """
    Slot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)
    if announce:
        slot_freed_announce(slot_ids=[slot_id])


def slot_freed_announce(*, slot_ids: list[int]) -> None:
    """Record, in the current transaction, that these slots have a booth free again.

    Each freeing is its own event (its own key): two cancellations of the same slot are
    two booths for the waitlist, and the matcher is idempotent for a repeated delivery.
    """
    if slot_ids:
        outbox_put(topic=SLOT_FREED, key=f"slot.freed:{slot_ids[0]}:{uuid4().hex}", slots=slot_ids)


def hold_end(hold: SlotHold, *, announce: bool = True) -> bool:
    """Delete ``hold`` and free its booth, once: False if it had already ended."""
    deleted, _rows = SlotHold.objects.filter(pk=hold.pk).delete()
    if deleted:
        booth_release(hold.slot_id, announce=announce)
    return bool(deleted)
