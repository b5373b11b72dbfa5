"""The bookings app's reads: appointments scoped to who is asking (another person's is
simply not found), the application that may book and the centres that fit it, the times
open for booking, and what the public scheduler API publishes. Each returns data or
None; the views decide what a missing one means (404)."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, TypedDict
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from bookings.models import PATH_BOOKING, Appointment, SlotHold, path_for_centre
from centres.models import Centre, Slot
from centres.selectors import is_programme_admin, staff_profile_of
from common.actors import Actor
from enrolment.models import Application
from enrolment.selectors import own_application

if TYPE_CHECKING:  # the stubs' helper: a type only, not a run-time dependency
    from django_stubs_ext import WithAnnotations


def appointments_visible_to(user: Actor) -> QuerySet[Appointment]:
    """Appointments at the staff member's centres, or the applicant's own."""
    appointments = Appointment.objects.select_related("slot__centre", "application")
    if is_programme_admin(user):
        return appointments
    if user is None or not user.is_authenticated:
        return appointments.none()
    profile = staff_profile_of(user)
    if profile is None:
        return appointments.filter(application__applicant__user=user)
    return appointments.filter(slot__centre__in=profile.centres.all())


def own_appointment(user: User, pk: int) -> Appointment | None:
    """The signed-in applicant's own appointment (staff included: only their own here)."""
    return (
        Appointment.objects.select_related("slot__centre", "application")
        .filter(
            pk=pk, application__applicant__user=user, application__applicant__user__isnull=False
        )
        .first()
    )


# --- The application that books, and where ---------------------------------------------


def bookable_application(user: Actor, number: str) -> Application | None:
    """The signed-in applicant's own application, if it may book (conditionally approved,
    not withdrawn); None otherwise. The one "may this application book" read of the pages
    and the API: the booking services check it again under their lock."""
    application = own_application(user, number)
    return application if application is not None and application.may_book else None


def path_settled(application: Application) -> bool:
    """Whether the application's path holds: while an appointment is booked or checked
    in, and once one was held or missed (the interview's history is on that path). After
    cancelling every appointment, the applicant may choose any path again, as before the
    first booking; the next booking sets it."""
    if not application.path:
        return False
    return Appointment.objects.filter(
        application=application, status__in=Appointment.HOLDS_BOOTH
    ).exists()


def paths_open_to(application: Application) -> list[str]:
    """The paths the application may book on: its own while it holds, else any."""
    return [application.path] if path_settled(application) else list(PATH_BOOKING)


def centres_for(application: Application) -> list[Centre]:
    """The centres the application may book at or wait for: active, taking appointments,
    of a path open to it; by name."""
    paths = paths_open_to(application)
    centres = Centre.objects.filter(takes_appointments=True, is_active=True).order_by("name")
    return [centre for centre in centres if path_for_centre(centre) in paths]


def centre_for(application: Application, centre_pk: int) -> Centre | None:
    """One centre the application may book at, or None."""
    centre = Centre.objects.filter(pk=centre_pk, is_active=True).first()
    if centre is None or path_for_centre(centre) not in paths_open_to(application):
        return None
    return centre


def bookable_slots(now: datetime) -> QuerySet[Slot]:
    """Slots with a booth free to book now. A booth kept by a hold that has expired counts
    as free: the minute job ends such holds (and booking one ends it on the spot, in
    ``slot_hold``), so a page shows what can be booked without writing to free it."""
    lapsed = (
        SlotHold.objects.filter(slot=OuterRef("pk"), expires_at__lte=now)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Slot.objects.alias(
        lapsed=Coalesce(Subquery(lapsed, output_field=IntegerField()), 0)
    ).filter(capacity__gt=0, booked__lt=F("capacity") + F("lapsed"))


# --- What the public scheduler API publishes (``bookings/scheduler_api.py``) -------------


def published_centres() -> QuerySet[Centre]:
    """The centres the API lists: active, with a TTP location id."""
    return Centre.objects.filter(is_active=True, ttp_location_id__isnull=False).select_related(
        "airport"
    )


def _published_bookable() -> QuerySet[Centre]:
    return Centre.objects.filter(
        is_active=True, takes_appointments=True, ttp_location_id__isnull=False
    )


def bookable_by_ttp_id(ids: Iterable[int]) -> list[tuple[int, int, ZoneInfo]]:
    """(pk, ttp id, zone) of the published centres with these TTP ids that take appointments."""
    rows = _published_bookable().filter(ttp_location_id__in=list(ids))
    return [
        (pk, ttp_id, ZoneInfo(zone))
        for pk, ttp_id, zone in rows.values_list("pk", "ttp_location_id", "time_zone")
        if ttp_id is not None  # never: ``ttp_location_id__in`` matches no NULL
    ]


def _open_slots(*, centre_ids: list[int], minimum: int, after: datetime) -> QuerySet[Slot]:
    # Open slots after ``after`` in start order: the partial index slot_open_by_centre_start
    # answers one centre with an index-ordered scan; ``minimum`` only filters scanned rows.
    slots = Slot.objects.open().filter(starts_at__gt=after)
    slots = (
        slots.filter(centre_id=centre_ids[0])
        if len(centre_ids) == 1
        else slots.filter(centre_id__in=centre_ids)
    )
    if minimum > 1:
        slots = slots.filter(capacity__gte=F("booked") + minimum)
    return slots.order_by("starts_at")


def soonest_open_times(
    *, ttp_ids: list[int] | None, minimum: int, limit: int, now: datetime
) -> list[tuple[int, ZoneInfo, datetime, datetime]]:
    """(ttp id, zone, start, end) of the soonest open slots at these locations (every
    bookable one when None), soonest first."""
    if ttp_ids is not None and len(ttp_ids) == 1:
        return _soonest_open_times_at(ttp_ids[0], minimum=minimum, limit=limit, now=now)
    if ttp_ids is None:
        ttp_ids = [
            ttp_id
            for ttp_id in published_centres().values_list("ttp_location_id", flat=True)
            if ttp_id is not None  # never: published centres have one
        ]
    centres = bookable_by_ttp_id(ttp_ids)
    if not centres:
        return []
    by_pk = {pk: (ttp_id, zone) for pk, ttp_id, zone in centres}
    rows = _open_slots(centre_ids=list(by_pk), minimum=minimum, after=now).values_list(
        "centre_id", "starts_at", "ends_at"
    )[:limit]
    return [(*by_pk[centre_id], starts_at, ends_at) for centre_id, starts_at, ends_at in rows]


def _soonest_open_times_at(
    ttp_id: int, *, minimum: int, limit: int, now: datetime
) -> list[tuple[int, ZoneInfo, datetime, datetime]]:
    """The polling tools' hot path, in ONE statement: the centre's id and zone are scalar
    subqueries (run once, as init plans), so ``centre_id = $1`` stays an index condition
    and the partial index slot_open_by_centre_start yields the rows already in order. A
    join would order by the centre first and sort every open slot of the centre."""
    centre = _published_bookable().filter(ttp_location_id=ttp_id).order_by()  # unique id
    slots = Slot.objects.open().filter(
        centre_id=Subquery(centre.values("pk")[:1]), starts_at__gt=now
    )
    if minimum > 1:
        slots = slots.filter(capacity__gte=F("booked") + minimum)
    rows = (
        slots.annotate(zone=Subquery(centre.values("time_zone")[:1]))
        .order_by("starts_at")
        .values_list("zone", "starts_at", "ends_at")[:limit]
    )
    return [(ttp_id, ZoneInfo(zone), starts_at, ends_at) for zone, starts_at, ends_at in rows]


def slot_counters(
    *, centre_pk: int, start_at: datetime, end_at: datetime, now: datetime
) -> list[tuple[datetime, datetime, int, int, int]]:
    """(start, end, booths, booked, held by a live hold) of every bookable time of one
    centre starting in [start_at, end_at), in order."""
    slots = list(
        Slot.objects.filter(
            centre_id=centre_pk, starts_at__gte=start_at, starts_at__lt=end_at, capacity__gt=0
        )
        .order_by("starts_at")
        .values_list("pk", "starts_at", "ends_at", "capacity", "booked")
    )
    held: dict[int, int] = {}
    if slots:
        held = dict(
            SlotHold.objects.filter(slot_id__in=[row[0] for row in slots], expires_at__gt=now)
            .values("slot_id")
            .annotate(held=Count("pk"))
            .values_list("slot_id", "held")
        )
    return [
        (starts_at, ends_at, capacity, booked, held.get(pk, 0))
        for pk, starts_at, ends_at, capacity, booked in slots
    ]


class SoonestOpen(TypedDict):
    soonest_at: datetime


def centres_by_soonest_open_time(
    *, minimum: int, day: datetime | None, on_day: bool, now: datetime
) -> "list[WithAnnotations[Centre, SoonestOpen]]":
    """The published centres taking appointments that have an open slot with ``minimum``
    free booths (before ``day``, or on it when ``on_day``: a local date in each centre's
    zone), soonest first, each with ``soonest_at``. One query per time zone: "before
    2026-03-09" is a different instant in each zone."""
    bookable = published_centres().filter(takes_appointments=True)
    found: list[WithAnnotations[Centre, SoonestOpen]] = []
    for zone_name in sorted(set(bookable.values_list("time_zone", flat=True))):
        zone = ZoneInfo(zone_name)
        slots = Slot.objects.open().filter(centre=OuterRef("pk"), starts_at__gt=now)
        if minimum > 1:
            slots = slots.filter(capacity__gte=F("booked") + minimum)
        if day is not None:
            if on_day:
                first = datetime.combine(day.date(), time.min, tzinfo=zone)
                slots = slots.filter(starts_at__gte=first, starts_at__lt=first + timedelta(days=1))
            else:
                slots = slots.filter(starts_at__lt=day.replace(tzinfo=zone))
        soonest = Subquery(slots.order_by("starts_at").values("starts_at")[:1])
        found.extend(
            bookable.filter(time_zone=zone_name)
            .annotate(soonest_at=soonest)
            .filter(soonest_at__isnull=False)
        )
    found.sort(key=lambda centre: (centre.soonest_at, centre.ttp_location_id))
    return found
