"""Recording the programme's figures, once a day (the beat task ``figures_record_task``).

A day is recorded when it has ended at every centre: its ``FiguresDay`` (the net
inventory counted then) and one ``CentreDay`` per centre, summed from the slots,
appointments and interview history of that centre's local day. Recording is idempotent:
the day is the key, so a second run (or a second worker at the same moment) records
nothing. A day the job missed is rebuilt from the records on the next run (up to
``CATCH_UP_DAYS`` back), without an inventory: nobody counted the applicants that night.
"""

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import Appointment
from centres.models import Centre, Slot
from enrolment.models import Application
from figures.models import CentreDay, FiguresDay
from figures.selectors import inventory_now
from interviews.models import Agency, EnrolmentEvent, Interview

logger = logging.getLogger(__name__)

CATCH_UP_DAYS = 7
S = Interview.State
# The states a passed part leads to, for the agency that passed it.
_PASSED_INTO: dict[str, frozenset[str]] = {
    Agency.CBSA: frozenset({S.CBSA_PASSED, S.ENROLLED}),
    Agency.CBP: frozenset({S.CBP_PASSED, S.ENROLLED}),
}


def last_complete_day(now: datetime, centres: list[Centre]) -> date:
    """The latest day that has ended at every one of ``centres`` (in its own zone)."""
    zones = {c.tz for c in centres} or {timezone.get_default_timezone()}
    return min(now.astimezone(tz).date() for tz in zones) - timedelta(days=1)


def figures_record_due(*, now: datetime | None = None) -> list[date]:
    """Record the last day that has ended everywhere (with the inventory counted now)
    and any of the ``CATCH_UP_DAYS`` before it that nobody recorded. Returns the days
    this run recorded."""
    now = now or timezone.now()
    centres = list(Centre.objects.filter(is_active=True))
    last = last_complete_day(now, centres)
    first = last - timedelta(days=CATCH_UP_DAYS)
    done = set(
        FiguresDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True)
    )
    recorded: list[date] = []
    for offset in range(CATCH_UP_DAYS, -1, -1):
        day = last - timedelta(days=offset)
        if day not in done and figures_record(day=day, now=now, count_inventory=day == last):
            recorded.append(day)
    return recorded


def figures_record(*, day: date, now: datetime | None = None, count_inventory: bool) -> bool:
    """Record ``day``'s figures, once: False if the day was already recorded."""
    now = now or timezone.now()
    centres = list(Centre.objects.all())
    try:
        with transaction.atomic():
            counts = cast(dict[str, int], inventory_now()) if count_inventory else {}
            FiguresDay.objects.create(day=day, recorded_at=now, **counts)
            CentreDay.objects.bulk_create(_centre_days(day, centres))
    except IntegrityError:
        # Recorded by another run between our look and our insert.
        if FiguresDay.objects.filter(day=day).exists():
            return False
        raise
    logger.info("Programme figures recorded for %s", day)
    return True


def _centre_days(day: date, centres: list[Centre]) -> list[CentreDay]:
    """One row per active centre (and per other centre with anything that day), summed
    from the records of its local ``day``."""
    tz_of = {c.pk: c.tz for c in centres}
    rows: dict[int, CentreDay] = {
        c.pk: CentreDay(day=day, centre=c) for c in centres if c.is_active
    }
    if not centres:
        return []
    lo = min(datetime.combine(day, time.min, tzinfo=tz) for tz in tz_of.values())
    hi = max(
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz) for tz in tz_of.values()
    )

    def row(centre_id: int, at: datetime) -> CentreDay | None:
        """The centre's row if ``at`` falls on its local ``day``."""
        if at.astimezone(tz_of[centre_id]).date() != day:
            return None
        if centre_id not in rows:
            rows[centre_id] = CentreDay(day=day, centre_id=centre_id)
        return rows[centre_id]

    slots = Slot.objects.filter(starts_at__gte=lo, starts_at__lt=hi)
    for centre_id, starts_at, capacity in slots.values_list("centre_id", "starts_at", "capacity"):
        if (r := row(centre_id, starts_at)) is not None:
            r.booths_offered += capacity
    appointments = Appointment.objects.filter(
        slot__starts_at__gte=lo, slot__starts_at__lt=hi, status__in=Appointment.HOLDS_BOOTH
    ).values_list("slot__centre_id", "slot__starts_at", "status")
    for centre_id, starts_at, status in appointments:
        if (r := row(centre_id, starts_at)) is not None:
            r.booths_booked += 1
            r.attended += status == Appointment.Status.ATTENDED
            r.no_shows += status == Appointment.Status.NO_SHOW
    events = EnrolmentEvent.objects.filter(
        created_at__gte=lo, created_at__lt=hi, centre__isnull=False,
        agency__in=list(_PASSED_INTO), to_state__in=[S.CBSA_PASSED, S.CBP_PASSED, S.ENROLLED],
    ).values_list(
        "centre_id", "created_at", "agency", "to_state", "interview__shared_at",
        "interview__application__path",
    )  # fmt: skip
    waits: defaultdict[int, list[int]] = defaultdict(list)
    for centre_id, at, agency, to_state, shared_at, path in events:
        if (r := row(centre_id, at)) is None or to_state not in _PASSED_INTO[agency]:
            continue
        r.cbsa_passed += agency == Agency.CBSA
        r.cbp_passed += agency == Agency.CBP
        r.enrolled += to_state == S.ENROLLED
        if path == Application.Path.AIRPORT and agency == Agency.CBP and shared_at is not None:
            tz = tz_of[centre_id]
            waits[centre_id].append((day - shared_at.astimezone(tz).date()).days)
    for centre_id, days in waits.items():
        rows[centre_id].cbp_after_share = len(days)
        rows[centre_id].cbp_after_share_days = sum(max(d, 0) for d in days)
    return list(rows.values())
