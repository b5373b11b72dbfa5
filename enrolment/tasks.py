from datetime import date

from celery import shared_task
from django.utils import timezone

from enrolment.services import membership_benefits_sweep


@shared_task(acks_late=True, ignore_result=True)
def membership_benefits_sweep_task(today: str | None = None) -> dict[str, int]:
    """Apply and end renewal-benefit extensions (daily); safe to run twice at once.
    ``today`` (ISO date) defaults to the current date, for re-running a missed day."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    result = membership_benefits_sweep(today=day)
    return {"extended": result.extended, "ended": result.ended}
