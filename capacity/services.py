"""Capacity changes with a preview: what a change would do is worked out by making it
for real inside a savepoint that is then rolled back — the same code that applies it —
so the preview and the result cannot disagree. Applying makes the change again under the
centre's slot locks and first checks that it would still do exactly what was previewed
(its fingerprint); if the world moved (a booking came in), the apply is refused with the
new preview."""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Appointment, SlotHold, WaitlistRequest
from bookings.services.booking import appointment_cancel_for_closure
from bookings.services.booths import hold_end
from bookings.services.waitlist import waitlist_request_first_in_line
from centres.models import Centre, Closure, Slot
from centres.services import (
    CapacityObject,
    GenerationResult,
    capacity_change_delete,
    capacity_change_save,
    centre_slots_generate,
)
from common.actors import Actor
from common.audit import audit_record
from common.errors import ApplicationError


@dataclass(frozen=True)
class DayChange:
    day: date
    slots_added: int
    slots_removed: int
    booths_gained: int
    booths_lost: int


@dataclass
class Preview:
    centre: Centre
    days: list[DayChange] = field(default_factory=list)
    # Appointments left without a booth, soonest first, and how many booths are missing
    # (held times count too: a booth kept for someone confirming); the slots they are at.
    stranded: list[Appointment] = field(default_factory=list)
    booths_missing: int = 0
    stranded_slots: list[int] = field(default_factory=list)
    # Active earlier-time requests the new free booths would serve, in queue order.
    waitlist: list[WaitlistRequest] = field(default_factory=list)

    @property
    def booths_gained(self) -> int:
        return sum(d.booths_gained for d in self.days)

    @property
    def booths_lost(self) -> int:
        return sum(d.booths_lost for d in self.days)

    @property
    def changes_nothing(self) -> bool:
        return not self.days and not self.stranded

    @property
    def fingerprint(self) -> str:
        """What the change does, as a short digest: equal previews, equal fingerprints."""
        content = {
            "centre": self.centre.pk,
            "days": [
                [d.day.isoformat(), d.slots_added, d.slots_removed, d.booths_gained, d.booths_lost]
                for d in self.days
            ],
            "stranded": [a.pk for a in self.stranded],
            "missing": self.booths_missing,
            "waitlist": [r.pk for r in self.waitlist],
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class PreviewOutdated(ApplicationError):
    """Between the preview and the apply the change came to do something else."""

    def __init__(self, preview: Preview) -> None:
        super().__init__(
            _(
                "Bookings or capacity changed since the preview, so nothing was applied. "
                "Here is what the change would do now."
            ),
            code="preview_outdated",
            kind="conflict",
        )
        self.preview = preview
        self.previews = [preview]


def _future_slots(centre: Centre, now: datetime) -> dict[datetime, tuple[int, int, int]]:
    """{start: (slot id, booths, booths taken)} of the centre's future slots."""
    rows = Slot.objects.filter(centre=centre, starts_at__gt=now).values_list(
        "starts_at", "pk", "capacity", "booked"
    )
    return {starts_at: (pk, capacity, booked) for starts_at, pk, capacity, booked in rows}


class _RolledBack(Exception):
    pass


def _measure(change: CapacityObject, *, delete: bool, now: datetime) -> Preview:
    """Make the change and regenerate the slots in a savepoint, read the difference,
    roll it back. Call inside a transaction."""
    centre = change.centre
    before = _future_slots(centre, now)
    pk, adding = change.pk, change._state.adding
    result = GenerationResult()
    after: dict[datetime, tuple[int, int, int]] = {}
    try:
        with transaction.atomic():
            if delete:
                change.delete()
            else:
                change.save()
            result = centre_slots_generate(centre=centre, strict=False, now=now)
            after = _future_slots(centre, now)
            raise _RolledBack
    except _RolledBack:
        pass
    finally:
        change.pk, change._state.adding = pk, adding
    return _preview(centre, before, after, result, now)


def _preview(
    centre: Centre,
    before: dict[datetime, tuple[int, int, int]],
    after: dict[datetime, tuple[int, int, int]],
    result: GenerationResult,
    now: datetime,
) -> Preview:
    tz = centre.tz
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    stranded_slot_ids = set(result.stranded)
    gained_at: list[tuple[datetime, int]] = []  # (start, new free booths)
    for start in sorted(set(before) | set(after)):
        day = timezone.localtime(start, tz).date()
        old = before.get(start)
        new = after.get(start)
        old_capacity = old[1] if old else 0
        if old and old[0] in stranded_slot_ids:
            # Left as it is by the regeneration; the rules give it fewer booths.
            new_capacity = old[2] - result.stranded[old[0]]
        else:
            new_capacity = new[1] if new else 0
        counts = per_day[day]
        if old_capacity == 0 and new_capacity > 0:
            counts[0] += 1
        elif old_capacity > 0 and new_capacity == 0:
            counts[1] += 1
        if new_capacity > old_capacity:
            counts[2] += new_capacity - old_capacity
            taken = old[2] if old else 0
            free_before = max(old_capacity - taken, 0)
            gained_at.append((start, new_capacity - taken - free_before))
        elif new_capacity < old_capacity:
            counts[3] += old_capacity - new_capacity
    days = [DayChange(day, *counts) for day, counts in sorted(per_day.items()) if any(counts)]
    stranded = list(
        Appointment.objects.filter(slot_id__in=stranded_slot_ids, status__in=Appointment.ACTIVE)
        .select_related("slot", "application")
        .order_by("slot__starts_at", "created_at", "pk")
    )
    return Preview(
        centre=centre,
        days=days,
        stranded=stranded,
        booths_missing=result.stranded_bookings,
        stranded_slots=sorted(stranded_slot_ids),
        waitlist=_served(centre, [(s, n) for s, n in gained_at if n > 0], now),
    )


def _served(
    centre: Centre, gained: list[tuple[datetime, int]], now: datetime
) -> list[WaitlistRequest]:
    """The active earlier-time requests, oldest first, that the new free booths would
    serve: each takes one booth at a time it wants (centre, local days, time of day)."""
    if not gained:
        return []
    horizon = now + timedelta(days=settings.SLOT_HORIZON_DAYS + 1)
    free = {start: booths for start, booths in gained if now < start <= horizon}
    served: list[WaitlistRequest] = []
    requests = WaitlistRequest.objects.filter(
        status=WaitlistRequest.Status.ACTIVE, centres=centre
    ).select_related("application", "appointment__slot")
    for request in requests.order_by("created_at", "id"):
        for start in sorted(free):
            local = timezone.localtime(start, centre.tz)
            moving = request.appointment
            if (
                free[start] > 0
                and request.earliest <= local.date() <= request.latest
                and request.wants_time(local.time())
                and (moving is None or start < moving.slot.starts_at)
            ):
                free[start] -= 1
                served.append(request)
                break
    return served


def _lock(centre_id: int, now: datetime) -> Centre:
    """Lock the centre, then its future slots (as the slot regeneration does): no booking
    can change them before the caller commits."""
    centre = Centre.objects.select_for_update().get(pk=centre_id)
    list(
        Slot.objects.select_for_update()
        .filter(centre=centre, starts_at__gt=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return centre


def capacity_change_preview(
    *, change: CapacityObject, delete: bool = False, now: datetime | None = None
) -> Preview:
    """What saving (or deleting) ``change`` would do; nothing is changed."""
    if not delete:
        change.full_clean()
    with transaction.atomic():
        return _measure(change, delete=delete, now=now or timezone.now())


def capacity_change_apply(
    *,
    change: CapacityObject,
    fingerprint: str,
    actor: Actor,
    delete: bool = False,
    now: datetime | None = None,
) -> GenerationResult:
    """Apply a previewed change, in one transaction: lock the centre and its future slots
    (no booking can change them until the commit), work the preview out again, refuse
    with the new one (``PreviewOutdated``) if it differs, then save or delete with the
    existing capacity services (which refuse a change that strands bookings)."""
    now = now or timezone.now()
    if not delete:
        change.full_clean()
    with transaction.atomic():
        _lock(change.centre_id, now)
        preview = _measure(change, delete=delete, now=now)
        if preview.fingerprint != fingerprint:
            raise PreviewOutdated(preview)
        if delete:
            return capacity_change_delete(obj=change, actor=actor)
        return capacity_change_save(obj=change, actor=actor)


def capacity_close_and_move(
    *, closure: Closure, fingerprint: str, actor: Actor, now: datetime | None = None
) -> tuple[GenerationResult, list[Appointment]]:
    """Close, moving people first — in one transaction, as previewed (else
    ``PreviewOutdated``): each appointment the closure strands is cancelled ("centre
    closed"), its applicant told in their language and put at the head of this centre's
    earlier-time queue with automatic rebooking; then the closure is saved.

    Order: by the cancelled appointment's time, soonest first (ties: who booked first),
    so the people who were to come soonest get the first booth freed or added; all of
    them ahead of every ordinary request."""
    now = now or timezone.now()
    closure.full_clean()
    with transaction.atomic():
        centre = _lock(closure.centre_id, now)
        preview = _measure(closure, delete=False, now=now)
        if preview.fingerprint != fingerprint:
            raise PreviewOutdated(preview)
        moved = []
        for appointment in preview.stranded:  # soonest first, then who booked first
            cancelled = appointment_cancel_for_closure(
                appointment=appointment, actor=actor, now=now
            )
            waitlist_request_first_in_line(
                application=appointment.application, centre=centre, actor=actor, now=now
            )
            moved.append(cancelled)
        # Times held at those slots (someone confirming) end too: the slots go.
        for hold in SlotHold.objects.filter(slot_id__in=preview.stranded_slots).order_by("pk"):
            hold_end(hold, announce=False)
        result = capacity_change_save(obj=closure, actor=actor)
        audit_record(
            actor=actor,
            action="closure.people_moved_first",
            target=closure,
            centre=centre.pk,
            appointments=[a.pk for a in moved],
        )
    return result, moved


# --- One change at several centres (programme administrators) ----------------------------


def change_copies(change: CapacityObject, centres: list[Centre]) -> list[CapacityObject]:
    """The same change at each of ``centres`` (unsaved), in centre order: the order locks
    are taken in, so two of these at once cannot deadlock."""
    fields = {
        f.attname: getattr(change, f.attname)
        for f in change._meta.concrete_fields
        if f.attname not in ("id", "centre_id")
    }
    model = type(change)
    return [model(**fields, centre=c) for c in sorted(centres, key=lambda c: c.pk)]


def combined_fingerprint(previews: list[Preview]) -> str:
    text = ",".join(p.fingerprint for p in previews)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def capacity_changes_preview(
    *, changes: list[CapacityObject], now: datetime | None = None
) -> list[Preview]:
    """The combined preview of one change made at several centres; nothing is changed."""
    now = now or timezone.now()
    for change in changes:
        change.full_clean()
    with transaction.atomic():
        return [_measure(change, delete=False, now=now) for change in changes]


def capacity_changes_apply(
    *,
    changes: list[CapacityObject],
    fingerprint: str,
    actor: Actor,
    now: datetime | None = None,
) -> list[GenerationResult]:
    """Apply one change at several centres in one transaction, all or none, only if the
    combined preview is unchanged (else ``PreviewOutdated`` with the first centre's new
    preview, and the whole combined one on ``previews``)."""
    now = now or timezone.now()
    for change in changes:
        change.full_clean()
    with transaction.atomic():
        for change in changes:
            _lock(change.centre_id, now)
        previews = [_measure(change, delete=False, now=now) for change in changes]
        if combined_fingerprint(previews) != fingerprint:
            outdated = PreviewOutdated(previews[0])
            outdated.previews = previews
            raise outdated
        return [capacity_change_save(obj=change, actor=actor) for change in changes]
