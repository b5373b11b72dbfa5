"""The one way an appointment's status changes: along a move declared in
``bookings.models.APPOINTMENT_MOVES``, by a conditional UPDATE."""

from datetime import datetime

from django.utils import timezone

from bookings.models import APPOINTMENT_MOVES, Appointment
from common.actors import Actor, acting_user


def appointment_move(
    appointment: Appointment, action: str, *, actor: Actor = None, now: datetime | None = None
) -> bool:
    """Make the declared move ``action``: the status changes only if it is still one the
    move starts from (one conditional UPDATE, so of two callers at once one changes it and
    the other is told it did not). A cancellation records its reason and who cancelled
    (``actor``; nobody for the system). Returns whether the row changed; when it did,
    ``appointment`` is updated to match. Call it inside the caller's transaction, with its
    audit row."""
    move = APPOINTMENT_MOVES[action]
    now = now or timezone.now()
    fields: dict[str, object] = {"status": move.target, "updated_at": now}
    if move.reason:
        fields |= {"cancel_reason": move.reason, "cancelled_by": acting_user(actor)}
    changed = Appointment.objects.filter(pk=appointment.pk, status__in=move.sources).update(
        **fields
    )
    if changed:
        for name, value in fields.items():
            setattr(appointment, name, value)
    return bool(changed)
