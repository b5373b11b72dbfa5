"""The stay rules, in one place: how long a stay is, until when it is authorised, and
whether it is a suspected overstay.

* Days are calendar days where the crossing happened (the port's IANA time zone; an air
  exit, which has no port, in UTC), never elapsed time divided by 24 hours: a stay across
  a change to or from daylight saving time is as many days as the calendar says.
* Both the day of entry and the day of exit count, as in the EU's Entry/Exit System
  (a traveller who enters and leaves on the same day has stayed 1 day).
* An authorised period of N days covers the day of entry and the N - 1 days after it:
  ``authorised_until = entry day + (N - 1) days``. A 29 February is a day like any other.
* The period depends on the status category recorded at entry
  (``ENTRY_EXIT_AUTHORISED_STAY_DAYS``); a category without one (citizens, Registered
  Indians, permanent residents, protected persons) has no limit and is never suspected.
* Suspected overstay: the authorised period has ended (today, where the traveller
  entered, is after ``authorised_until``) and no exit is on record. Suspected, never
  certain: an exit can arrive late, and an exit by a route without records (a pleasure
  boat, a private plane) leaves none.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings


def authorised_days(status: str) -> int | None:
    """The days a stay of a traveller of ``status`` is authorised for; None: no limit."""
    days = settings.ENTRY_EXIT_AUTHORISED_STAY_DAYS.get(str(status))
    return int(days) if days is not None else None


@dataclass(frozen=True)
class StayFacts:
    entry_day: date
    authorised_days: int | None
    authorised_until: date | None
    exit_day: date | None
    # Days in the country: from the entry day to the exit day (or today), both counted.
    days: int
    # Days past ``authorised_until`` (0 when none): on the exit day, or today.
    days_over: int
    # No exit on record and the authorised period has ended.
    suspected_overstay: bool


def _day(moment: datetime, zone: zoneinfo.ZoneInfo | None) -> date:
    return moment.astimezone(zone or UTC).date()


def stay_compute(
    *,
    entered_at: datetime,
    entry_zone: zoneinfo.ZoneInfo,
    authorised: int | None,
    exited_at: datetime | None = None,
    exit_zone: zoneinfo.ZoneInfo | None = None,
    now: datetime,
) -> StayFacts:
    """The facts of one stay (see the module's docstring for the rules).

    ``authorised``: the period in days (``authorised_days(status)`` when the stay is first
    computed, the stored one afterwards); None for no limit. ``now`` is when "today" is,
    for a stay with no exit on record.
    """
    if entered_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("aware datetimes only")
    if authorised is not None and authorised < 1:
        raise ValueError("an authorised period is 1 day or more")
    period = authorised
    entry_day = _day(entered_at, entry_zone)
    until = entry_day + timedelta(days=period - 1) if period is not None else None
    if exited_at is not None:
        exit_day = _day(exited_at, exit_zone)
        last_day = exit_day
    else:
        exit_day = None
        last_day = _day(now, entry_zone)
    days = max((last_day - entry_day).days + 1, 1)
    days_over = max((last_day - until).days, 0) if until is not None else 0
    return StayFacts(
        entry_day=entry_day,
        authorised_days=period,
        authorised_until=until,
        exit_day=exit_day,
        days=days,
        days_over=days_over,
        suspected_overstay=exit_day is None and days_over > 0,
    )
