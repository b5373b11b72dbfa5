"""The access log: every consultation of a traveller's records, chained by hashes.

Each row stores ``previous_hash`` (the row before's ``row_hash``, ``GENESIS_HASH`` for the
first) and ``row_hash`` = sha256(previous_hash + canonical content). An append locks the
one-row chain head (``AccessLogHead``), so two consultations at once take turns: the chain
never forks. ``access_log_verify`` walks the rows in order and reports the first one whose
link or hash does not hold, and a head that does not match the last row (rows removed
from the end).
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from entry_exit.errors import EntryExitError
from entry_exit.models import GENESIS_HASH, AccessLogEntry, AccessLogHead, AccessPurpose

CRITERIA_SALT = "entry_exit.access_log.criteria"


def criteria_reference(*, kind: str, values: Iterable[str]) -> str:
    """An opaque, stable reference for a search: HMAC-SHA256 of its normalised values
    (keyed by SECRET_KEY), so the log holds no name, number or date of birth in clear."""
    message = "\x1f".join([kind, *values])
    return salted_hmac(CRITERIA_SALT, message, algorithm="sha256").hexdigest()


def canonical(entry: AccessLogEntry) -> str:
    """The row's content as hashed: every field but the hashes, in a fixed form."""
    return json.dumps(
        {
            "sequence": entry.sequence,
            "at": entry.at.astimezone(UTC).isoformat(),
            "user": entry.user_id,
            "purpose": entry.purpose,
            "purpose_text": entry.purpose_text,
            "criteria_kind": entry.criteria_kind,
            "criteria_ref": entry.criteria_ref,
            "record_ids": [int(pk) for pk in entry.record_ids],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def row_hash(previous_hash: str, entry: AccessLogEntry) -> str:
    return hashlib.sha256((previous_hash + canonical(entry)).encode()).hexdigest()


def access_log_append(
    *,
    user: User,
    purpose: str,
    purpose_text: str = "",
    criteria_kind: str,
    criteria_ref: str,
    record_ids: list[int],
    now: datetime | None = None,
) -> AccessLogEntry:
    """Log one consultation; call it before the records are shown.

    1. Refuse a purpose not in the list, or "other" without words.
    2. Lock the chain head (created on first use), link the new row to it, store the row.
    3. Move the head to the new row, in the same transaction.
    """
    purpose_text = purpose_text.strip()
    if purpose not in AccessPurpose.values or (purpose == AccessPurpose.OTHER and not purpose_text):
        raise EntryExitError(
            _("Choose why you are consulting these records, or say why in words."),
            code="purpose_required",
            kind="invalid",
        )
    with transaction.atomic():
        head, _created = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
        entry = AccessLogEntry(
            sequence=head.sequence + 1,
            at=now or timezone.now(),
            user=user,
            purpose=purpose,
            purpose_text=purpose_text if purpose == AccessPurpose.OTHER else "",
            criteria_kind=criteria_kind,
            criteria_ref=criteria_ref,
            record_ids=sorted(int(pk) for pk in record_ids),
            previous_hash=head.row_hash,
        )
        entry.row_hash = row_hash(head.row_hash, entry)
        entry.save()
        head.sequence, head.row_hash = entry.sequence, entry.row_hash
        head.save(update_fields=["sequence", "row_hash"])
    return entry


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    rows: int
    # The first row that breaks the chain (its sequence) and why; None when it holds.
    broken_at: int | None = None
    reason: str = ""


def access_log_verify() -> ChainCheck:
    """Walk the log from its first row: each row must link to the one before and hash to
    its stored hash, sequences must follow each other, and the head must name the last."""
    previous_hash, expected, rows = GENESIS_HASH, 1, 0
    for entry in AccessLogEntry.objects.order_by("sequence").iterator(chunk_size=2000):
        if entry.sequence != expected:
            return ChainCheck(False, rows, expected, "row missing")
        if entry.previous_hash != previous_hash:
            return ChainCheck(False, rows, entry.sequence, "link to the previous row broken")
        if row_hash(previous_hash, entry) != entry.row_hash:
            return ChainCheck(False, rows, entry.sequence, "content changed")
        previous_hash, expected, rows = entry.row_hash, expected + 1, rows + 1
    head = AccessLogHead.objects.filter(pk=1).first()
    head_sequence, head_hash = (head.sequence, head.row_hash) if head else (0, GENESIS_HASH)
    if (head_sequence, head_hash) != (rows, previous_hash):
        return ChainCheck(False, rows, rows + 1, "rows missing at the end")
    return ChainCheck(True, rows)
