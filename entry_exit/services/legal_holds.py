"""Legal holds: keeping a traveller's records past their purge date, and letting them go.

A hold is placed on records chosen from a consultation the same staff member has just
made (the traveller look-up, purpose stated and logged), and lifted as a decision of its
own. ``CrossingRecord.legal_hold`` mirrors "some active hold covers this record" and is
written here only, by ``_flags_refresh``; retention skips flagged records.

Lock order, the same in every write here and in the purge: the records (by id), then the
hold. Two holds on one record lifted at once therefore take turns, and the second sees
the first lifted when it recomputes the flag; a purge that got a record first deletes it
before a hold can cover it (the hold then covers the records still there).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import audit_record
from entry_exit.errors import EntryExitError
from entry_exit.models import (
    AccessLogEntry,
    CrossingRecord,
    LegalHold,
    LegalHoldBasis,
    LegalHoldLiftGrounds,
    LegalHoldRecord,
)

logger = logging.getLogger("entry_exit.legal_holds")

# A hold is placed from a consultation made at most this long ago, by the same person.
CONSULTATION_VALID_FOR = timedelta(hours=1)


def _flags_refresh(record_ids: list[int]) -> None:
    """Set ``legal_hold`` on each of these records exactly when an active hold covers it."""
    active = LegalHoldRecord.objects.filter(record=OuterRef("pk"), hold__lifted_at__isnull=True)
    CrossingRecord.objects.filter(pk__in=record_ids).update(legal_hold=Exists(active))


def _lock_records(record_ids: Iterable[int]) -> list[int]:
    """Lock the records that still exist, in id order; their ids."""
    return list(
        CrossingRecord.objects.filter(pk__in=record_ids)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )


def legal_hold_place(
    *,
    user: User,
    consultation: AccessLogEntry,
    record_ids: list[int],
    basis: str,
    reference: str,
    reason: str,
    now: datetime | None = None,
) -> LegalHold:
    """Place a hold on records of ``consultation`` (the caller's own, made less than
    ``CONSULTATION_VALID_FOR`` ago).

    1. Refuse an unknown basis, a missing reference or reason, a consultation that is
       someone else's or stale, and records it did not show.
    2. Lock the records (in id order); those purged meanwhile are left out, and if none is
       left the hold is refused.
    3. Store the hold and its records, set their flag, audit; one transaction.
    """
    now = now or timezone.now()
    reference, reason = reference.strip(), reason.strip()
    if basis not in LegalHoldBasis.values or not reference or not reason:
        raise EntryExitError(
            _("Give the basis, the reference and the reason for the hold."),
            code="hold_incomplete",
            kind="invalid",
        )
    if consultation.user_id != user.pk or consultation.at < now - CONSULTATION_VALID_FOR:
        raise EntryExitError(
            _("Look the traveller up again before placing a hold."),
            code="consultation_stale",
            kind="invalid",
        )
    wanted = {int(pk) for pk in record_ids}
    if not wanted or not wanted <= {int(pk) for pk in consultation.record_ids}:
        raise EntryExitError(
            _("Choose records among those the look-up showed."),
            code="records_not_shown",
            kind="invalid",
        )
    with transaction.atomic():
        held = _lock_records(wanted)
        if not held:
            raise EntryExitError(
                _("These records no longer exist."), code="records_gone", kind="conflict"
            )
        hold = LegalHold.objects.create(
            basis=basis,
            reference=reference,
            reason=reason,
            placed_by=user,
            placed_at=now,
            consultation=consultation,
            record_count=len(held),
        )
        LegalHoldRecord.objects.bulk_create(LegalHoldRecord(hold=hold, record_id=pk) for pk in held)
        _flags_refresh(held)
        audit_record(
            actor=user,
            action="legalhold.placed",
            target=hold,
            basis=basis,
            records=held,
            consultation=consultation.sequence,
        )
    logger.info("legal hold %s placed on %s records", hold.pk, len(held))
    return hold


def legal_hold_lift(
    *, user: User, hold: LegalHold, grounds: str, note: str = "", now: datetime | None = None
) -> LegalHold:
    """Lift an active hold: its records stay held while another active hold covers them.

    1. Refuse unknown grounds.
    2. Lock the hold's records (id order), then the hold; refuse if it is lifted already.
    3. Record who, when and why; recompute the records' flags; audit; one transaction.
    """
    now = now or timezone.now()
    note = note.strip()
    if grounds not in LegalHoldLiftGrounds.values:
        raise EntryExitError(
            _("Choose the grounds for lifting the hold."), code="lift_grounds", kind="invalid"
        )
    with transaction.atomic():
        records = LegalHoldRecord.objects.filter(hold=hold).values_list("record_id", flat=True)
        record_ids = _lock_records(list(records))
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if not hold.is_active:
            raise EntryExitError(
                _("This hold has been lifted already."), code="hold_lifted", kind="conflict"
            )
        hold.lifted_at, hold.lifted_by = now, user
        hold.lift_grounds, hold.lift_note = grounds, note
        hold.save(update_fields=["lifted_at", "lifted_by", "lift_grounds", "lift_note"])
        _flags_refresh(record_ids)
        still_held = CrossingRecord.objects.filter(pk__in=record_ids, legal_hold=True).count()
        audit_record(
            actor=user,
            action="legalhold.lifted",
            target=hold,
            grounds=grounds,
            records=len(record_ids),
            still_held_by_other_holds=still_held,
        )
    logger.info(
        "legal hold %s lifted: %s records, %s still under another hold",
        hold.pk,
        len(record_ids),
        still_held,
    )
    return hold
