"""Holding a time while the applicant confirms: the hold takes a booth, ends exactly once
(confirmed, released or expired), and a refused confirmation changes nothing else."""

import datetime

import pytest
from django.core import mail
from django.db.models import Count, Q
from django.utils import timezone

from bookings.models import Appointment, SlotHold
from bookings.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    hold_confirm,
    hold_release,
    holds_release_expired,
    slot_hold,
)
from centres.models import Slot
from centres.tests.factories import SlotFactory
from common.models import AuditEvent
from common.tests.threads import run_at_once
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def _soon(days=2, hours=0):
    return timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(
        days=days, hours=hours
    )


@pytest.fixture
def application(applicant):
    return ApplicationFactory(applicant=applicant)


@pytest.fixture
def other_application(other_applicant):
    return ApplicationFactory(applicant=other_applicant)


def _user(application):
    return application.applicant.user


def _hold(application, slot, **kwargs):
    return slot_hold(application=application, slot=slot, actor=_user(application), **kwargs)


def _booked(slot) -> int:
    return Slot.objects.get(pk=slot.pk).booked


def _invariant_holds():
    """Every slot's ``booked`` = appointments holding a booth + live or expired holds."""
    for slot in Slot.objects.annotate(
        appointments_n=Count(
            "appointments",
            filter=Q(appointments__status__in=Appointment.HOLDS_BOOTH),
            distinct=True,
        ),
        holds_n=Count("holds", distinct=True),
    ):
        assert slot.booked == slot.appointments_n + slot.holds_n, slot


def test_a_hold_takes_the_booth_so_nobody_else_can_have_it(application, other_application):
    slot = SlotFactory(capacity=1, starts_at=_soon())
    hold = _hold(application, slot)
    assert _booked(slot) == 1
    assert hold.expires_at == pytest.approx(
        timezone.now() + datetime.timedelta(minutes=10), abs=datetime.timedelta(seconds=5)
    )
    with pytest.raises(BookingError) as refused:
        _hold(other_application, slot)
    assert refused.value.code == "slot_full"
    with pytest.raises(BookingError):
        appointment_book(application=other_application, slot=slot, actor=_user(other_application))
    _invariant_holds()


def test_the_hold_length_is_a_setting(application, settings):
    settings.SLOT_HOLD_MINUTES = 3
    now = _soon(days=0)
    hold = _hold(application, SlotFactory(starts_at=_soon()), now=now)
    assert hold.expires_at == now + datetime.timedelta(minutes=3)


def test_confirming_books_the_held_time_and_mails_a_calendar_entry(
    application, django_capture_on_commit_callbacks
):
    slot = SlotFactory(capacity=1, starts_at=_soon())
    hold = _hold(application, slot)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = hold_confirm(hold=hold, actor=_user(application))
    assert appointment.slot == slot and appointment.status == Appointment.Status.BOOKED
    assert _booked(slot) == 1  # the held booth became the appointment's, not a second one
    assert not SlotHold.objects.exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments[0][0] == "nexus-interview.ics"
    assert AuditEvent.objects.filter(action="slot.hold_ended", data__outcome="confirmed").exists()
    _invariant_holds()


def test_a_new_hold_replaces_the_earlier_one(application):
    first, second = SlotFactory(starts_at=_soon()), SlotFactory(starts_at=_soon(hours=1))
    _hold(application, first)
    _hold(application, second)
    assert SlotHold.objects.get().slot == second
    assert (_booked(first), _booked(second)) == (0, 1)


def test_releasing_gives_the_booth_back(application):
    slot = SlotFactory(capacity=1, starts_at=_soon())
    hold = _hold(application, slot)
    hold_release(hold=hold, actor=_user(application))
    hold_release(hold=hold, actor=_user(application))  # twice: nothing more happens
    assert _booked(slot) == 0 and not SlotHold.objects.exists()
    assert AuditEvent.objects.filter(data__outcome="released").count() == 1


def test_an_expired_hold_cannot_be_confirmed_and_frees_its_booth(application):
    slot = SlotFactory(capacity=1, starts_at=_soon())
    now = timezone.now()
    hold = _hold(application, slot, now=now)
    with pytest.raises(BookingError) as refused:
        hold_confirm(hold=hold, actor=_user(application), now=now + datetime.timedelta(minutes=11))
    assert refused.value.code == "hold_expired"
    assert _booked(slot) == 0 and not SlotHold.objects.exists()
    assert not Appointment.objects.exists()
    assert mail.outbox == []


def test_expired_holds_are_swept_once_however_often_the_sweep_runs(application, other_application):
    a, b = SlotFactory(starts_at=_soon()), SlotFactory(starts_at=_soon(hours=1))
    now = timezone.now()
    _hold(application, a, now=now - datetime.timedelta(minutes=11))
    _hold(other_application, b, now=now)
    assert holds_release_expired(now=now) == 1
    assert holds_release_expired(now=now) == 0
    assert (_booked(a), _booked(b)) == (0, 1)
    assert AuditEvent.objects.filter(data__outcome="expired").count() == 1
    _invariant_holds()


def test_an_expired_hold_on_a_full_slot_does_not_block_the_next_applicant(
    application, other_application
):
    slot = SlotFactory(capacity=1, starts_at=_soon())
    now = timezone.now()
    _hold(application, slot, now=now - datetime.timedelta(minutes=30))
    hold = _hold(other_application, slot, now=now)  # no sweep has run: freed on the spot
    assert hold.application == other_application
    assert SlotHold.objects.count() == 1 and _booked(slot) == 1


def test_a_hold_checks_everything_a_booking_checks(application):
    past = SlotFactory(starts_at=timezone.now() - datetime.timedelta(hours=1))
    with pytest.raises(BookingError) as refused:
        _hold(application, past)
    assert refused.value.code == "slot_in_past"
    appointment_book(
        application=application, slot=SlotFactory(starts_at=_soon()), actor=_user(application)
    )
    with pytest.raises(BookingError) as refused:
        _hold(application, SlotFactory(starts_at=_soon(hours=2)))
    assert refused.value.code == "already_booked"
    assert not SlotHold.objects.exists()


def test_nobody_holds_for_someone_else(application, other_applicant):
    with pytest.raises(BookingError) as refused:
        slot_hold(
            application=application, slot=SlotFactory(starts_at=_soon()), actor=other_applicant.user
        )
    assert refused.value.kind == "not_found"
    assert not SlotHold.objects.exists()


def test_a_hold_for_moving_an_appointment_moves_it_on_confirmation(application):
    old_slot = SlotFactory(starts_at=_soon())
    new_slot = SlotFactory(centre=old_slot.centre, capacity=1, starts_at=_soon(days=3))
    old = appointment_book(application=application, slot=old_slot, actor=_user(application))
    hold = _hold(application, new_slot, appointment=old)
    assert (_booked(old_slot), _booked(new_slot)) == (1, 1)  # the old one stands meanwhile
    new = hold_confirm(hold=hold, actor=_user(application))
    old.refresh_from_db()
    assert old.status == Appointment.Status.RESCHEDULED
    assert new.rescheduled_from == old and new.slot == new_slot
    assert (_booked(old_slot), _booked(new_slot)) == (0, 1)
    _invariant_holds()


def test_a_move_whose_appointment_was_cancelled_meanwhile_is_refused_cleanly(application):
    old_slot = SlotFactory(starts_at=_soon())
    new_slot = SlotFactory(centre=old_slot.centre, starts_at=_soon(days=3))
    old = appointment_book(application=application, slot=old_slot, actor=_user(application))
    hold = _hold(application, new_slot, appointment=old)
    appointment_cancel(appointment=old, actor=_user(application))
    # Nothing is left to move: cancelling ended the hold and freed its booth at once.
    assert not SlotHold.objects.exists() and _booked(new_slot) == 0
    with pytest.raises(BookingError) as refused:
        hold_confirm(hold=hold, actor=_user(application))
    assert refused.value.code == "hold_expired"
    assert not SlotHold.objects.exists()
    assert (_booked(old_slot), _booked(new_slot)) == (0, 0)
    assert Appointment.objects.filter(status=Appointment.Status.BOOKED).count() == 0
    _invariant_holds()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_applicants_racing_to_hold_the_last_booth_one_wins():
    slot = SlotFactory(capacity=1, starts_at=_soon())
    applications = [ApplicationFactory() for _ in range(12)]

    results = run_at_once(*[lambda a=a: _hold(a, slot) for a in applications])
    assert sum(isinstance(r, SlotHold) for r in results) == 1
    refusals = [r for r in results if not isinstance(r, SlotHold)]
    assert [getattr(r, "code", r) for r in refusals] == ["slot_full"] * 11
    assert _booked(slot) == 1
    _invariant_holds()
