"""Reads of appointments and enrolments, each scoped to who is asking.

``enrolments_visible_to`` is the one definition of "has business with this
enrolment"; services and views both go through it, so a foreign object is simply not
found (404), never forbidden.
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from bookings.models import Appointment
from centres.models import Centre, StaffProfile
from centres.selectors import is_programme_admin, staff_profile_of
from common.actors import Actor
from enrolment.models import Application
from interviews.models import EnrolmentEvent, Interview


def _visible_filter(user: Actor) -> Q | None:
    """A filter on Interview for what ``user`` may see; None means everything."""
    if is_programme_admin(user):
        return None
    nothing = Q(pk__in=[])
    if user is None or not user.is_authenticated:
        return nothing
    profile = staff_profile_of(user)
    if profile is None:
        return Q(application__applicant__user=user)
    centres = list(profile.centres.values_list("pk", "kind"))
    centre_ids = [pk for pk, _ in centres]
    at_my_centres = Q(application__appointments__slot__centre__in=centre_ids) | Q(
        events__centre__in=centre_ids
    )
    if profile.role in (StaffProfile.Role.CBSA_OFFICER, StaffProfile.Role.CENTRE_ADMIN):
        return at_my_centres
    if profile.role == StaffProfile.Role.CBP_OFFICER:
        joint = Q(application__path=Application.Path.JOINT) & at_my_centres
        split = Q(
            application__path=Application.Path.SPLIT_SITE,
            shared_at__isnull=False,
            cbsa_centre__counterpart__in=centre_ids,
        )
        visible = joint | split | Q(events__centre__in=centre_ids)
        if any(kind == Centre.Kind.PRECLEARANCE for _, kind in centres):
            # An airport enrolment may be completed at any preclearance area.
            airport = Q(application__path=Application.Path.AIRPORT)
            ready = Q(shared_at__isnull=False)
            if settings.ENROLMENT_ON_ARRIVAL:
                # The CBSA part passed (not refused or referred): now, or before a CBP
                # referral made under Enrollment on Arrival.
                ready |= (
                    Q(state=Interview.State.CBSA_PASSED)
                    | Q(resume_state=Interview.State.CBSA_PASSED)
                    | Q(events__to_state=Interview.State.CBSA_PASSED)
                )
            visible |= airport & ready
        return visible
    return nothing


def enrolments_visible_to(user: Actor) -> QuerySet[Interview]:
    enrolments = Interview.objects.select_related("application__applicant__user")
    where = _visible_filter(user)
    if where is None:
        return enrolments
    return enrolments.filter(pk__in=Interview.objects.filter(where).values("pk"))


def enrolment_get_visible(*, user: Actor, pk: int) -> Interview | None:
    return enrolments_visible_to(user).filter(pk=pk).first()


def enrolment_timeline(*, enrolment: Interview) -> QuerySet[EnrolmentEvent]:
    return enrolment.events.select_related("actor", "centre").order_by("created_at", "id")


def appointments_for_centre_day(*, centre: Centre, day: date) -> QuerySet[Appointment]:
    """A centre's appointments on one of its local days, with everything the day list
    shows fetched in a fixed number of queries."""
    start = datetime.combine(day, time.min, tzinfo=centre.tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=centre.tz)
    return (
        Appointment.objects.filter(
            slot__centre=centre,
            slot__starts_at__gte=start,
            slot__starts_at__lt=end,
            status__in=Appointment.HOLDS_BOOTH,
        )
        .select_related("slot__centre", "application__applicant__user", "application__interview")
        .order_by("slot__starts_at", "pk")
    )


def busiest_centre_today(*, centres: Sequence[Centre], now: datetime) -> Centre | None:
    """Of an officer's centres, the one with the most appointments on its own local today
    (the first when none has any): the day list opens where the work is. One query."""
    if not centres:
        return None
    today = Q(pk__in=[])
    for centre in centres:
        day = now.astimezone(centre.tz).date()
        start = datetime.combine(day, time.min, tzinfo=centre.tz)
        end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=centre.tz)
        today |= Q(slot__centre=centre, slot__starts_at__gte=start, slot__starts_at__lt=end)
    busiest = (
        Appointment.objects.filter(today, status__in=Appointment.HOLDS_BOOTH)
        .values("slot__centre")
        .annotate(count=Count("pk"))
        .order_by("-count", "slot__centre")
        .first()
    )
    if busiest is None:
        return centres[0]
    return next(centre for centre in centres if centre.pk == busiest["slot__centre"])


def travellers_find(
    *,
    user: Actor,
    number: str = "",
    last_name: str = "",
    date_of_birth: date | None = None,
) -> QuerySet[Interview]:
    """CBP look-up by membership or application number, or by name and date of birth,
    among the enrolments the officer may see."""
    enrolments = enrolments_visible_to(user)
    number = number.strip()
    if number:
        return enrolments.filter(
            Q(application__number__iexact=number)
            | Q(application__applicant__memberships__number=number)
        ).distinct()
    if last_name and date_of_birth:
        return enrolments.filter(
            application__applicant__surname__iexact=last_name.strip(),
            application__applicant__date_of_birth=date_of_birth,
        )
    return enrolments.none()
