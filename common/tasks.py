from celery import shared_task

from common.outbox import outbox_deliver, outbox_pending


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=60 * 60,
    retry_jitter=True,
    max_retries=8,
)
def outbox_deliver_task(message_id: int) -> bool:
    """Deliver one outbox message; idempotent (a delivered or claimed one is skipped)."""
    return outbox_deliver(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_relay_task() -> int:
    """Hand every waiting outbox message to a worker again (lost asks, failures after
    their backoff, claims of dead workers). Safe to run twice: delivery claims."""
    pending = outbox_pending()
    for message_id in pending:
        outbox_deliver_task.apply_async((message_id,), retry=False)
    return len(pending)
