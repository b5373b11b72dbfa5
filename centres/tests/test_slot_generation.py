import datetime
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from centres.models import OpeningRule, Slot
from centres.services import centre_slots_generate
from centres.tests.factories import CentreFactory, OpeningRuleFactory, SlotFactory

UTC = datetime.UTC


def _every_day(centre, opens, closes, minutes=20, booths=1):
    for weekday in range(7):
        OpeningRuleFactory(
            centre=centre,
            weekday=weekday,
            opens_at=opens,
            closes_at=closes,
            slot_minutes=minutes,
            booths=booths,
        )


def _local_starts(centre, day):
    tz = ZoneInfo(centre.time_zone)
    return [
        s.starts_at.astimezone(tz)
        for s in Slot.objects.filter(centre=centre).order_by("starts_at")
        if s.starts_at.astimezone(tz).date() == day
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/Toronto", "America/Vancouver"])
@pytest.mark.parametrize(
    ("before", "change", "after", "offsets"),
    [
        # 2027 DST starts on Sunday 14 March: 08:00 local moves one hour earlier in UTC.
        (
            datetime.date(2027, 3, 13),
            datetime.date(2027, 3, 14),
            datetime.date(2027, 3, 15),
            (0, 1),
        ),
        # 2027 DST ends on Sunday 7 November: 08:00 local moves one hour later in UTC.
        (
            datetime.date(2027, 11, 6),
            datetime.date(2027, 11, 7),
            datetime.date(2027, 11, 8),
            (1, 0),
        ),
    ],
)
def test_an_0800_rule_gives_0800_local_on_both_sides_of_the_dst_change(
    zone, before, change, after, offsets, settings
):
    settings.SLOT_HORIZON_DAYS = 10
    centre = CentreFactory(time_zone=zone)
    _every_day(centre, datetime.time(8), datetime.time(10))
    now = datetime.datetime.combine(before - datetime.timedelta(days=2), datetime.time(), UTC)

    centre_slots_generate(centre=centre, now=now)

    wanted = [datetime.time(8, m) for m in (0, 20, 40)] + [datetime.time(9, m) for m in (0, 20, 40)]
    utc_hours = set()
    for day in (before, change, after):
        starts = _local_starts(centre, day)
        assert [s.time() for s in starts] == wanted  # none skipped, none doubled
        utc_hours.add((day, starts[0].astimezone(UTC).hour))
    standard_offset = {"America/Toronto": 5, "America/Vancouver": 8}[zone]
    hours = dict(utc_hours)
    assert hours[before] == 8 + standard_offset - offsets[0]
    assert hours[after] == 8 + standard_offset - offsets[1]


@pytest.mark.django_db
def test_a_rule_across_the_spring_gap_skips_the_missing_hour_and_doubles_nothing(settings):
    settings.SLOT_HORIZON_DAYS = 5
    centre = CentreFactory(time_zone="America/Toronto")
    OpeningRuleFactory(
        centre=centre, weekday=6, opens_at=datetime.time(1), closes_at=datetime.time(4),
        slot_minutes=30,
    )  # fmt: skip

    centre_slots_generate(centre=centre, now=datetime.datetime(2027, 3, 12, tzinfo=UTC))

    starts = _local_starts(centre, datetime.date(2027, 3, 14))
    assert [s.strftime("%H:%M") for s in starts] == ["01:00", "01:30", "03:00", "03:30"]
    utc = [s.starts_at for s in Slot.objects.filter(centre=centre)]
    assert len(utc) == len(set(utc))


@pytest.mark.django_db
def test_a_rule_across_the_autumn_repeat_takes_each_wall_time_once(settings):
    settings.SLOT_HORIZON_DAYS = 5
    centre = CentreFactory(time_zone="America/Vancouver")
    OpeningRuleFactory(
        centre=centre, weekday=6, opens_at=datetime.time(0), closes_at=datetime.time(3),
        slot_minutes=30,
    )  # fmt: skip

    centre_slots_generate(centre=centre, now=datetime.datetime(2027, 11, 5, tzinfo=UTC))

    starts = _local_starts(centre, datetime.date(2027, 11, 7))
    labels = [s.strftime("%H:%M") for s in starts]
    assert labels == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]
    assert Counter(labels).most_common(1)[0][1] == 1


@pytest.mark.django_db
def test_generation_is_idempotent_and_stays_within_the_horizon(settings):
    settings.SLOT_HORIZON_DAYS = 30
    centre = CentreFactory()
    _every_day(centre, datetime.time(8), datetime.time(12))
    now = datetime.datetime(2027, 1, 4, 15, 30, tzinfo=UTC)  # 10:30 in Toronto, a Monday

    first = centre_slots_generate(centre=centre, now=now)
    second = centre_slots_generate(centre=centre, now=now)

    assert first.created == 12 * 31 - 8  # today's eight slots 08:00–10:20 have passed
    assert (second.created, second.updated, second.removed) == (0, 0, 0)
    starts = Slot.objects.filter(centre=centre).values_list("starts_at", flat=True)
    assert min(starts) > now
    assert max(starts).astimezone(centre.tz).date() == datetime.date(2027, 2, 3)


@pytest.mark.django_db
def test_regenerating_after_a_rule_change_adds_and_removes_slots_but_keeps_booked_ones(settings):
    settings.SLOT_HORIZON_DAYS = 7
    centre = CentreFactory()
    rule = OpeningRuleFactory(
        centre=centre, weekday=1, opens_at=datetime.time(8), closes_at=datetime.time(10)
    )
    now = datetime.datetime(2027, 1, 4, 12, tzinfo=UTC)  # Monday; Tuesday is 5 January
    centre_slots_generate(centre=centre, now=now)
    booked = Slot.objects.get(
        centre=centre, starts_at=datetime.datetime(2027, 1, 5, 14, 20, tzinfo=UTC)
    )
    Slot.objects.filter(pk=booked.pk).update(booked=1)

    OpeningRule.objects.filter(pk=rule.pk).update(
        opens_at=datetime.time(10), closes_at=datetime.time(11)
    )
    result = centre_slots_generate(centre=centre, now=now)

    assert (result.created, result.removed) == (3, 5)
    assert result.stranded == {booked.pk: 1}
    kept = Slot.objects.get(pk=booked.pk)
    assert (kept.capacity, kept.booked, kept.starts_at) == (booked.capacity, 1, booked.starts_at)
    local = sorted(s.local_start().strftime("%H:%M") for s in Slot.objects.filter(centre=centre))
    assert local == ["09:20", "10:00", "10:20", "10:40"]


@pytest.mark.django_db
def test_a_centre_that_takes_no_appointments_gets_no_slots(settings):
    centre = CentreFactory(preclearance=True)
    OpeningRule.objects.bulk_create(
        [
            OpeningRule(
                centre=centre, weekday=0, opens_at=datetime.time(8), closes_at=datetime.time(9)
            )
        ]
    )
    assert centre_slots_generate(centre=centre).created == 0
    assert not Slot.objects.filter(centre=centre).exists()


@pytest.mark.django_db
def test_rules_apply_only_within_their_validity_dates(settings):
    settings.SLOT_HORIZON_DAYS = 21
    centre = CentreFactory()
    OpeningRuleFactory(
        centre=centre, weekday=0, opens_at=datetime.time(8), closes_at=datetime.time(9),
        valid_from=datetime.date(2027, 1, 11), valid_until=datetime.date(2027, 1, 18),
    )  # fmt: skip

    centre_slots_generate(centre=centre, now=datetime.datetime(2027, 1, 1, tzinfo=UTC))

    days = {s.local_start().date() for s in Slot.objects.filter(centre=centre)}
    assert days == {datetime.date(2027, 1, 11), datetime.date(2027, 1, 18)}


@pytest.mark.django_db
def test_a_slot_past_appointments_point_to_is_closed_not_deleted(settings):
    from bookings.models import Appointment
    from enrolment.tests.factories import ApplicationFactory

    settings.SLOT_HORIZON_DAYS = 7
    centre = CentreFactory()
    now = datetime.datetime(2027, 1, 4, 12, tzinfo=UTC)
    slot = SlotFactory(centre=centre, starts_at=now + datetime.timedelta(days=1), capacity=2)
    Appointment.objects.create(
        application=ApplicationFactory(),
        slot=slot,
        step="cbsa",
        status="cancelled",
        cancel_reason="applicant",
    )
    spare = SlotFactory(centre=centre, starts_at=now + datetime.timedelta(days=2), capacity=2)

    result = centre_slots_generate(centre=centre, now=now)

    assert result.removed == 2
    assert Slot.objects.get(pk=slot.pk).capacity == 0
    assert not Slot.objects.filter(pk=spare.pk).exists()
