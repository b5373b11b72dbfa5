from datetime import UTC, date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F, Q, Sum

from centres.models import Centre
from centres.reference import centres_import_reference, reference_load
from centres.tests.factories import CentreFactory
from demo.history import history_load
from figures.models import CentreDay, FiguresDay

pytestmark = pytest.mark.django_db

START = date(2022, 1, 1)
# 1 October 2023: a year after "over 200,000 enrolments since 1 October 2022" began.
TODAY = date(2023, 10, 1)


@pytest.fixture
def few_centres() -> list[Centre]:
    """One centre of each kind and country, like the reference ones but made up."""
    airport = CentreFactory()
    canadian_side = CentreFactory(split_site=True, name="Test split site (CA)")
    us_side = CentreFactory(
        split_site=True,
        country=Centre.Country.UNITED_STATES,
        has_cbsa=False,
        has_cbp=True,
        takes_appointments=False,
        name="Test split site (US)",
        time_zone="America/New_York",
        counterpart=canadian_side,
    )
    canadian_side.counterpart = us_side
    canadian_side.save(update_fields=["counterpart"])
    return [
        airport,
        CentreFactory(preclearance=True, airport=airport, name="Test preclearance area"),
        CentreFactory(land_border=True, name="Test land-border centre"),
        canadian_side,
        us_side,
    ]


@pytest.fixture
def reference_centres() -> list[Centre]:
    reference = reference_load()
    centres_import_reference(
        rows=reference["centres"],
        rules_valid_from=date.fromisoformat(reference["rules_valid_from"]),
    )
    return list(Centre.objects.filter(is_active=True))


def snapshot() -> tuple[list[tuple], list[tuple]]:
    return (
        list(FiguresDay.objects.order_by("day").values_list()),
        list(CentreDay.objects.order_by("day", "centre_id").values_list()),
    )


def test_it_writes_every_past_day_for_every_active_centre(few_centres):
    CentreFactory(is_active=False, name="Closed for good")

    written = history_load(today=date(2022, 3, 1))

    assert written == 59  # January and February 2022
    assert FiguresDay.objects.count() == 59
    assert FiguresDay.objects.order_by("day").first().day == START
    assert FiguresDay.objects.order_by("day").last().day == date(2022, 2, 28)
    assert CentreDay.objects.count() == 59 * len(few_centres)
    assert not CentreDay.objects.filter(centre__is_active=False).exists()


def test_a_second_run_writes_nothing(few_centres):
    history_load(today=date(2022, 6, 1))
    before = snapshot()

    assert history_load(today=date(2022, 6, 1)) == 0
    assert snapshot() == before


def test_a_later_run_writes_only_the_days_since(few_centres):
    history_load(today=date(2022, 6, 1))
    before = snapshot()

    assert history_load(today=date(2022, 6, 11)) == 10

    after = snapshot()
    assert after[0][: len(before[0])] == before[0]
    assert after[1][: len(before[1])] == before[1]


def test_it_never_touches_a_day_recorded_for_real(few_centres):
    real_day = date(2022, 2, 10)
    recorded_at = datetime(2022, 2, 11, 6, 20, tzinfo=UTC)
    # Recorded late by the job: centre figures, no inventory.
    FiguresDay.objects.create(day=real_day, recorded_at=recorded_at)
    CentreDay.objects.create(day=real_day, centre=few_centres[0], enrolled=3)

    written = history_load(today=date(2022, 3, 1))

    assert written == 58
    day = FiguresDay.objects.get(day=real_day)
    assert (day.recorded_at, day.inventory) == (recorded_at, None)
    assert list(CentreDay.objects.filter(day=real_day).values_list("centre", "enrolled")) == [
        (few_centres[0].pk, 3)
    ]


def test_it_keeps_a_centre_row_left_without_its_day(few_centres):
    day = date(2022, 2, 10)
    CentreDay.objects.create(day=day, centre=few_centres[0], enrolled=3)

    assert history_load(today=date(2022, 3, 1)) == 59

    assert FiguresDay.objects.filter(day=day).exists()
    assert CentreDay.objects.get(day=day, centre=few_centres[0]).enrolled == 3
    assert CentreDay.objects.filter(day=day).count() == len(few_centres)


def test_the_same_day_gets_the_same_figures_whatever_was_written_before(few_centres):
    history_load(today=date(2022, 3, 1))
    whole = snapshot()
    FiguresDay.objects.all().delete()
    CentreDay.objects.all().delete()

    history_load(today=date(2022, 3, 1), start=date(2022, 2, 1))
    history_load(today=date(2022, 3, 1))

    def without_ids(rows):
        return [row[1:] for row in rows]

    assert without_ids(snapshot()[0]) == without_ids(whole[0])
    assert without_ids(snapshot()[1]) == without_ids(whole[1])


def test_it_writes_only_the_centres_it_is_given(few_centres):
    history_load(today=date(2022, 1, 8), centres=few_centres[:1])

    assert set(CentreDay.objects.values_list("centre", flat=True)) == {few_centres[0].pk}
    assert CentreDay.objects.count() == 7


def test_the_inventory_adds_up_every_day(few_centres):
    history_load(today=date(2024, 1, 1))

    days = FiguresDay.objects.all()
    assert days.count() == 730
    assert not days.filter(
        Q(inventory__isnull=True) | Q(airport_waiting_for_cbp__isnull=True)
    ).exists()
    parts = (
        F("inventory_to_book")
        + F("inventory_booked")
        + F("inventory_between_parts")
        + F("inventory_under_review")
    )
    assert not days.exclude(inventory=parts).exists()
    assert not days.filter(airport_waiting_for_cbp__gt=F("inventory_between_parts")).exists()
    assert not days.filter(inventory_to_book__lt=F("inventory") / 2).exists()
    # As the nightly job would have: 00:20 the next morning, Ottawa time.
    for day in days:
        recorded = day.recorded_at.astimezone(ZoneInfo("America/Toronto"))
        assert (recorded.date(), recorded.time()) == (day.day + timedelta(days=1), time(0, 20))


def test_centre_figures_are_consistent(few_centres):
    history_load(today=date(2024, 1, 1))
    rows = CentreDay.objects.all()

    assert not rows.filter(booths_booked__gt=F("booths_offered")).exists()
    assert not rows.filter(attended__gt=F("booths_booked") - F("no_shows")).exists()
    assert not rows.filter(cbsa_passed__gt=F("attended")).exists()
    assert not rows.filter(cbp_after_share__gt=F("cbp_passed")).exists()
    booths = ("booths_offered", "booths_booked", "attended", "no_shows", "cbsa_passed")
    no_booths = Q(**{f"{name}__gt": 0 for name in booths}, _connector=Q.OR)
    airport, preclearance, land_border, split_ca, split_us = few_centres

    # A walk-in preclearance area: CBP only, every day of the week; each pass enrols.
    walk_in = rows.filter(centre=preclearance)
    assert not walk_in.filter(no_booths).exists()
    assert not walk_in.exclude(cbp_passed=F("enrolled")).exists()
    assert not walk_in.exclude(cbp_after_share=F("enrolled")).exists()
    assert walk_in.filter(day__week_day=1, enrolled__gt=0).exists()  # Sundays
    # Booth centres: closed at weekends; open and busy on weekdays.
    for centre in (airport, land_border, split_ca):
        booth_days = rows.filter(centre=centre)
        assert not booth_days.filter(day__week_day__in=[1, 7], booths_offered__gt=0).exists()
        weekdays = booth_days.exclude(day__week_day__in=[1, 7])
        assert weekdays.filter(booths_offered=0).count() < 20  # a handful of holidays
        sums = weekdays.aggregate(
            offered=Sum("booths_offered"), booked=Sum("booths_booked"), missed=Sum("no_shows")
        )
        assert 0.80 <= sums["booked"] / sums["offered"] <= 0.97
        assert 0.03 <= sums["missed"] / sums["booked"] <= 0.07
    # The CBSA part at an airport and a split site's Canadian side: nothing enrols there.
    for centre in (airport, split_ca):
        cbsa_only = rows.filter(centre=centre)
        assert not cbsa_only.filter(Q(cbp_passed__gt=0) | Q(enrolled__gt=0)).exists()
        assert cbsa_only.aggregate(n=Sum("cbsa_passed"))["n"] > 0
    # Joint interviews: both parts, and the second one enrols.
    joint = rows.filter(centre=land_border)
    fewer = Q(cbsa_passed__lt=F("enrolled")) | Q(cbp_passed__lt=F("enrolled"))
    assert not joint.filter(fewer).exists()
    assert joint.aggregate(n=Sum("enrolled"))["n"] > 0
    # The CBP part of a split site: no booths; it enrols.
    us = rows.filter(centre=split_us)
    assert not us.filter(no_booths).exists()
    assert not us.exclude(cbp_passed=F("enrolled")).exists()
    assert us.aggregate(n=Sum("enrolled"))["n"] > 0


def test_the_airport_wait_for_cbp_falls_from_about_45_days_to_about_15(few_centres):
    history_load(today=date(2024, 7, 1))

    def mean_wait(year):
        sums = CentreDay.objects.filter(day__year=year).aggregate(
            n=Sum("cbp_after_share"), days=Sum("cbp_after_share_days")
        )
        return sums["days"] / sums["n"]

    assert 40 <= mean_wait(2022) <= 50
    assert 12 <= mean_wait(2024) <= 18


def test_with_the_real_centres_it_tells_the_programmes_story(reference_centres):
    assert len(reference_centres) == 34

    history_load(today=TODAY)

    assert CentreDay.objects.count() == (TODAY - START).days * 34
    inventory = FiguresDay.objects.exclude(inventory=None)
    peak = inventory.order_by("-inventory").first()
    latest = inventory.order_by("-day").first()
    # About 250,000 in January 2022, a peak in summer 2022 (~330,000), down ~100,000 since.
    assert 240_000 <= inventory.get(day=START).inventory <= 260_000
    assert date(2022, 6, 1) <= peak.day <= date(2022, 8, 31)
    assert 320_000 <= peak.inventory <= 340_000
    assert latest.day == TODAY - timedelta(days=1)
    assert peak.inventory - latest.inventory >= 90_000

    def enrolled_a_day(first, last):
        rows = CentreDay.objects.filter(day__gte=first, day__lte=last)
        return rows.aggregate(n=Sum("enrolled"))["n"] / ((last - first).days + 1)

    # About 250 a day in the first half of 2022, about 600 a day from late 2022.
    assert 220 <= enrolled_a_day(date(2022, 1, 1), date(2022, 6, 30)) <= 280
    assert 550 <= enrolled_a_day(date(2022, 11, 1), date(2023, 9, 30)) <= 650
    # "Over 200,000 enrolments since 1 October 2022."
    since = CentreDay.objects.filter(day__gte=date(2022, 10, 1), day__lte=date(2023, 9, 30))
    assert since.aggregate(n=Sum("enrolled"))["n"] > 200_000


def test_load_demo_data_writes_the_history_once(settings):
    settings.DEBUG = True
    settings.SLOT_HORIZON_DAYS = 7

    def load() -> str:
        out = StringIO()
        call_command("load_demo_data", stdout=out, stderr=out)
        return out.getvalue()

    # 15:00 UTC: the 2nd of March everywhere, so the 1st is the last day that has ended.
    with time_machine.travel(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), tick=False):
        first = load()
        again = load()

    days = (date(2026, 3, 2) - START).days
    assert f"Programme figures: {days} days of history written." in first
    assert "Programme figures: 0 days of history written." in again
    assert first.index("Programme figures") < first.index("Demo accounts")
    assert FiguresDay.objects.count() == days
    assert FiguresDay.objects.order_by("day").last().day == date(2026, 3, 1)
    assert CentreDay.objects.count() == days * 34
