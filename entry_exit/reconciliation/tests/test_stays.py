import zoneinfo
from datetime import UTC, date, datetime

import pytest

from entry_exit.reconciliation.stays import authorised_days, stay_compute

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _at(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_entry_and_exit_on_the_same_day_is_a_stay_of_one_day():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2026, 6, 1, 8, 0),
        entry_zone=TORONTO,
        authorised=183,
        exited_at=_at(NEW_YORK, 2026, 6, 1, 20, 0),
        exit_zone=NEW_YORK,
        now=_at(UTC, 2026, 6, 2),
    )
    assert facts.days == 1
    assert facts.days_over == 0
    assert not facts.suspected_overstay


def test_days_are_counted_on_the_ports_calendar_not_in_utc():
    # 20:30 in Vancouver on 1 June is already 2 June in UTC: still the 1st there.
    facts = stay_compute(
        entered_at=_at(VANCOUVER, 2026, 6, 1, 20, 30),
        entry_zone=VANCOUVER,
        authorised=1,
        exited_at=_at(VANCOUVER, 2026, 6, 1, 23, 0),
        exit_zone=VANCOUVER,
        now=_at(UTC, 2026, 6, 3),
    )
    assert facts.entry_day == date(2026, 6, 1)
    assert facts.days == 1
    assert facts.authorised_until == date(2026, 6, 1)


def test_a_stay_across_the_spring_dst_change_counts_calendar_days():
    # Clocks spring forward in Toronto on 8 March 2026: the stay lasted 23 hours of
    # elapsed time, but runs over two calendar days.
    entered = _at(TORONTO, 2026, 3, 7, 23, 30)
    exited = _at(TORONTO, 2026, 3, 8, 23, 30)
    assert (exited.astimezone(UTC) - entered.astimezone(UTC)).total_seconds() == 23 * 3600
    facts = stay_compute(
        entered_at=entered,
        entry_zone=TORONTO,
        authorised=2,
        exited_at=exited,
        exit_zone=TORONTO,
        now=_at(UTC, 2026, 3, 10),
    )
    assert facts.days == 2
    assert facts.authorised_until == date(2026, 3, 8)
    assert facts.days_over == 0


def test_a_stay_across_the_autumn_dst_change_counts_calendar_days():
    # Clocks fall back on 1 November 2026: 25 hours of elapsed time, two calendar days.
    entered = _at(TORONTO, 2026, 10, 31, 23, 0)
    exited = _at(TORONTO, 2026, 11, 1, 23, 0)
    assert (exited.astimezone(UTC) - entered.astimezone(UTC)).total_seconds() == 25 * 3600
    facts = stay_compute(
        entered_at=entered,
        entry_zone=TORONTO,
        authorised=1,
        exited_at=exited,
        exit_zone=TORONTO,
        now=_at(UTC, 2026, 11, 5),
    )
    assert facts.days == 2
    assert facts.days_over == 1


def test_a_leap_day_is_a_day_of_the_stay():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2028, 2, 28, 12, 0),
        entry_zone=TORONTO,
        authorised=2,
        exited_at=_at(TORONTO, 2028, 3, 1, 12, 0),
        exit_zone=TORONTO,
        now=_at(UTC, 2028, 3, 2),
    )
    assert facts.days == 3  # 28 February, 29 February, 1 March
    assert facts.authorised_until == date(2028, 2, 29)
    assert facts.days_over == 1


def test_six_months_from_a_leap_day():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2028, 2, 29, 12, 0),
        entry_zone=TORONTO,
        authorised=183,
        now=_at(UTC, 2028, 3, 1),
    )
    assert facts.authorised_until == date(2028, 8, 29)


def test_no_exit_after_the_authorised_period_is_a_suspected_overstay():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2026, 1, 10, 9, 0),
        entry_zone=TORONTO,
        authorised=183,
        now=_at(TORONTO, 2026, 7, 20, 12, 0),
    )
    assert facts.authorised_until == date(2026, 7, 11)
    assert facts.days_over == 9
    assert facts.suspected_overstay


def test_no_exit_within_the_authorised_period_is_not_suspected():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2026, 1, 10, 9, 0),
        entry_zone=TORONTO,
        authorised=183,
        now=_at(TORONTO, 2026, 7, 11, 23, 59),
    )
    assert facts.days_over == 0
    assert not facts.suspected_overstay


def test_a_late_exit_after_the_period_is_over_but_not_suspected():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2026, 1, 10, 9, 0),
        entry_zone=TORONTO,
        authorised=183,
        exited_at=_at(NEW_YORK, 2026, 7, 15, 9, 0),
        exit_zone=NEW_YORK,
        now=_at(UTC, 2026, 8, 1),
    )
    assert facts.days_over == 4
    assert not facts.suspected_overstay


def test_without_a_limit_there_is_never_an_overstay():
    facts = stay_compute(
        entered_at=_at(TORONTO, 2020, 1, 1, 9, 0),
        entry_zone=TORONTO,
        authorised=None,
        now=_at(UTC, 2026, 1, 1),
    )
    assert facts.authorised_until is None
    assert not facts.suspected_overstay


def test_naive_datetimes_and_empty_periods_are_refused():
    with pytest.raises(ValueError):
        stay_compute(
            entered_at=datetime(2026, 1, 1),
            entry_zone=TORONTO,
            authorised=1,
            now=_at(UTC, 2026, 1, 2),
        )
    with pytest.raises(ValueError):
        stay_compute(
            entered_at=_at(UTC, 2026, 1, 1),
            entry_zone=TORONTO,
            authorised=0,
            now=_at(UTC, 2026, 1, 2),
        )


def test_the_default_periods_per_status_category(settings):
    assert authorised_days("foreign_national") == 183
    assert authorised_days("us_citizen") == 183
    for status in (
        "canadian_citizen",
        "registered_indian",
        "permanent_resident_ca",
        "protected_person",
    ):
        assert authorised_days(status) is None
    settings.ENTRY_EXIT_AUTHORISED_STAY_DAYS = {"foreign_national": 90}
    assert authorised_days("foreign_national") == 90
