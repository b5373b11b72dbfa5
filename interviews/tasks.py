from celery import shared_task

from interviews.services.workflow import appointments_mark_no_shows


@shared_task(acks_late=True)
def appointments_mark_no_shows_task() -> int:
    """Mark as missed the appointments nobody checked in for by the end of their centre's
    local day; safe to run twice at once."""
    return appointments_mark_no_shows()
