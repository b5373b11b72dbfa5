"""Every write to centres and their capacity.

Capacity changes (opening rules, closures, extra staffing) are applied together with
the slot regeneration they cause, in one transaction: a change that would leave a
booking without a booth is refused and nothing is saved.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol, cast
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.translation import ngettext

from centres.models import Centre, Closure, ExtraCapacity, OpeningRule, Slot
from common.actors import Actor
from common.audit import audit_record
from common.errors import ApplicationError
from common.outbox import outbox_put

# The earlier-time waitlist's topic (interviews.services.booths.SLOT_FREED): slots that
# gained a free booth are matched against it after the commit. Named here rather than
# imported so that centres does not depend on interviews.
SLOT_FREED = "waitlist.slot_freed"
# A capacity change, for partner systems: the webhooks app (above this one) handles the
# topic and turns it into its "capacity.changed" event.
CAPACITY_CHANGED = "centres.capacity_changed"


class CapacityError(ApplicationError):
    pass


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int


@dataclass
class GenerationResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    # Booked slots the rules no longer give enough booths: {slot id: bookings affected}.
    stranded: dict[int, int] = field(default_factory=dict)

    @property
    def stranded_bookings(self) -> int:
        return sum(self.stranded.values())


def _local_times(day: date, rule: OpeningRule, tz: tzinfo) -> Iterator[datetime]:
    """Slot starts of one rule on one local day, as aware local datetimes.

    Wall-clock arithmetic: an 08:00 rule starts at 08:00 local on both sides of a DST
    change. A wall time that does not exist (the spring-forward gap) is skipped; an
    ambiguous one (the fall-back hour) is taken once, at its first occurrence.
    """
    step = timedelta(minutes=rule.slot_minutes)
    start = datetime.combine(day, rule.opens_at)
    close = datetime.combine(day, rule.closes_at)
    while start + step <= close:
        local = start.replace(tzinfo=tz, fold=0)
        round_trip = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip == start:
            yield local
        start += step


def slots_plan(
    *,
    centre: Centre,
    first_day: date,
    last_day: date,
    rules: Iterable[OpeningRule],
    closures: Iterable[Closure],
    extras: Iterable[ExtraCapacity],
) -> dict[datetime, PlannedSlot]:
    """The slots a centre should have from ``first_day`` to ``last_day`` (local days)."""
    tz = centre.tz
    rules, closures, extras = list(rules), list(closures), list(extras)
    plan: dict[datetime, PlannedSlot] = {}
    day = first_day
    while day <= last_day:
        closed = [c for c in closures if c.covers(day)]
        extra = [e for e in extras if e.covers(day)]
        for rule in rules:
            if not rule.applies_on(day):
                continue
            for local in _local_times(day, rule, tz):
                start = local.time()
                if any(c.covers_slot(day, start) for c in closed):
                    continue
                starts_at = local.astimezone(UTC)
                plan.setdefault(
                    starts_at,
                    PlannedSlot(
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(minutes=rule.slot_minutes),
                        capacity=rule.booths
                        + sum(e.extra_booths for e in extra if e.covers_slot(day, start)),
                    ),
                )
        day += timedelta(days=1)
    return plan


def centre_slots_generate(
    *, centre: Centre, strict: bool = False, now: datetime | None = None
) -> GenerationResult:
    """Bring a centre's future slots in line with its rules, up to the horizon.

    1. Lock the centre row (one capacity change per centre at a time), then its future
       slots in primary-key order, so no booking changes ``booked`` under us.
    2. Plan the slots the rules, closures and extra staffing give.
    3. Create the missing slots; update capacity where it changed; remove unbooked slots
       the plan no longer has (a slot that past appointments point to is closed, with
       capacity 0, instead of deleted).
    4. A booked slot is never moved or cut below its bookings. With ``strict`` (an
       administrator's change) any such slot refuses the whole change with a
       ``CapacityError``; without it (the periodic job) the slot is left as it is.
    """
    now = now or timezone.now()
    result = GenerationResult()
    with transaction.atomic():
        centre = Centre.objects.select_for_update().get(pk=centre.pk)
        first_day = now.astimezone(centre.tz).date()
        last_day = first_day + timedelta(days=settings.SLOT_HORIZON_DAYS)
        horizon_end = datetime.combine(
            last_day + timedelta(days=1), datetime.min.time(), tzinfo=centre.tz
        )
        plan: dict[datetime, PlannedSlot] = {}
        if centre.takes_appointments and centre.is_active:
            planned_slots = slots_plan(
                centre=centre,
                first_day=first_day,
                last_day=last_day,
                rules=centre.opening_rules.all(),
                closures=centre.closures.filter(last_day__gte=first_day),
                extras=centre.extra_capacity.filter(last_day__gte=first_day),
            )
            plan = {start: p for start, p in planned_slots.items() if start > now}
        existing = list(
            Slot.objects.select_for_update()
            .filter(centre=centre, starts_at__gt=now, starts_at__lt=horizon_end)
            .order_by("pk")
        )
        to_update: list[Slot] = []
        to_remove: list[int] = []
        freed: list[Slot] = []
        for slot in existing:
            planned = plan.pop(slot.starts_at, None)
            capacity = planned.capacity if planned else 0
            ends_at = planned.ends_at if planned else slot.ends_at
            if capacity < slot.booked:
                result.stranded[slot.pk] = slot.booked - capacity
            elif planned is None:
                if slot.capacity:  # a closed slot (capacity 0) is already as removed as it gets
                    to_remove.append(slot.pk)
            elif (slot.capacity, slot.ends_at) != (capacity, ends_at):
                if capacity > max(slot.capacity, slot.booked):
                    freed.append(slot)  # more booths than before, and some are free
                slot.capacity, slot.ends_at = capacity, ends_at
                to_update.append(slot)
        if strict and result.stranded:
            raise CapacityError(
                _stranded_message(result.stranded_bookings),
                code="would_strand_bookings",
                extra={"bookings": result.stranded_bookings},
            )
        Slot.objects.bulk_update(to_update, ["capacity", "ends_at"], batch_size=500)
        result.updated = len(to_update)
        result.removed = _slots_remove(to_remove)
        created = Slot.objects.bulk_create(
            [
                Slot(centre=centre, starts_at=p.starts_at, ends_at=p.ends_at, capacity=p.capacity)
                for p in plan.values()
            ],
            batch_size=500,
        )
        result.created = len(created)
        _slots_freed_announce(centre, [*freed, *(s for s in created if s.capacity)])
    return result


def _slots_freed_announce(centre: Centre, slots: list[Slot]) -> None:
    """One outbox message per regeneration that opened booths, listing the slots,
    soonest first: the waitlist matcher checks cheaply whether any request could want
    them (usually none: the periodic job only adds the horizon's new day)."""
    if not slots:
        return
    slot_ids = [s.pk for s in sorted(slots, key=lambda s: s.starts_at)]
    if None in slot_ids:  # a backend that does not return the created rows' keys
        starts = [s.starts_at for s in slots]
        slot_ids = list(
            Slot.objects.filter(centre=centre, starts_at__in=starts)
            .order_by("starts_at")
            .values_list("pk", flat=True)
        )
    outbox_put(
        topic=SLOT_FREED,
        key=f"slot.freed:centre:{centre.pk}:{uuid4().hex}",
        centre=centre.pk,
        slots=slot_ids,
    )


def _stranded_message(count: int) -> str:
    return ngettext(
        "This change would leave %(count)d booked appointment without a booth. "
        "Reschedule or cancel it first, or change the dates.",
        "This change would leave %(count)d booked appointments without a booth. "
        "Reschedule or cancel them first, or change the dates.",
        count,
    ) % {"count": count}


class _RefersToSlot(Protocol):
    """A row that keeps a slot from being deleted (bookings: an appointment, a held time,
    a waitlist offer), each by its foreign key ``slot``; centres does not import them."""

    slot_id: int


def _slots_remove(slot_ids: list[int]) -> int:
    """Delete unbooked slots; close (capacity 0) those that past appointments refer to."""
    if not slot_ids:
        return 0
    queryset = Slot.objects.filter(pk__in=slot_ids, booked=0)
    try:
        with transaction.atomic():
            queryset.delete()
    except ProtectedError as exc:
        kept = {obj.slot_id for obj in cast("Iterable[_RefersToSlot]", exc.protected_objects)}
        queryset.exclude(pk__in=kept).delete()
        queryset.filter(pk__in=kept).update(capacity=0)
    return len(slot_ids)


CapacityObject = OpeningRule | Closure | ExtraCapacity


def capacity_described(obj: CapacityObject) -> dict[str, str]:
    """The change's own values, as the audit row keeps them (before → after)."""
    return {
        field.name: "" if getattr(obj, field.attname) is None else str(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if field.name not in ("id", "centre")
    }


def capacity_change_save(*, obj: CapacityObject, actor: Actor) -> GenerationResult:
    """Save an opening rule, closure or extra capacity and regenerate the centre's slots.

    Refused with ``CapacityError`` (and nothing saved) if it would strand bookings.
    """
    obj.full_clean()
    with transaction.atomic():
        created = obj.pk is None
        stored = None if created else type(obj).objects.filter(pk=obj.pk).first()
        obj.save()
        result = centre_slots_generate(centre=obj.centre, strict=True)
        audit_record(
            actor=actor,
            action=f"{obj._meta.model_name}.{'created' if created else 'changed'}",
            target=obj,
            centre=obj.centre_id,
            before=capacity_described(stored) if stored is not None else {},
            after=capacity_described(obj),
            slots_created=result.created,
            slots_updated=result.updated,
            slots_removed=result.removed,
        )
        _capacity_changed_announce(obj, "created" if created else "changed", result)
    return result


def _capacity_changed_announce(obj: CapacityObject, action: str, result: GenerationResult) -> None:
    change_id = uuid4().hex
    outbox_put(
        topic=CAPACITY_CHANGED,
        key=f"capacity.changed:{change_id}",
        change_id=change_id,
        centre=obj.centre_id,
        change=obj._meta.model_name,
        action=action,
        slots_created=result.created,
        slots_updated=result.updated,
        slots_removed=result.removed,
    )


def capacity_change_delete(*, obj: CapacityObject, actor: Actor) -> GenerationResult:
    """Delete an opening rule, closure or extra capacity; refused if it strands bookings."""
    pk = obj.pk
    try:
        with transaction.atomic():
            centre = obj.centre
            audit_record(
                actor=actor,
                action=f"{obj._meta.model_name}.deleted",
                target=obj,
                centre=centre.pk,
                before=capacity_described(obj),
                after={},
            )
            obj.delete()
            result = centre_slots_generate(centre=centre, strict=True)
            _capacity_changed_announce(obj, "deleted", result)
            return result
    except CapacityError:
        obj.pk = pk  # the delete was rolled back: the object still exists
        raise


def capacity_change_check(*, obj: CapacityObject, delete: bool = False) -> None:
    """Dry run of a capacity change: raise ``CapacityError`` if it would strand bookings.

    The change is really applied and the slots really regenerated, then rolled back, so
    the answer comes from the same code that will apply it.
    """

    class _DryRun(Exception):
        pass

    pk, adding = obj.pk, obj._state.adding
    try:
        with transaction.atomic():
            centre = obj.centre
            if delete:
                obj.delete()
            else:
                obj.save()
            centre_slots_generate(centre=centre, strict=True)
            raise _DryRun
    except _DryRun:
        pass
    finally:
        obj.pk, obj._state.adding = pk, adding


def centres_slots_generate_all(*, now: datetime | None = None) -> dict[int, GenerationResult]:
    """The periodic job: extend every bookable centre's slots to the horizon."""
    results: dict[int, GenerationResult] = {}
    for centre in Centre.objects.filter(takes_appointments=True, is_active=True).order_by("pk"):
        results[centre.pk] = centre_slots_generate(centre=centre, now=now)
    return results
