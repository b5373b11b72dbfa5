from celery import shared_task

from figures.services import figures_record_due


@shared_task(acks_late=True, ignore_result=True)
def figures_record_task() -> list[str]:
    """Record the programme's figures for each day that has ended everywhere and is not
    yet recorded (hourly; idempotent, so safe to run twice at once)."""
    return [day.isoformat() for day in figures_record_due()]
