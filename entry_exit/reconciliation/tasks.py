"""The reconciliation's background jobs: thin tasks over ``services``.

An import (``entry_exit.services.inbound``) records the outbox message
``BATCH_IMPORTED`` when it finishes; its handler here queues ``reconciliation_batch_task``
for that batch, so a broker outage delays matching but never loses it.
"""

from typing import Any

from celery import shared_task

from common.outbox import outbox_handler
from entry_exit.reconciliation.services import reconciliation_run

BATCH_IMPORTED = "entry_exit.batch_imported"


@shared_task(acks_late=True)
def reconciliation_batch_task(batch_id: int) -> dict[str, int]:
    """After an import: stays of its entries, late entries' exits again, its exits
    matched. Idempotent: running it twice changes nothing."""
    return reconciliation_run(batch_id=batch_id)


@shared_task(acks_late=True)
def reconciliation_pending_task() -> dict[str, int]:
    """Every exit not matched yet, and every entry's stay: a catch-up run."""
    return reconciliation_run()


@outbox_handler(BATCH_IMPORTED)
def _batch_imported(payload: dict[str, Any]) -> None:
    reconciliation_batch_task.apply_async((int(payload["batch"]),))
