from celery import shared_task

from interviews.services import holds_release_expired


@shared_task(acks_late=True)
def holds_release_expired_task() -> int:
    """Free the booths of holds nobody confirmed in time; safe to run twice at once."""
    return holds_release_expired()
