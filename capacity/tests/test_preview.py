"""A capacity change previewed before it is made: what it adds and removes per day, the
appointments it would strand, the earlier-time requests it would serve; the apply does
exactly that or is refused with the new preview. Part-day closures and time-windowed
extra booths."""

import datetime

import pytest
from django.utils import timezone

from bookings.models import Appointment, WaitlistRequest
from bookings.services import appointment_book
from capacity.selectors import centre_week, monday_of
from capacity.services import PreviewOutdated, capacity_change_apply, capacity_change_preview
from centres.models import Closure, ExtraCapacity, OpeningRule, Slot
from centres.services import CapacityError, centre_slots_generate
from centres.tests.factories import CentreFactory
from common.models import AuditEvent
from enrolment.tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

TORONTO = "America/Toronto"


@pytest.fixture
def centre(settings):
    """Open every day 08:00–10:00 local, 20-minute slots, 2 booths, for 14 days."""
    settings.SLOT_HORIZON_DAYS = 14
    centre = CentreFactory(time_zone=TORONTO)
    for weekday in range(7):
        OpeningRule.objects.create(
            centre=centre, weekday=weekday, opens_at=datetime.time(8), slot_minutes=20,
            closes_at=datetime.time(10), booths=2, valid_from=datetime.date(2020, 1, 1),
        )  # fmt: skip
    centre_slots_generate(centre=centre)
    return centre


def _day(n: int) -> datetime.date:
    return timezone.localdate(timezone=timezone.get_default_timezone()) + datetime.timedelta(days=n)


def _local_day(centre, n: int) -> datetime.date:
    return timezone.localtime(timezone.now(), centre.tz).date() + datetime.timedelta(days=n)


def _state(centre):
    return (
        sorted(Slot.objects.filter(centre=centre).values_list("starts_at", "capacity", "booked")),
        Closure.objects.count(),
        ExtraCapacity.objects.count(),
        AuditEvent.objects.count(),
    )


def _book_at(centre, day, hour, minute=0):
    start = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=centre.tz)
    slot = Slot.objects.get(centre=centre, starts_at=start)
    application = ApplicationFactory()
    return appointment_book(application=application, slot=slot, actor=application.applicant.user)


def test_extra_booths_in_a_window_are_previewed_and_nothing_changes(centre):
    day = _local_day(centre, 3)
    extra = ExtraCapacity(
        centre=centre, first_day=day, last_day=day + datetime.timedelta(days=1), extra_booths=3,
        from_time=datetime.time(9), until_time=datetime.time(10),
    )  # fmt: skip
    before = _state(centre)

    preview = capacity_change_preview(change=extra)

    assert _state(centre) == before  # a preview writes nothing
    assert [(d.day, d.slots_added, d.booths_gained, d.booths_lost) for d in preview.days] == [
        (day, 0, 9, 0),  # the 09:00, 09:20 and 09:40 slots: +3 each
        (day + datetime.timedelta(days=1), 0, 9, 0),
    ]
    assert preview.stranded == [] and preview.booths_missing == 0


def test_a_part_day_closure_removes_only_its_window_and_names_who_it_strands(centre):
    day = _local_day(centre, 2)
    first = _book_at(centre, day, 8, 20)
    _book_at(centre, day, 9, 40)  # outside the window: untouched
    closure = Closure(
        centre=centre, first_day=day, last_day=day, reason=Closure.Reason.WEATHER,
        from_time=datetime.time(8), until_time=datetime.time(9),
    )  # fmt: skip

    preview = capacity_change_preview(change=closure)

    assert [(d.day, d.slots_removed, d.booths_lost) for d in preview.days] == [(day, 3, 6)]
    assert [a.pk for a in preview.stranded] == [first.pk]
    assert preview.booths_missing == 1
    with pytest.raises(CapacityError):  # the existing rule: no booking is stranded
        capacity_change_apply(change=closure, fingerprint=preview.fingerprint, actor=UserFactory())
    assert not Closure.objects.exists()


def test_the_apply_does_what_was_previewed(centre):
    day = _local_day(centre, 5)
    closure = Closure(centre=centre, first_day=day, last_day=day, reason=Closure.Reason.HOLIDAY)
    preview = capacity_change_preview(change=closure)

    capacity_change_apply(change=closure, fingerprint=preview.fingerprint, actor=UserFactory())

    week = centre_week(centre, monday_of(day))
    closed = next(d for d in week.days if d.day == day)
    assert closed.offered == 0 and closed.closures == [Closure.objects.get()]
    assert preview.days[0].slots_removed == 6
    audit = AuditEvent.objects.get(action="closure.created")
    assert audit.data["slots_removed"] == 6


def test_a_booking_between_preview_and_apply_refuses_the_apply_with_the_new_preview(centre):
    day = _local_day(centre, 4)
    closure = Closure(centre=centre, first_day=day, last_day=day, reason=Closure.Reason.STAFFING)
    preview = capacity_change_preview(change=closure)
    assert preview.stranded == []
    appointment = _book_at(centre, day, 8)  # meanwhile
    before = _state(centre)

    with pytest.raises(PreviewOutdated) as outdated:
        capacity_change_apply(change=closure, fingerprint=preview.fingerprint, actor=UserFactory())

    assert [a.pk for a in outdated.value.preview.stranded] == [appointment.pk]
    assert _state(centre) == before


def test_new_booths_are_shown_to_the_earlier_time_requests_they_would_serve(centre):
    day = _local_day(centre, 6)
    waiting = ApplicationFactory()
    request = WaitlistRequest.objects.create(
        application=waiting, earliest=day, latest=day, mornings=True
    )
    request.centres.add(centre)
    elsewhere = WaitlistRequest.objects.create(
        application=ApplicationFactory(), earliest=day, latest=day
    )  # another centre's
    elsewhere.centres.add(CentreFactory())
    extra = ExtraCapacity(centre=centre, first_day=day, last_day=day, extra_booths=1)

    preview = capacity_change_preview(change=extra)

    assert preview.waitlist == [request]


def test_removing_an_extra_capacity_is_previewed_too(centre):
    day = _local_day(centre, 3)
    extra = ExtraCapacity.objects.create(centre=centre, first_day=day, last_day=day, extra_booths=1)
    centre_slots_generate(centre=centre)
    preview = capacity_change_preview(change=extra, delete=True)
    assert [(d.day, d.booths_lost) for d in preview.days] == [(day, 6)]
    capacity_change_apply(
        change=extra, delete=True, fingerprint=preview.fingerprint, actor=UserFactory()
    )
    assert not ExtraCapacity.objects.exists()


def test_the_week_counts_offered_booked_held_and_free_in_constant_queries(
    centre, django_assert_num_queries
):
    day = _local_day(centre, 1)
    _book_at(centre, day, 8)
    monday = monday_of(day)
    with django_assert_num_queries(3):
        week = centre_week(centre, monday)
    shown = next(d for d in week.days if d.day == day)
    assert (shown.offered, shown.booked, shown.held, shown.free) == (12, 1, 0, 11)
    assert shown.utilisation == pytest.approx(1 / 12)
    assert len(week.times) == 6
    assert Appointment.objects.count() == 1


def test_close_and_move_people_first(centre, settings, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.db.models import F

    from capacity.services import capacity_close_and_move
    from enrolment.models import Applicant

    day = _local_day(centre, 2)
    later = _book_at(centre, day, 9, 20)
    sooner = _book_at(centre, day, 8, 40)
    Applicant.objects.filter(pk=sooner.application.applicant_id).update(preferred_language="fr")
    # Every other time is taken: nothing is free to move them to yet.
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=centre.tz)
    Slot.objects.filter(centre=centre).exclude(
        starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1)
    ).update(booked=F("capacity"))
    ordinary = WaitlistRequest.objects.create(
        application=ApplicationFactory(), earliest=_local_day(centre, 1),
        latest=_local_day(centre, 10), auto_rebook=True,
    )  # fmt: skip
    ordinary.centres.add(centre)
    closure = Closure(centre=centre, first_day=day, last_day=day, reason=Closure.Reason.WEATHER)
    preview = capacity_change_preview(change=closure)
    assert [a.pk for a in preview.stranded] == [sooner.pk, later.pk]
    director = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        _result, moved = capacity_close_and_move(
            closure=closure, fingerprint=preview.fingerprint, actor=director
        )

    assert [a.pk for a in moved] == [sooner.pk, later.pk]
    for appointment in (sooner, later):
        appointment.refresh_from_db()
        assert (appointment.status, appointment.cancel_reason, appointment.cancelled_by) == (
            Appointment.Status.CANCELLED, "centre_closed", director,
        )  # fmt: skip
    assert Closure.objects.get().centre == centre
    first = list(
        WaitlistRequest.objects.filter(status="active").order_by("-first_in_line", "created_at")
    )
    assert [r.application_id for r in first] == [
        sooner.application_id, later.application_id, ordinary.application_id,
    ]  # fmt: skip
    assert all(r.auto_rebook for r in first)
    told = {m.to[0]: m.subject for m in mail.outbox}
    assert "fermé" in told[sooner.application.applicant.user.email]  # in French
    assert "closed" in told[later.application.applicant.user.email]

    # The first booth freed here is theirs, soonest appointment first, before the older
    # ordinary request.
    extra = ExtraCapacity(centre=centre, first_day=_local_day(centre, 5),
                          last_day=_local_day(centre, 5), extra_booths=1,
                          from_time=datetime.time(8), until_time=datetime.time(8, 20))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        capacity_change_apply(
            change=extra, fingerprint=capacity_change_preview(change=extra).fingerprint,
            actor=director,
        )  # fmt: skip
    rebooked = Appointment.objects.filter(
        application=sooner.application, status=Appointment.Status.BOOKED
    ).get()
    assert rebooked.slot.centre == centre


def test_the_audit_keeps_before_and_after(centre):
    from centres.services import capacity_change_save

    rule = OpeningRule.objects.filter(centre=centre).first()
    rule.booths = 3
    capacity_change_save(obj=rule, actor=UserFactory())
    audit = AuditEvent.objects.filter(action="openingrule.changed").get()
    assert (audit.data["before"]["booths"], audit.data["after"]["booths"]) == ("2", "3")
    assert audit.data["before"]["opens_at"] == "08:00:00"


def test_close_and_move_ends_a_time_held_at_a_closing_slot(centre):
    from bookings.models import SlotHold
    from bookings.services import slot_hold
    from capacity.services import capacity_close_and_move

    day = _local_day(centre, 3)
    booked = _book_at(centre, day, 8)
    start = datetime.datetime.combine(day, datetime.time(8), tzinfo=centre.tz)
    holder = ApplicationFactory()
    slot_hold(
        application=holder, slot=Slot.objects.get(centre=centre, starts_at=start),
        actor=holder.applicant.user,
    )  # fmt: skip
    closure = Closure(centre=centre, first_day=day, last_day=day, reason=Closure.Reason.WEATHER)
    preview = capacity_change_preview(change=closure)
    assert preview.booths_missing == 2  # the appointment and the held time

    capacity_close_and_move(closure=closure, fingerprint=preview.fingerprint, actor=UserFactory())

    booked.refresh_from_db()
    assert booked.cancel_reason == "centre_closed"
    assert not SlotHold.objects.filter(application=holder).exists()
    assert Closure.objects.filter(centre=centre).exists()
