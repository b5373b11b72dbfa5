from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from entry_exit.models import (
    BatchDirection,
    BatchStatus,
    CrossingRecord,
    ExchangeBatch,
    OutboundItem,
    Port,
)
from entry_exit.rules import shareable_records_q


def ports_by_code() -> dict[str, Port]:
    """Every port, active or not (late records name ports that have since closed)."""
    return {port.code: port for port in Port.objects.all()}


def outbound_candidates(*, phase: int) -> QuerySet[CrossingRecord]:
    """Records ``phase`` allows to leave that are in no outbound batch yet, oldest first."""
    sent = OutboundItem.objects.filter(record=OuterRef("pk"))
    return (
        CrossingRecord.objects.filter(shareable_records_q(phase))
        .filter(~Exists(sent))
        .order_by("received_at", "id")
    )


def outbound_batches_pending(*, now: datetime) -> QuerySet[ExchangeBatch]:
    """Outbound batches a run should carry on with, oldest first: built but not written
    (a run died in between), written but not sent, or failed and due for another try;
    never one another run is sending now."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = Q(status__in=[BatchStatus.BUILDING, BatchStatus.WRITTEN])
    due |= Q(status=BatchStatus.FAILED, next_attempt_at__lte=now)
    return (
        ExchangeBatch.objects.filter(direction=BatchDirection.OUTBOUND)
        .filter(due & free)
        .order_by("created_at", "id")
    )
