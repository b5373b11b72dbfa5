"""Retention: crossing records are deleted on their purge date (fixed when received),
unless a legal hold keeps them."""

import logging
from dataclasses import asdict, dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.models import AuditEvent
from entry_exit.models import CrossingRecord

logger = logging.getLogger("entry_exit.retention")

PURGE_CHUNK = 5000


@dataclass
class PurgeSummary:
    purged: int = 0
    chunks: int = 0
    held: int = 0


def _due(today: date) -> QuerySet[CrossingRecord]:
    return CrossingRecord.objects.filter(purge_on__lte=today, legal_hold=False)


def crossing_records_purge(*, today: date | None = None, chunk: int = PURGE_CHUNK) -> PurgeSummary:
    """Delete every record whose purge date has come, ``chunk`` at a time.

    1. Take the ids of the next ``chunk`` due records (none under legal hold).
    2. Delete them in their own transaction, locking them and re-checking the date and the
       hold there (a hold set meanwhile wins); their outbound items go with them, batches
       keep counts, lifted holds keep theirs.
    3. Log and audit the counts only: no record, name or number.
    Safe to run twice at once (a record deleted by the other run counts once).
    """
    today = today or timezone.localdate()
    summary = PurgeSummary()
    while ids := list(_due(today).order_by("id").values_list("id", flat=True)[:chunk]):
        with transaction.atomic():
            # Locked (id order, as legal_hold_place locks them) and re-checked: a record
            # a hold covered meanwhile is left alone. Deleted by id: Django's cascade
            # collects the rows first, so the DELETE itself re-checks nothing.
            due = (
                _due(today)
                .filter(pk__in=ids)
                .order_by("id")
                .select_for_update()
                .values_list("id", flat=True)
            )
            _total, deleted = CrossingRecord.objects.filter(pk__in=list(due)).delete()
        summary.purged += deleted.get(CrossingRecord._meta.label, 0)
        summary.chunks += 1
        logger.info("crossing records purge: chunk %s, %s deleted", summary.chunks, len(ids))
    summary.held = CrossingRecord.objects.filter(purge_on__lte=today, legal_hold=True).count()
    AuditEvent.objects.create(
        actor=None,
        action="crossingrecord.purged",
        target_type=ContentType.objects.get_for_model(CrossingRecord),
        target_id="",
        data={"day": today.isoformat(), **asdict(summary)},
    )
    logger.info(
        "crossing records purged for %s: %s deleted in %s chunks, %s due but under legal hold",
        today.isoformat(),
        summary.purged,
        summary.chunks,
        summary.held,
    )
    return summary
