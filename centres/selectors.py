from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from centres.models import Centre, Closure, OpeningRule, Slot, StaffProfile, Weekday
from common.actors import Actor


def slots_soonest_open(
    *, centre: Centre, after: datetime | None = None, limit: int = 10
) -> QuerySet[Slot]:
    """The soonest open slots of one centre: an index-ordered scan of open slots."""
    after = after or timezone.now()
    return (
        Slot.objects.open().filter(centre=centre, starts_at__gt=after).order_by("starts_at")[:limit]
    )


def centres_with_soonest_slot(
    *,
    kinds: list[str] | None = None,
    region: str | None = None,
    country: str | None = None,
    after: datetime | None = None,
) -> QuerySet[Centre]:
    """Active centres, each annotated with ``soonest_open_at`` (None if nothing is open).

    One query: a correlated subquery per centre that the partial index
    ``slot_open_by_centre_start`` answers with a single index probe.
    """
    after = after or timezone.now()
    soonest = (
        Slot.objects.open()
        .filter(centre=OuterRef("pk"), starts_at__gt=after)
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    centres = Centre.objects.filter(is_active=True)
    if kinds:
        centres = centres.filter(kind__in=kinds)
    if region:
        centres = centres.filter(region=region)
    if country:
        centres = centres.filter(country=country)
    return centres.annotate(soonest_open_at=Subquery(soonest)).order_by("country", "region", "name")


def slots_open_on_day(
    *,
    centre: Centre,
    day: date,
    after: datetime | None = None,
    slots: QuerySet[Slot] | None = None,
) -> QuerySet[Slot]:
    """Open slots of a centre on one of its local days (of ``slots``: by default those
    with a free booth)."""
    after = after or timezone.now()
    start = datetime.combine(day, time.min, tzinfo=centre.tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=centre.tz)
    return (
        (Slot.objects.open() if slots is None else slots)
        .filter(centre=centre, starts_at__gte=max(start, after), starts_at__lt=end)
        .order_by("starts_at")
    )


def days_with_open_slots(
    *,
    centre: Centre,
    after: datetime | None = None,
    limit: int = 14,
    slots: QuerySet[Slot] | None = None,
) -> list[tuple[date, int]]:
    """The centre's next local days with open slots after ``after`` (of ``slots``: by
    default those with a free booth), and how many each."""
    after = after or timezone.now()
    rows = (
        (Slot.objects.open() if slots is None else slots)
        .filter(centre=centre, starts_at__gt=after)
        .annotate(day=TruncDate("starts_at", tzinfo=centre.tz))
        .values("day")
        .annotate(open_slots=Count("pk"))
        .order_by("day")[:limit]
    )
    return [(row["day"], row["open_slots"]) for row in rows]


def open_days_between(
    *,
    centre: Centre,
    first: date,
    last: date,
    after: datetime | None = None,
    slots: QuerySet[Slot] | None = None,
) -> dict[date, int]:
    """The centre's local days from ``first`` to ``last`` (both included) with open slots
    after ``after`` (of ``slots``: by default those with a free booth), and how many each:
    one query, for a month's calendar."""
    after = after or timezone.now()
    start = datetime.combine(first, time.min, tzinfo=centre.tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=centre.tz)
    rows = (
        (Slot.objects.open() if slots is None else slots)
        .filter(centre=centre, starts_at__gt=after, starts_at__gte=start, starts_at__lt=end)
        .annotate(day=TruncDate("starts_at", tzinfo=centre.tz))
        .values("day")
        .annotate(open_slots=Count("pk"))
        .order_by("day")
    )
    return {row["day"]: row["open_slots"] for row in rows}


def staff_profile_of(user: Actor) -> StaffProfile | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff_profile
    except StaffProfile.DoesNotExist:
        return None


def is_programme_admin(user: Actor) -> bool:
    if user is None or not user.is_authenticated:
        return False
    profile = staff_profile_of(user)
    return user.is_superuser or bool(profile and profile.role == StaffProfile.Role.PROGRAMME_ADMIN)


def centres_of_staff(user: Actor) -> QuerySet[Centre]:
    """The centres a staff member works at (every centre for a programme administrator)."""
    if is_programme_admin(user):
        return Centre.objects.filter(is_active=True)
    profile = staff_profile_of(user)
    if profile is None:
        return Centre.objects.none()
    return profile.centres.filter(is_active=True)


@dataclass(frozen=True)
class DayHours:
    """One weekday of a centre's week: its opening hours, earliest first (none: closed)."""

    weekday: int
    name: str
    hours: list[tuple[time, time]]


def centre_opening_hours(*, centre: Centre, today: date | None = None) -> list[DayHours]:
    """The centre's week, Monday first, as it stands for the next seven local days: each
    weekday's hours from the opening rules that apply on its next date (so a rule that
    starts next week already shows, and one that has ended does not). Booths and slot
    lengths are the centre's business, not the public's."""
    today = today or timezone.localdate(timezone=centre.tz)
    rules = list(
        OpeningRule.objects.filter(centre=centre, valid_from__lte=today + timedelta(days=6))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("weekday", "opens_at")
    )
    week = []
    for weekday, name in Weekday.choices:
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        hours = [(r.opens_at, r.closes_at) for r in rules if r.applies_on(day)]
        week.append(DayHours(weekday=weekday, name=str(name), hours=hours))
    return week


def centre_upcoming_closures(
    *, centre: Centre, today: date | None = None, limit: int = 20
) -> QuerySet[Closure]:
    """Closures of the centre that have not ended yet (in its local days), soonest first."""
    today = today or timezone.localdate(timezone=centre.tz)
    return Closure.objects.filter(centre=centre, last_day__gte=today).order_by(
        "first_day", "from_time"
    )[:limit]
