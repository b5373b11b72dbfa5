"""Taking and freeing a slot's booths: the only code that changes ``Slot.booked``."""

from django.db.models import F
from django.utils.translation import gettext as _

from centres.models import Slot
from interviews.errors import InterviewError
from interviews.models import SlotHold


def booth_take(slot: Slot) -> None:
    """Take one booth of ``slot`` (read in this transaction) or refuse, saying why.

    One conditional UPDATE: it holds the slot's row lock to commit, and the
    ``slot_never_overbooked`` check constraint backs it.
    """
    taken = Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    if taken:
        return
    if not slot.capacity:
        raise InterviewError(_("This time is closed; please choose another."), code="slot_closed")
    raise InterviewError(
        _("This time has just been taken; please choose another."), code="slot_full"
    )


def booth_release(slot_id: int) -> None:
    """Free one booth; freeing needs no lock (the counter only goes down)."""
    Slot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)


def hold_end(hold: SlotHold) -> bool:
    """Delete ``hold`` and free its booth, once: False if it had already ended."""
    deleted, _rows = SlotHold.objects.filter(pk=hold.pk).delete()
    if deleted:
        booth_release(hold.slot_id)
    return bool(deleted)
