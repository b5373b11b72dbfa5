"""A synthetic history of the programme's figures, for the demonstration and the bench.

``history_load`` writes the ``FiguresDay`` and ``CentreDay`` rows that the nightly
recording (``figures.services``) would have written, for every past day that has none,
shaped like the published story of the programme: the net inventory of applicants rose
from about 250,000 in January 2022 to a peak of about 330,000 in July 2022, then fell by
about 100,000 within a year as capacity was added (and kept slowly falling); enrolments
ran at about 250 a day in the first half of 2022 and about 600 a day from late 2022 on
("over 200,000 since 1 October 2022").

Deterministic: each day's figures come from a ``random.Random`` seeded with the day (and
the centre), so the same day always gets the same figures whatever else was written.
Idempotent: a day that already has a ``FiguresDay`` (written earlier, or recorded for
real) is never touched.
"""

import random
from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.db import transaction

from centres.models import Centre
from figures.models import CentreDay, FiguresDay

HISTORY_START = date(2022, 1, 1)
BATCH_SIZE = 2000
# The nightly job records a day at 00:20 the next morning, Ottawa time.
RECORDED_AT = time(0, 20)
RECORDED_TZ = ZoneInfo("America/Toronto")

Knots = tuple[tuple[date, float], ...]

# The programme's curves, as (day, value) knots joined by a monotone cubic (no overshoot:
# the peak is where the knots put it). Past the last knot a curve stays flat.
INVENTORY: Knots = (
    (date(2022, 1, 1), 250_000),
    (date(2022, 7, 15), 330_000),
    (date(2023, 7, 15), 230_000),
    (date(2024, 7, 1), 198_000),
    (date(2025, 7, 1), 178_000),
    (date(2026, 7, 1), 165_000),
    (date(2027, 12, 31), 158_000),
)
# Airport path: CBSA part passed, CBP part not yet done.
WAITING_FOR_CBP: Knots = (
    (date(2022, 1, 1), 22_000),
    (date(2022, 7, 15), 30_000),
    (date(2023, 7, 15), 18_000),
    (date(2024, 7, 1), 12_500),
    (date(2026, 7, 1), 11_500),
)
# Capacity (and so throughput) relative to late 2022: booths added from autumn 2022.
CAPACITY: Knots = (
    (date(2022, 1, 1), 0.42),
    (date(2022, 8, 1), 0.45),
    (date(2022, 10, 15), 1.0),
    (date(2024, 1, 1), 1.05),
    (date(2026, 12, 31), 1.0),
)
# Airport path: mean days from the CBSA share to the CBP part at a preclearance area.
DAYS_SHARE_TO_CBP: Knots = (
    (date(2022, 1, 1), 40),
    (date(2022, 8, 15), 48),
    (date(2023, 6, 1), 28),
    (date(2024, 1, 1), 16),
    (date(2026, 12, 31), 14),
)
# Days ahead an applicant books: with the enrolment rate, the applicants booked.
BOOKING_LEAD_DAYS: Knots = (
    (date(2022, 1, 1), 45),
    (date(2022, 10, 1), 40),
    (date(2024, 1, 1), 25),
    (date(2026, 12, 31), 22),
)

# Enrolments completed a day, by path, at full (late-2022) capacity: about 610 in all.
AIRPORT_DAILY = 280  # CBSA part at an airport enrolment centre, CBP part at preclearance
JOINT_DAILY = 270  # US land-border joint interview
SPLIT_DAILY = 60  # CBSA part on the Canadian side, CBP part on the US side
# Weekday booth centres pass as much in five days as a walk-in area does in seven.
WEEK = 7 / 5
# Booked share of booths (80-97 %), attended share of booked (93-97 %), passed share of
# attended (about 96-97 %): booths offered for one completion.
BOOTHS_PER_PASS = 1 / (0.885 * 0.95 * 0.965)

# Relative size of the real centres (by TTP location id; a preclearance area takes its
# airport's, a split site's US side its Canadian side's). A centre not listed is average.
AIRPORT_WEIGHTS = {
    5027: 1.9,  # Toronto Pearson
    5026: 1.5,  # Vancouver
    5028: 1.3,  # Montréal-Trudeau
    5030: 1.0,  # Calgary
    5025: 0.7,  # Ottawa
    5032: 0.6,  # Edmonton
    5029: 0.5,  # Winnipeg
    5031: 0.5,  # Halifax
}
LAND_BORDER_WEIGHTS = {
    5020: 2.4,  # Blaine
    16511: 1.8,  # Detroit
    5021: 1.5,  # Champlain
    5161: 1.4,  # Niagara Falls
    5024: 1.1,  # Port Huron
    5223: 0.9,  # Derby Line
    16546: 0.9,  # Ogdensburg
    5080: 0.7,  # Sault Ste. Marie
    5500: 0.7,  # Calais
    5120: 0.6,  # Sweetgrass
    5160: 0.6,  # International Falls
    5100: 0.5,  # Pembina
    5101: 0.5,  # Houlton
    5060: 0.4,  # Warroad
}
SPLIT_SITE_WEIGHTS = {5022: 1.3, 5520: 0.7}  # Fort Erie (Peace Bridge), Lansdowne
K = Centre.Kind
DAILY: dict[str, tuple[int, dict[int, float]]] = {
    K.AIRPORT_ENROLMENT: (AIRPORT_DAILY, AIRPORT_WEIGHTS),
    K.PRECLEARANCE: (AIRPORT_DAILY, AIRPORT_WEIGHTS),
    K.LAND_BORDER: (JOINT_DAILY, LAND_BORDER_WEIGHTS),
    K.SPLIT_SITE: (SPLIT_DAILY, SPLIT_SITE_WEIGHTS),
}
# A walk-in preclearance area through the week (Monday first): 1 on average.
WALK_IN_WEEKDAY = (1.09, 1.09, 1.09, 1.09, 1.09, 0.75, 0.80)


def history_load(
    *, today: date, start: date = HISTORY_START, centres: list[Centre] | None = None
) -> int:
    """Write the figures of every day from ``start`` to the day before ``today`` that has
    no ``FiguresDay`` yet: the day's inventory and a ``CentreDay`` for each of
    ``centres`` (every active centre by default). Returns the number of days written."""
    if centres is None:
        centres = list(Centre.objects.filter(is_active=True))
    done = set(
        FiguresDay.objects.filter(day__gte=start, day__lt=today).values_list("day", flat=True)
    )
    every_day = (start + timedelta(days=n) for n in range((today - start).days))
    days = [day for day in every_day if day not in done]
    if not days:
        return 0
    plans = _plans(centres)
    figures_days: list[FiguresDay] = []
    centre_days: list[CentreDay] = []
    for day in days:
        figures_days.append(_figures_day(day))
        capacity = _curve(CAPACITY, day)
        wait = _curve(DAYS_SHARE_TO_CBP, day)
        centre_days.extend(_centre_day(day, plan, capacity, wait) for plan in plans)
    with transaction.atomic():
        FiguresDay.objects.bulk_create(figures_days, batch_size=BATCH_SIZE)
        # A centre's row left without its day's FiguresDay (that day deleted by hand) is
        # kept as it is, like the rest of a recorded day.
        CentreDay.objects.bulk_create(centre_days, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(days)


# --- The programme ------------------------------------------------------------------


def _figures_day(day: date) -> FiguresDay:
    rng = random.Random(day.toordinal())
    inventory = round(_curve(INVENTORY, day) * rng.gauss(1, 0.002))
    waiting = round(_curve(WAITING_FOR_CBP, day) * rng.gauss(1, 0.01))
    # Between the parts: the airport path's, and a few joint and split-site applicants.
    between = waiting + round(inventory * 0.012 * rng.uniform(0.9, 1.1))
    enrolled_a_day = (AIRPORT_DAILY + JOINT_DAILY + SPLIT_DAILY) * _curve(CAPACITY, day)
    booked = round(enrolled_a_day * _curve(BOOKING_LEAD_DAYS, day) * rng.uniform(0.95, 1.05))
    under_review = round(inventory * rng.uniform(0.012, 0.018))
    return FiguresDay(
        day=day,
        recorded_at=datetime.combine(day + timedelta(days=1), RECORDED_AT, tzinfo=RECORDED_TZ),
        inventory=inventory,
        inventory_to_book=inventory - booked - between - under_review,
        inventory_booked=booked,
        inventory_between_parts=between,
        inventory_under_review=under_review,
        airport_waiting_for_cbp=waiting,
    )


# --- The centres --------------------------------------------------------------------


class _Plan:
    """What one centre does on an average day at full capacity, and how to seed it."""

    __slots__ = ("country", "daily", "kind", "pk", "seed")

    def __init__(self, centre: Centre, daily: float, seed: int) -> None:
        self.pk = centre.pk
        self.kind = centre.kind
        self.country = centre.country
        self.daily = daily  # completions (or passes) a calendar day
        self.seed = seed


def _plans(centres: list[Centre]) -> list[_Plan]:
    """Each centre's size: its path's daily share by the weight of its real centre."""
    ttp_of: dict[int, int | None] = {}
    linked_to: dict[int, int] = {}  # split sites: the centre whose counterpart this one is
    if centres:
        # One query: the TTP ids of the airports and Canadian sides the others go by.
        rows = Centre.objects.values_list("pk", "ttp_location_id", "counterpart_id")
        for pk, ttp, counterpart_id in rows:
            ttp_of[pk] = ttp
            if counterpart_id is not None:
                linked_to[counterpart_id] = pk
    plans = []
    for centre in centres:
        if centre.kind not in DAILY:
            continue
        total, weights = DAILY[centre.kind]
        key = (
            centre.ttp_location_id
            or ttp_of.get(centre.airport_id or 0)
            or ttp_of.get(centre.counterpart_id or linked_to.get(centre.pk, 0))
        )
        mean = sum(weights.values()) / len(weights)
        share = weights.get(key, mean) if key is not None else mean
        seed = centre.ttp_location_id or 1_000_000 + centre.pk
        plans.append(_Plan(centre, total * share / sum(weights.values()), seed))
    return plans


def _centre_day(day: date, plan: _Plan, capacity: float, wait: float) -> CentreDay:
    row = CentreDay(day=day, centre_id=plan.pk)
    weekday = day.weekday()
    walk_in = plan.kind == K.PRECLEARANCE
    if not walk_in and (weekday >= 5 or day in _holidays(day.year, plan.country)):
        return row  # a booth centre (or a split site's US side), closed
    rng = random.Random(day.toordinal() * 10_000_019 + plan.seed)
    if walk_in:
        # CBP walk-in, every day: the airport path's last part, so each pass enrols.
        factor = WALK_IN_WEEKDAY[weekday] * max(rng.gauss(1, 0.12), 0)
        enrolled = round(plan.daily * capacity * factor)
        row.cbp_passed = row.enrolled = row.cbp_after_share = enrolled
        row.cbp_after_share_days = round(enrolled * wait * rng.uniform(0.9, 1.1))
        return row
    expected = plan.daily * WEEK * capacity
    if plan.kind == K.SPLIT_SITE and plan.country == Centre.Country.UNITED_STATES:
        # The CBP part of a split site (no booths booked here): it completes enrolment.
        row.cbp_passed = row.enrolled = round(expected * max(rng.gauss(1, 0.1), 0))
        return row
    row.booths_offered = offered = round(expected * BOOTHS_PER_PASS * rng.gauss(1, 0.05))
    row.booths_booked = booked = round(offered * rng.uniform(0.80, 0.97))
    row.no_shows = round(booked * rng.uniform(0.03, 0.07))
    row.attended = attended = booked - row.no_shows
    if plan.kind == K.LAND_BORDER:
        # Joint interview: both parts here, the second one enrols.
        row.enrolled = enrolled = round(attended * rng.uniform(0.95, 0.97))
        row.cbsa_passed = min(attended, enrolled + rng.randint(0, 2))
        row.cbp_passed = min(attended, enrolled + rng.randint(0, 2))
    else:
        # An airport enrolment centre or a split site's Canadian side: the CBSA part.
        row.cbsa_passed = round(attended * rng.uniform(0.96, 0.98))
    return row


@cache
def _holidays(year: int, country: str) -> frozenset[date]:
    """A handful of days the booth centres close: the shared and the national holidays."""

    def nth(weekday: int, month: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    days = {date(year, 1, 1), nth(0, 9, 1), date(year, 12, 25)}  # New Year, Labour Day
    if country == Centre.Country.UNITED_STATES:
        days |= {date(year, 7, 4), nth(3, 11, 4)}  # Independence Day, Thanksgiving
    else:
        days |= {date(year, 7, 1), nth(0, 10, 2), date(year, 12, 26)}  # Thanksgiving
    return frozenset(days)


# --- Curves -------------------------------------------------------------------------


@cache
def _slopes(knots: Knots) -> tuple[float, ...]:
    """Fritsch-Carlson tangents of a monotone cubic through ``knots``."""
    xs = [d.toordinal() for d, _ in knots]
    ys = [v for _, v in knots]
    h = [b - a for a, b in pairwise(xs)]
    d = [(ys[i + 1] - ys[i]) / h[i] for i in range(len(h))]
    m = [d[0], *([0.0] * (len(d) - 1)), d[-1]]
    for i in range(1, len(d)):
        if d[i - 1] * d[i] > 0:
            w1, w2 = 2 * h[i] + h[i - 1], h[i] + 2 * h[i - 1]
            m[i] = (w1 + w2) / (w1 / d[i - 1] + w2 / d[i])
    return tuple(m)


@cache
def _curve(knots: Knots, day: date) -> float:
    x = day.toordinal()
    xs = [d.toordinal() for d, _ in knots]
    if x <= xs[0]:
        return knots[0][1]
    if x >= xs[-1]:
        return knots[-1][1]
    i = bisect_right(xs, x) - 1
    h = xs[i + 1] - xs[i]
    t = (x - xs[i]) / h
    m = _slopes(knots)
    y0, y1 = knots[i][1], knots[i + 1][1]
    t2, t3 = t * t, t * t * t
    return (
        (2 * t3 - 3 * t2 + 1) * y0
        + (t3 - 2 * t2 + t) * h * m[i]
        + (-2 * t3 + 3 * t2) * y1
        + (t3 - t2) * h * m[i + 1]
    )
