"""Every write of the bookings app: booking, moving and cancelling (``booking.py``),
held times (``holds.py``), booths (``booths.py``) and the earlier-time waitlist
(``waitlist.py``)."""

from bookings.errors import BookingError
from bookings.services.booking import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from bookings.services.holds import (
    hold_confirm,
    hold_release,
    holds_release_expired,
    slot_hold,
)

__all__ = [
    "BookingError",
    "appointment_book",
    "appointment_cancel",
    "appointment_reschedule",
    "hold_confirm",
    "hold_release",
    "holds_release_expired",
    "slot_hold",
]
