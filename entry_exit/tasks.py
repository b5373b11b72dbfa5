from dataclasses import asdict

from celery import shared_task

from entry_exit.services import crossing_records_purge, outbound_batches_run


@shared_task(acks_late=True)
def outbound_batches_run_task() -> dict[str, int]:
    """Write and send what earlier runs left, then batch and send everything new that the
    phase in force allows; safe to run twice at once."""
    return asdict(outbound_batches_run(handled_by="celery beat"))


@shared_task(acks_late=True)
def crossing_records_purge_task() -> dict[str, int]:
    """Daily: delete the crossing records whose purge date has come (legal holds kept)."""
    return asdict(crossing_records_purge())
