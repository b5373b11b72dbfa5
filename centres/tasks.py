from celery import shared_task

from centres.services import centres_slots_generate_all


@shared_task(acks_late=True)
def slots_generate_all_task() -> int:
    """Extend every bookable centre's slots to the horizon; safe to run twice at once."""
    results = centres_slots_generate_all()
    return sum(result.created for result in results.values())
