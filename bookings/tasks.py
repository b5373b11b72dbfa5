from celery import shared_task

from bookings.notifications import appointments_remind
from bookings.services.holds import holds_release_expired


@shared_task(acks_late=True)
def holds_release_expired_task() -> int:
    """Free the booths of holds nobody confirmed in time; safe to run twice at once."""
    return holds_release_expired()


@shared_task(acks_late=True)
def appointment_reminders_task() -> int:
    """Record the reminder e-mails now due (``REMINDER_DAYS_BEFORE``); each once."""
    return appointments_remind()
