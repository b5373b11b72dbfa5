from common.errors import ApplicationError


class BookingError(ApplicationError):
    """The bookings app's one domain error: a booking, a move, a cancellation, a held time
    or an earlier-time request refused."""
