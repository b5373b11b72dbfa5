"""What the programme-figures dashboard reads: the recorded days (``FiguresDay``,
``CentreDay``) summed by week or month in the database, the inventory's peak, and each
centre's soonest open time today. A fixed handful of queries, whatever the range.

Also the live counts the nightly recording takes (``inventory_now``), so the rule of who
is in the inventory is written once."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypedDict, cast

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from centres.models import Centre, StaffProfile
from centres.selectors import centres_with_soonest_slot, is_programme_admin, staff_profile_of
from common.actors import Actor
from enrolment.models import Application
from figures.models import CentreDay, FiguresDay
from interviews.models import TERMINAL_STATES, Interview

Grain = Literal["week", "month"]

S = Interview.State
# The path a centre's interviews belong to: where CBSA or the joint interview is booked,
# and where the CBP part is done (the airport path's at a preclearance area).
PATH_OF_KIND: dict[str, str] = {
    Centre.Kind.AIRPORT_ENROLMENT: Application.Path.AIRPORT,
    Centre.Kind.PRECLEARANCE: Application.Path.AIRPORT,
    Centre.Kind.LAND_BORDER: Application.Path.JOINT,
    Centre.Kind.SPLIT_SITE: Application.Path.SPLIT_SITE,
}
PATHS: tuple[str, ...] = tuple(Application.Path.values)


class Inventory(TypedDict):
    inventory: int
    inventory_to_book: int
    inventory_booked: int
    inventory_between_parts: int
    inventory_under_review: int
    airport_waiting_for_cbp: int


def inventory_now() -> Inventory:
    """The net inventory of applicants now: conditionally approved, not yet enrolled,
    refused or expired (a withdrawn application is out), by where they are; and the
    airport-path applicants whose CBSA part is done and CBP part is not. One query."""
    between = [S.CBSA_PASSED, S.SHARED_WITH_CBP, S.CBP_PASSED]
    counts = (
        Application.objects.filter(status=Application.Status.CONDITIONALLY_APPROVED)
        .exclude(interview__state__in=TERMINAL_STATES)
        .aggregate(
            inventory=Count("pk"),
            inventory_to_book=Count(
                "pk", filter=Q(interview__isnull=True) | Q(interview__state=S.NO_SHOW)
            ),
            inventory_booked=Count("pk", filter=Q(interview__state=S.AWAITING_INTERVIEW)),
            inventory_between_parts=Count("pk", filter=Q(interview__state__in=between)),
            inventory_under_review=Count("pk", filter=Q(interview__state=S.UNDER_REVIEW)),
            airport_waiting_for_cbp=Count(
                "pk",
                filter=Q(
                    path=Application.Path.AIRPORT,
                    interview__state__in=[S.CBSA_PASSED, S.SHARED_WITH_CBP],
                ),
            ),
        )
    )
    return Inventory(
        inventory=counts["inventory"],
        inventory_to_book=counts["inventory_to_book"],
        inventory_booked=counts["inventory_booked"],
        inventory_between_parts=counts["inventory_between_parts"],
        inventory_under_review=counts["inventory_under_review"],
        airport_waiting_for_cbp=counts["airport_waiting_for_cbp"],
    )


def may_see_figures(user: Actor) -> bool:
    """Programme administrators (every centre) and centre administrators (theirs)."""
    if is_programme_admin(user):
        return True
    profile = staff_profile_of(user)
    return profile is not None and profile.role == StaffProfile.Role.CENTRE_ADMIN


def centres_in_scope(user: Actor) -> QuerySet[Centre]:
    """The centres whose figures ``user`` may see: every active centre for a programme
    administrator, a centre administrator's own; nothing for anyone else."""
    centres = Centre.objects.filter(is_active=True).order_by("name")
    if is_programme_admin(user):
        return centres
    profile = staff_profile_of(user)
    if profile is None or profile.role != StaffProfile.Role.CENTRE_ADMIN:
        return centres.none()
    return centres.filter(pk__in=profile.centres.values("pk"))


def last_recorded_day() -> date | None:
    return FiguresDay.objects.order_by("-day").values_list("day", flat=True).first()


@dataclass
class Period:
    """One week (from its Monday) or month of the range, clipped to the range."""

    start: date
    end: date
    partial: bool = False  # the range cuts the week or month short
    enrolled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PATHS, 0))
    cbsa_passed: int = 0
    cbp_passed: int = 0
    cumulative: int = 0
    cbp_after_share: int = 0
    cbp_after_share_days: int = 0
    # The last recorded inventory in the period, and the day it was taken.
    inventory: int | None = None
    inventory_day: date | None = None
    airport_waiting_for_cbp: int | None = None

    @property
    def enrolled_total(self) -> int:
        return sum(self.enrolled.values())

    @property
    def days_share_to_cbp(self) -> float | None:
        """Airport path: the mean days from the CBSA share to the CBP part."""
        if not self.cbp_after_share:
            return None
        return self.cbp_after_share_days / self.cbp_after_share


@dataclass
class CentreFigures:
    centre: Centre
    path: str
    cbsa_passed: int = 0
    cbp_passed: int = 0
    enrolled: int = 0
    booths_offered: int = 0
    booths_booked: int = 0
    attended: int = 0
    no_shows: int = 0
    cbp_after_share: int = 0
    cbp_after_share_days: int = 0
    soonest_open_at: datetime | None = None
    soonest_days: int | None = None

    @property
    def utilisation(self) -> float | None:
        """Booked ÷ offered booths (None where none were offered: a walk-in area)."""
        return self.booths_booked / self.booths_offered if self.booths_offered else None

    @property
    def no_show_rate(self) -> float | None:
        """Missed ÷ (interviewed + missed)."""
        seen = self.attended + self.no_shows
        return self.no_shows / seen if seen else None

    @property
    def no_show_percent(self) -> float | None:
        rate = self.no_show_rate
        return None if rate is None else 100 * rate


@dataclass(frozen=True)
class Peak:
    day: date
    inventory: int


@dataclass
class Figures:
    start: date
    end: date
    grain: Grain
    periods: list[Period]
    centres: list[CentreFigures]
    peak: Peak | None
    latest: FiguresDay | None
    days_recorded: int

    @property
    def enrolled_total(self) -> int:
        return sum(p.enrolled_total for p in self.periods)

    @property
    def change_since_peak(self) -> int | None:
        if self.peak is None or self.latest is None or self.latest.inventory is None:
            return None
        return self.latest.inventory - self.peak.inventory

    def total(self, name: str) -> int:
        return sum(int(getattr(c, name)) for c in self.centres)

    @property
    def total_offered(self) -> int:
        return self.total("booths_offered")

    @property
    def total_booked(self) -> int:
        return self.total("booths_booked")

    @property
    def utilisation(self) -> float | None:
        offered = self.total_offered
        return self.total_booked / offered if offered else None

    @property
    def no_show_percent(self) -> float | None:
        rate = self.no_show_rate
        return None if rate is None else 100 * rate

    @property
    def no_show_rate(self) -> float | None:
        seen = self.total("attended") + self.total("no_shows")
        return self.total("no_shows") / seen if seen else None

    @property
    def days_share_to_cbp(self) -> float | None:
        waits = sum(p.cbp_after_share for p in self.periods)
        return sum(p.cbp_after_share_days for p in self.periods) / waits if waits else None


def period_start(day: date, grain: Grain) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next_period(start: date, grain: Grain) -> date:
    if grain == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _periods(start: date, end: date, grain: Grain) -> list[Period]:
    periods: list[Period] = []
    first = period_start(start, grain)
    while first <= end:
        following = _next_period(first, grain)
        last = following - timedelta(days=1)
        periods.append(
            Period(start=max(first, start), end=min(last, end), partial=first < start or last > end)
        )
        first = following
    return periods


_SUMMED = (
    "booths_offered",
    "booths_booked",
    "attended",
    "no_shows",
    "cbsa_passed",
    "cbp_passed",
    "enrolled",
    "cbp_after_share",
    "cbp_after_share_days",
)


def programme_figures(
    *, centres: list[Centre], start: date, end: date, grain: Grain, now: datetime | None = None
) -> Figures:
    """The dashboard's figures for ``centres`` from ``start`` to ``end`` (both included),
    by ``grain``. The inventory is the programme's (an applicant belongs to no centre
    until they book); everything else is the chosen centres'."""
    now = now or timezone.now()
    periods = _periods(start, end, grain)
    by_start = {period_start(p.start, grain): p for p in periods}
    figures = {c.pk: CentreFigures(centre=c, path=PATH_OF_KIND.get(c.kind, "")) for c in centres}
    trunc = TruncWeek("day") if grain == "week" else TruncMonth("day")
    rows = (
        CentreDay.objects.filter(day__gte=start, day__lte=end, centre__in=list(figures))
        .annotate(period=trunc)
        .values("period", "centre_id")
        .annotate(**{name: Sum(name) for name in _SUMMED})
        .order_by()
        .values_list("period", "centre_id", *_SUMMED)
    )
    for truncated, centre_id, *sums in rows:
        period = by_start[_as_date(truncated)]
        centre = figures[centre_id]
        summed = dict(zip(_SUMMED, (value or 0 for value in sums), strict=True))
        for name, value in summed.items():
            setattr(centre, name, getattr(centre, name) + value)
        if centre.path:
            period.enrolled[centre.path] += summed["enrolled"]
        for name in ("cbsa_passed", "cbp_passed", "cbp_after_share", "cbp_after_share_days"):
            setattr(period, name, getattr(period, name) + summed[name])
    running = 0
    for period in periods:
        running += period.enrolled_total
        period.cumulative = running
    days = FiguresDay.objects.filter(day__gte=start, day__lte=end).order_by("day")
    recorded_days = 0
    for day, inventory, waiting in days.values_list("day", "inventory", "airport_waiting_for_cbp"):
        recorded_days += 1
        if inventory is not None:
            period = by_start[period_start(day, grain)]
            period.inventory, period.inventory_day = inventory, day
            period.airport_waiting_for_cbp = waiting
    recorded = FiguresDay.objects.filter(inventory__isnull=False)
    peak_row = recorded.order_by("-inventory", "day").values_list("day", "inventory").first()
    _soonest(figures, now)
    return Figures(
        start=start,
        end=end,
        grain=grain,
        periods=periods,
        centres=list(figures.values()),
        peak=Peak(day=peak_row[0], inventory=peak_row[1] or 0) if peak_row else None,
        latest=recorded.order_by("-day").first(),
        days_recorded=recorded_days,
    )


def _soonest(figures: dict[int, CentreFigures], now: datetime) -> None:
    """Each bookable centre's soonest open time, and the days from its today to it."""
    bookable = [pk for pk, f in figures.items() if f.centre.takes_appointments]
    if not bookable:
        return
    soonest = centres_with_soonest_slot(after=now).filter(pk__in=bookable)
    for annotated in soonest:
        centre = figures[annotated.pk]
        at: datetime | None = cast(Any, annotated).soonest_open_at
        centre.soonest_open_at = at
        if at is not None:
            tz = centre.centre.tz
            centre.soonest_days = (at.astimezone(tz).date() - now.astimezone(tz).date()).days


def _as_date(value: date | datetime) -> date:
    # TruncWeek/TruncMonth of a DateField is a date on PostgreSQL and SQLite alike; a
    # datetime would only come from a backend that truncates to timestamps.
    return value.date() if isinstance(value, datetime) else value
