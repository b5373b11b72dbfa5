"""What the capacity console shows: a centre's week (booths offered, booked, held and
free at each time, closures and extra capacity, utilisation per day), and the centres an
administrator may manage. Centre administrators see their centres, programme
administrators all; anyone else nothing."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from centres.models import Centre, Closure, ExtraCapacity, OpeningRule, Slot, StaffProfile
from centres.selectors import is_programme_admin, staff_profile_of
from common.actors import Actor
from common.models import AuditEvent


def centres_managed_by(user: Actor) -> QuerySet[Centre]:
    """The bookable centres whose capacity ``user`` manages."""
    centres = Centre.objects.filter(takes_appointments=True, is_active=True).order_by("name")
    if is_programme_admin(user):
        return centres
    profile = staff_profile_of(user)
    if profile is None or profile.role != StaffProfile.Role.CENTRE_ADMIN:
        return centres.none()
    return centres.filter(pk__in=profile.centres.values("pk"))


def may_manage_capacity(user: Actor) -> bool:
    """A programme administrator, or a centre administrator (of any centre)."""
    if is_programme_admin(user):
        return True
    profile = staff_profile_of(user)
    return profile is not None and profile.role == StaffProfile.Role.CENTRE_ADMIN


def centre_managed_by(user: Actor, pk: int) -> Centre | None:
    return centres_managed_by(user).filter(pk=pk).first()


@dataclass(frozen=True)
class Cell:
    slot: Slot
    held: int  # booths kept by a live hold

    @property
    def booked(self) -> int:
        """Booths taken by appointments (``Slot.booked`` counts holds too)."""
        return self.slot.booked - self.held

    @property
    def free(self) -> int:
        return max(self.slot.capacity - self.slot.booked, 0)


@dataclass
class Day:
    day: date
    cells: dict[time, Cell] = field(default_factory=dict)
    closures: list[Closure] = field(default_factory=list)
    extras: list[ExtraCapacity] = field(default_factory=list)

    @property
    def offered(self) -> int:
        return sum(cell.slot.capacity for cell in self.cells.values())

    @property
    def booked(self) -> int:
        return sum(cell.booked for cell in self.cells.values())

    @property
    def held(self) -> int:
        return sum(cell.held for cell in self.cells.values())

    @property
    def free(self) -> int:
        return sum(cell.free for cell in self.cells.values())

    @property
    def utilisation(self) -> float | None:
        """Booked ÷ offered booths; None on a day with nothing offered."""
        return self.booked / self.offered if self.offered else None


@dataclass
class Week:
    centre: Centre
    monday: date
    days: list[Day]
    times: list[time]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    def rows(self) -> list[tuple[time, list[Cell | None]]]:
        return [(t, [day.cells.get(t) for day in self.days]) for t in self.times]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def centre_week(centre: Centre, monday: date, *, now: datetime | None = None) -> Week:
    """The centre's week from ``monday`` (local days and times): three queries whatever
    the week holds."""
    now = now or timezone.now()
    tz = centre.tz
    start = datetime.combine(monday, time.min, tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time.min, tzinfo=tz)
    slots = list(
        Slot.objects.filter(centre=centre, starts_at__gte=start, starts_at__lt=end)
        .annotate(held=Count("holds", filter=Q(holds__expires_at__gt=now)))
        .order_by("starts_at")
    )
    days = [Day(monday + timedelta(days=n)) for n in range(7)]
    times: set[time] = set()
    for slot in slots:
        local = timezone.localtime(slot.starts_at, tz)
        index = (local.date() - monday).days
        if 0 <= index < 7:
            days[index].cells[local.time()] = Cell(slot, slot.held)
            times.add(local.time())
    last = monday + timedelta(days=6)
    for closure in centre.closures.filter(first_day__lte=last, last_day__gte=monday):
        for day in days:
            if closure.covers(day.day):
                day.closures.append(closure)
    for extra in centre.extra_capacity.filter(first_day__lte=last, last_day__gte=monday):
        for day in days:
            if extra.covers(day.day):
                day.extras.append(extra)
    return Week(centre, monday, days, sorted(times))


def capacity_object(
    centre: Centre, kind: str, pk: int
) -> OpeningRule | Closure | ExtraCapacity | None:
    """One of the centre's opening rules (``rule``), closures or extra capacity (``extra``)."""
    if kind == "rule":
        return OpeningRule.objects.filter(centre=centre, pk=pk).first()
    if kind == "closure":
        return Closure.objects.filter(centre=centre, pk=pk).first()
    if kind == "extra":
        return ExtraCapacity.objects.filter(centre=centre, pk=pk).first()
    return None


def capacity_history(centre: Centre, *, limit: int = 30) -> QuerySet[AuditEvent]:
    """The centre's capacity changes, newest first: who, when, what."""
    return (
        AuditEvent.objects.filter(
            action__regex=r"^(openingrule|closure|extracapacity)\.", data__centre=centre.pk
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
