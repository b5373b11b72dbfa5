"""Every write of the reconciliation: matching exits to entries (the background job),
recording stays, and the analysts' review decisions.

Matching is idempotent and safe with two workers at once:

* an exit gets one ``ExitMatch`` (unique on the exit) and an entry ends at most one
  matched stay (a partial unique index); new rows are inserted with ON CONFLICT DO
  NOTHING, so a second worker's rows for the same exits, or for an entry the first one
  took, are dropped by the database, never doubled;
* re-matching (late records) locks the rows it may change (``FOR UPDATE SKIP LOCKED``:
  rows another worker holds are left to it) and changes only rows whose decision changed;
* rows an analyst decided are never touched by the job.
"""

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.actors import Actor, acting_user
from common.audit import audit_record
from common.models import AuditEvent
from entry_exit.models import CrossingRecord, ExchangeBatch
from entry_exit.reconciliation import candidates as found
from entry_exit.reconciliation.errors import ReconciliationError
from entry_exit.reconciliation.matching import Decision, match_decide
from entry_exit.reconciliation.models import (
    REVIEW_TRANSITIONS,
    ExitMatch,
    Outcome,
    Reason,
    Stay,
    Tier,
)
from entry_exit.reconciliation.stays import authorised_days, stay_compute

logger = logging.getLogger("entry_exit.reconciliation")

# Exits per transaction: one set-wise look-up per tier for the whole chunk.
CHUNK = 2_000


@dataclass
class ReconcileSummary:
    exits: int = 0
    matched: int = 0
    review: int = 0
    unmatched: int = 0
    # Rows written or changed (0 when a run finds everything as it was).
    written: int = 0
    stays: int = 0


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _decide(exits: list[found.Exit], taken: dict[int, int]) -> dict[int, Decision]:
    """Each exit's decision, oldest exit first; an entry another exit holds (``taken``:
    entry → exit) or that an earlier exit of the chunk took is not given again."""
    document = found.by_document(exits)
    names = found.by_name(exits, {pk: entry.occurred_at for pk, entry in document.items()})
    decisions: dict[int, Decision] = {}
    given: set[int] = set()
    for item in exits:
        pk = item.traveller.pk
        decision = match_decide(
            exit=item.traveller, by_document=document.get(pk), by_name=names[pk]
        )
        entry = decision.entry
        if entry is not None:
            holder = taken.get(entry)
            if entry in given or (holder is not None and holder != pk):
                decision = Decision(Outcome.UNMATCHED, Reason.ENTRY_TAKEN, score=decision.score)
            else:
                given.add(entry)
        decisions[pk] = decision
    return decisions


def _taken(entries: set[int]) -> dict[int, int]:
    rows = ExitMatch.objects.filter(entry_id__in=entries, outcome=Outcome.MATCHED)
    return dict(rows.values_list("entry_id", "exit_id"))


def _row(pk: int, decision: Decision, now: datetime) -> ExitMatch:
    return ExitMatch(
        exit_id=pk,
        entry_id=decision.entry,
        outcome=decision.outcome,
        tier=decision.tier,
        score=decision.score,
        reason=decision.reason,
        candidates=decision.candidates,
        computed_at=now,
    )


def _same(match: ExitMatch, decision: Decision) -> bool:
    return (match.outcome, match.entry_id, match.tier, match.score, match.reason) == (
        decision.outcome,
        decision.entry,
        decision.tier,
        decision.score,
        decision.reason,
    ) and match.candidates == decision.candidates


def _count(summary: ReconcileSummary, decisions: dict[int, Decision]) -> None:
    summary.exits += len(decisions)
    for decision in decisions.values():
        setattr(summary, decision.outcome, getattr(summary, decision.outcome) + 1)


def _match_new(ids: list[int], now: datetime, summary: ReconcileSummary) -> None:
    with transaction.atomic():
        done = set(ExitMatch.objects.filter(exit_id__in=ids).values_list("exit_id", flat=True))
        exits = found.exits_load([pk for pk in ids if pk not in done])
        if not exits:
            return
        # First pass without ``taken``, to learn which entries the chunk wants.
        decisions = _decide(exits, {})
        taken = _taken({d.entry for d in decisions.values() if d.entry is not None})
        if taken:
            decisions = _decide(exits, taken)
        rows = [_row(pk, decision, now) for pk, decision in sorted(decisions.items())]
        # ON CONFLICT DO NOTHING: rows another worker wrote first (same exit, or an entry
        # it matched) stay as that worker wrote them.
        ExitMatch.objects.bulk_create(rows, ignore_conflicts=True)
        summary.written += len(rows)
        _count(summary, decisions)


def _match_again(ids: list[int], now: datetime, summary: ReconcileSummary) -> None:
    with transaction.atomic():
        current = {
            match.exit_id: match
            for match in ExitMatch.objects.select_for_update(skip_locked=True)
            .filter(exit_id__in=ids, decided_by__isnull=True)
            .order_by("exit_id")
        }
        exits = found.exits_load(list(current))
        if not exits:
            return
        decisions = _decide(exits, {})
        wanted = {d.entry for d in decisions.values() if d.entry is not None}
        taken = {entry: exit for entry, exit in _taken(wanted).items() if exit not in current}
        decisions = _decide(exits, taken)
        changed = [pk for pk, decision in decisions.items() if not _same(current[pk], decision)]
        _count(summary, decisions)
        if not changed:
            return
        # Replaced rather than updated in place: an entry one exit gives up and another
        # takes would otherwise meet itself in the unique index half-way.
        ExitMatch.objects.filter(exit_id__in=changed, decided_by__isnull=True).delete()
        rows = [_row(pk, decisions[pk], now) for pk in sorted(changed)]
        ExitMatch.objects.bulk_create(rows, ignore_conflicts=True)
        summary.written += len(rows)


def exits_reconcile(
    *, exit_ids: Iterable[int], now: datetime | None = None, again: bool = False
) -> ReconcileSummary:
    """Match the exit records among ``exit_ids`` to their entries, CHUNK at a time.

    1. Skip exits already decided (``again``: take the rows no analyst decided, locked,
       and decide them again — late records may have changed the answer).
    2. Tier 1 and tier 2 candidates for the whole chunk (``candidates``), then each exit's
       decision (``matching.match_decide``), oldest exit first.
    3. An entry already matched to another exit is not given twice.
    4. Write new rows with ON CONFLICT DO NOTHING; on ``again``, replace only the rows
       whose decision changed.
    """
    now = now or timezone.now()
    summary = ReconcileSummary()
    step = _match_again if again else _match_new
    for chunk in _chunks(sorted(set(exit_ids)), CHUNK):
        step(chunk, now, summary)
    return summary


def stays_record(*, entry_ids: Iterable[int], now: datetime | None = None) -> int:
    """Fix the authorised period of each entry among ``entry_ids`` whose status category
    has one (``ENTRY_EXIT_AUTHORISED_STAY_DAYS``); an entry already done keeps its own.
    Returns the stays written."""
    now = now or timezone.now()
    written = 0
    for chunk in _chunks(sorted(set(entry_ids)), CHUNK):
        entries = CrossingRecord.objects.filter(
            pk__in=chunk, event=found.ENTRY, stay__isnull=True
        ).select_related("port")
        stays = []
        for entry in entries:
            days = authorised_days(entry.status)
            if days is None:
                continue
            # An entry is a land crossing: it has its port (constraint).
            assert entry.port is not None
            facts = stay_compute(
                entered_at=entry.occurred_at, entry_zone=entry.port.tz, authorised=days, now=now
            )
            assert facts.authorised_until is not None  # a period was given: it has a last day
            stays.append(
                Stay(
                    entry=entry,
                    authorised_days=days,
                    authorised_until=facts.authorised_until,
                    computed_at=now,
                )
            )
        Stay.objects.bulk_create(stays, ignore_conflicts=True)
        written += len(stays)
    return written


def reconciliation_run(
    *, batch_id: int | None = None, now: datetime | None = None
) -> dict[str, int]:
    """The background job after an import (``batch_id``), or over everything not done yet
    (None).

    1. Stays: fix the authorised period of the batch's entries.
    2. Late entries: decide again the exits they may concern (an unmatched exit may now
       have its entry; a matched one may have a later entry to end at).
    3. Match the batch's exits (or every exit without a row yet).
    4. Audit the run's counts (no traveller's data).
    """
    now = now or timezone.now()
    records = CrossingRecord.objects.all()
    if batch_id is not None:
        records = records.filter(inbound_batch_id=batch_id)
    entries = records.filter(event=found.ENTRY)
    stays = stays_record(entry_ids=entries.values_list("id", flat=True), now=now)
    again = ReconcileSummary()
    if batch_id is not None and entries.exists():
        late = found.late_entry_exits(list(entries.values_list("id", flat=True)))
        again = exits_reconcile(exit_ids=late, now=now, again=True)
    exits = records.filter(event__in=found.EXIT_EVENTS)
    if batch_id is None:
        exits = exits.filter(exit_match__isnull=True)
    summary = exits_reconcile(exit_ids=exits.values_list("id", flat=True), now=now)
    summary.stays = stays
    result = {**asdict(summary), "decided_again": again.exits, "changed_again": again.written}
    AuditEvent.objects.create(
        actor=None,
        action="exitmatch.reconciled",
        target_type=ContentType.objects.get_for_model(ExchangeBatch),
        target_id=str(batch_id or ""),
        data=result,
    )
    logger.info("reconciliation of batch %s: %s", batch_id, result)
    return result


def _decision_check(match: ExitMatch, new: str) -> None:
    if new not in REVIEW_TRANSITIONS.get(match.outcome, ()):
        raise ReconciliationError(
            _("This match is no longer waiting for a review."), code="not_in_review"
        )


def _decider(actor: Actor) -> User:
    """The analyst deciding: a person, always (the job never re-decides what a person
    did, and tells a decision apart by ``decided_by``)."""
    decider = acting_user(actor)
    if decider is None:
        raise ReconciliationError(
            _("Only a signed-in analyst can decide a match."), code="no_analyst", kind="forbidden"
        )
    return decider


def exit_match_confirm(*, match: ExitMatch, entry_id: int, actor: Actor) -> ExitMatch:
    """An analyst confirms one of a review's candidate entries.

    1. Lock the row; it must still be in review, and the entry one of its candidates.
    2. The entry must not have been matched to another exit meanwhile.
    3. Mark it matched (tier ``analyst``), with who and when; audit old and new state.
    """
    decider = _decider(actor)
    with transaction.atomic():
        locked = ExitMatch.objects.select_for_update().get(pk=match.pk)
        _decision_check(locked, Outcome.MATCHED)
        scores = {item["entry"]: item["score"] for item in locked.candidates}
        if entry_id not in scores:
            raise ReconciliationError(
                _("Choose one of the candidate entries."), code="not_a_candidate", kind="invalid"
            )
        if ExitMatch.objects.filter(entry_id=entry_id, outcome=Outcome.MATCHED).exists():
            raise ReconciliationError(
                _("That entry has been matched to another exit meanwhile."), code="entry_taken"
            )
        now = timezone.now()
        locked.outcome, locked.entry_id, locked.tier = Outcome.MATCHED, entry_id, Tier.ANALYST
        locked.score, locked.reason = scores[entry_id], Reason.ANALYST_CONFIRMED
        locked.decided_by, locked.decided_at = decider, now
        locked.save()
        audit_record(
            actor=actor,
            action="exitmatch.confirmed",
            target=locked,
            old=Outcome.REVIEW,
            new=Outcome.MATCHED,
            exit=locked.exit_id,
            entry=entry_id,
        )
    return locked


def exit_match_reject(*, match: ExitMatch, actor: Actor) -> ExitMatch:
    """An analyst rejects every candidate: the exit stays unmatched, and the job never
    proposes a match for it again (a person decided)."""
    decider = _decider(actor)
    with transaction.atomic():
        locked = ExitMatch.objects.select_for_update().get(pk=match.pk)
        _decision_check(locked, Outcome.UNMATCHED)
        locked.outcome, locked.reason = Outcome.UNMATCHED, Reason.ANALYST_REJECTED
        locked.decided_by, locked.decided_at = decider, timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="exitmatch.rejected",
            target=locked,
            old=Outcome.REVIEW,
            new=Outcome.UNMATCHED,
            exit=locked.exit_id,
            candidates=[item["entry"] for item in locked.candidates],
        )
    return locked
