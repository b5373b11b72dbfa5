from celery import shared_task

from interviews.notifications import appointments_remind
from interviews.services import holds_release_expired
from interviews.services.workflow import appointments_mark_no_shows


@shared_task(acks_late=True)
def holds_release_expired_task() -> int:
    """Free the booths of holds nobody confirmed in time; safe to run twice at once."""
    return holds_release_expired()


@shared_task(acks_late=True)
def appointments_mark_no_shows_task() -> int:
    """Mark as missed the appointments nobody checked in for by the end of their centre's
    local day; safe to run twice at once."""
    return appointments_mark_no_shows()


@shared_task(acks_late=True)
def appointment_reminders_task() -> int:
    """Record the reminder e-mails now due (``REMINDER_DAYS_BEFORE``); each once."""
    return appointments_remind()
