import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.models import Appointment, Step
from bookings.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from centres.models import Slot
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(applicant):
    return ApplicationFactory(applicant=applicant)


@pytest.fixture
def airport_slot():
    return SlotFactory(capacity=1)


def _soon(days=2, hours=0):
    return timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(
        days=days, hours=hours
    )


def _state(*slots):
    return (
        [Slot.objects.filter(pk=s.pk).values_list("capacity", "booked").get() for s in slots],
        sorted(Appointment.objects.values_list("pk", "status", "slot_id")),
        AuditEvent.objects.count(),
        sorted(Application.objects.values_list("pk", "path")),
    )


def _book(application, slot):
    return appointment_book(application=application, slot=slot, actor=application.applicant.user)


def test_booking_takes_a_booth_fixes_the_path_and_is_audited(application, airport_slot):
    appointment = _book(application, airport_slot)

    airport_slot.refresh_from_db()
    application.refresh_from_db()
    assert airport_slot.booked == 1
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.step == Step.CBSA
    assert application.path == Application.Path.AIRPORT
    event = AuditEvent.objects.get(action="appointment.booked")
    assert event.actor == application.applicant.user
    assert event.data == {
        "application": application.pk, "slot": airport_slot.pk, "status": "booked"
    }  # fmt: skip


def test_a_joint_appointment_is_booked_at_a_us_land_border_centre(application):
    slot = SlotFactory(centre=CentreFactory(land_border=True))
    assert _book(application, slot).step == Step.JOINT
    application.refresh_from_db()
    assert application.path == Application.Path.JOINT


def test_a_split_site_appointment_is_booked_at_the_canadian_site(application):
    us_site = CentreFactory(
        split_site=True, country="US", region="NY", has_cbp=True, takes_appointments=False
    )
    slot = SlotFactory(centre=CentreFactory(split_site=True, counterpart=us_site))
    assert _book(application, slot).step == Step.CBSA
    application.refresh_from_db()
    assert application.path == Application.Path.SPLIT_SITE


@pytest.mark.parametrize(
    "centre_kwargs",
    [
        {"preclearance": True},
        {"split_site": True, "country": "US", "region": "NY", "takes_appointments": False},
        {"is_active": False},
    ],
    ids=["preclearance-area", "us-side-of-split-site", "inactive-centre"],
)
def test_it_refuses_centres_that_take_no_appointments(application, centre_kwargs):
    slot = SlotFactory(centre=CentreFactory(**centre_kwargs))
    before = _state(slot)
    with pytest.raises(BookingError) as error:
        _book(application, slot)
    assert error.value.code == "centre_takes_no_appointments"
    assert _state(slot) == before


@pytest.mark.parametrize(
    ("path", "centre_kwargs"),
    [
        (Application.Path.AIRPORT, {"land_border": True}),
        (Application.Path.AIRPORT, {"split_site": True}),
        (Application.Path.JOINT, {}),
        (Application.Path.SPLIT_SITE, {}),
    ],
)
def test_it_refuses_a_centre_that_does_not_fit_the_path(applicant, path, centre_kwargs):
    application = ApplicationFactory(applicant=applicant)
    own = {"airport": {}, "joint": {"land_border": True}, "split_site": {"split_site": True}}
    _book(application, SlotFactory(centre=CentreFactory(**own[path])))  # the path holds
    assert Application.objects.get(pk=application.pk).path == path
    slot = SlotFactory(centre=CentreFactory(**centre_kwargs))
    before = _state(slot)
    with pytest.raises(BookingError) as error:
        _book(application, slot)
    assert error.value.code == "wrong_path"
    assert _state(slot) == before


def test_after_cancelling_the_applicant_may_choose_another_path(application, airport_slot):
    first = _book(application, airport_slot)
    appointment_cancel(appointment=first, actor=application.applicant.user)
    joint = SlotFactory(centre=CentreFactory(land_border=True))
    _book(application, joint)
    assert Application.objects.get(pk=application.pk).path == Application.Path.JOINT


def test_after_a_missed_interview_the_path_holds(application, airport_slot):
    first = _book(application, airport_slot)
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.Status.NO_SHOW)
    with pytest.raises(BookingError) as error:
        _book(application, SlotFactory(centre=CentreFactory(land_border=True)))
    assert error.value.code == "wrong_path"


def test_it_refuses_an_application_that_is_not_conditionally_approved(applicant, airport_slot):
    application = ApplicationFactory(applicant=applicant, pending=True)
    before = _state(airport_slot)
    with pytest.raises(BookingError) as error:
        _book(application, airport_slot)
    assert error.value.code == "not_approved"
    assert _state(airport_slot) == before


def test_it_refuses_a_slot_in_the_past(application):
    slot = SlotFactory(starts_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(BookingError) as error:
        _book(application, slot)
    assert error.value.code == "slot_in_past"
    assert Slot.objects.get(pk=slot.pk).booked == 0


def test_it_refuses_a_slot_beyond_the_horizon(application, settings):
    slot = SlotFactory(starts_at=_soon(days=settings.SLOT_HORIZON_DAYS + 2))
    with pytest.raises(BookingError) as error:
        _book(application, slot)
    assert error.value.code == "slot_beyond_horizon"


def test_it_refuses_a_full_slot_and_changes_nothing(application, other_applicant, airport_slot):
    _book(ApplicationFactory(applicant=other_applicant), airport_slot)
    before = _state(airport_slot)
    with pytest.raises(BookingError) as error:
        _book(application, airport_slot)
    assert error.value.code == "slot_full"
    assert "just been taken" in error.value.message
    assert _state(airport_slot) == before


def test_it_refuses_a_closed_slot(application):
    slot = SlotFactory(capacity=0)
    with pytest.raises(BookingError) as error:
        _book(application, slot)
    assert error.value.code == "slot_closed"


def test_it_refuses_a_second_active_appointment_for_the_same_step(application, airport_slot):
    _book(application, airport_slot)
    other = SlotFactory(centre=airport_slot.centre, starts_at=_soon(days=3))
    before = _state(airport_slot, other)
    with pytest.raises(BookingError) as error:
        _book(application, other)
    assert error.value.code == "already_booked"
    assert _state(airport_slot, other) == before


def test_the_database_refuses_a_second_active_appointment_even_without_the_service(
    application, airport_slot
):
    _book(application, airport_slot)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(application=application, slot=airport_slot, step=Step.CBSA)


def test_the_database_refuses_more_bookings_than_booths(airport_slot):
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=airport_slot.pk).update(booked=2)


@pytest.mark.parametrize("who", ["other_applicant", "anonymous"])
def test_a_foreign_application_is_not_found(application, other_applicant, airport_slot, who):
    actor = other_applicant.user if who == "other_applicant" else AnonymousUser()
    before = _state(airport_slot)
    with pytest.raises(BookingError) as error:
        appointment_book(application=application, slot=airport_slot, actor=actor)
    assert (error.value.code, error.value.kind) == ("not_found", "not_found")
    assert _state(airport_slot) == before


def test_a_booking_may_be_made_for_the_applicant_by_a_programme_administrator(
    application, airport_slot, programme_admin
):
    appointment = appointment_book(
        application=application, slot=airport_slot, actor=programme_admin
    )
    assert AuditEvent.objects.get(target_id=str(appointment.pk)).actor == programme_admin


# Rescheduling


@pytest.fixture
def booked(application, airport_slot):
    return _book(application, airport_slot)


def test_rescheduling_takes_the_new_booth_and_releases_the_old(booked, airport_slot):
    new_slot = SlotFactory(centre=airport_slot.centre, starts_at=_soon(days=5))

    new = appointment_reschedule(
        appointment=booked, slot=new_slot, actor=booked.application.applicant.user
    )

    booked.refresh_from_db()
    assert booked.status == Appointment.Status.RESCHEDULED
    assert new.rescheduled_from == booked
    assert (new.slot, new.status) == (new_slot, Appointment.Status.BOOKED)
    assert Slot.objects.get(pk=airport_slot.pk).booked == 0
    assert Slot.objects.get(pk=new_slot.pk).booked == 1
    assert AuditEvent.objects.filter(
        action="appointment.rescheduled", target_id=str(booked.pk)
    ).exists()


def test_rescheduling_may_move_to_another_centre_on_the_same_path(booked):
    elsewhere = SlotFactory(centre=CentreFactory(time_zone="America/Vancouver"))
    new = appointment_reschedule(
        appointment=booked, slot=elsewhere, actor=booked.application.applicant.user
    )
    assert new.slot.centre == elsewhere.centre


def test_rescheduling_to_a_full_slot_leaves_the_old_booking_intact(
    booked, airport_slot, other_applicant
):
    full = SlotFactory(centre=airport_slot.centre, starts_at=_soon(days=4))
    _book(ApplicationFactory(applicant=other_applicant), full)
    before = _state(airport_slot, full)

    with pytest.raises(BookingError) as error:
        appointment_reschedule(
            appointment=booked, slot=full, actor=booked.application.applicant.user
        )

    assert error.value.code == "slot_full"
    assert _state(airport_slot, full) == before


@pytest.mark.parametrize(
    ("make_slot", "code"),
    [
        (lambda booked: booked.slot, "same_slot"),
        (lambda booked: SlotFactory(centre=CentreFactory(land_border=True)), "wrong_path"),
        (
            lambda booked: SlotFactory(centre=CentreFactory(preclearance=True)),
            "centre_takes_no_appointments",
        ),
        (
            lambda booked: SlotFactory(starts_at=timezone.now() - datetime.timedelta(hours=1)),
            "slot_in_past",
        ),
        (lambda booked: SlotFactory(capacity=0), "slot_closed"),
    ],
    ids=["same-slot", "other-path", "preclearance", "past", "closed"],
)
def test_rescheduling_refuses_an_illegal_move_and_changes_nothing(booked, make_slot, code):
    slot = make_slot(booked)
    before = _state(booked.slot, slot)
    with pytest.raises(BookingError) as error:
        appointment_reschedule(
            appointment=booked, slot=slot, actor=booked.application.applicant.user
        )
    assert error.value.code == code
    assert _state(booked.slot, slot) == before


def test_rescheduling_a_cancelled_or_moved_appointment_is_refused(booked, airport_slot):
    user = booked.application.applicant.user
    later = SlotFactory(centre=airport_slot.centre, starts_at=_soon(days=6))
    appointment_reschedule(appointment=booked, slot=later, actor=user)
    with pytest.raises(BookingError) as error:
        appointment_reschedule(appointment=booked, slot=airport_slot, actor=user)
    assert error.value.code == "appointment_not_active"


def test_rescheduling_an_appointment_that_has_started_is_refused(booked, airport_slot):
    later = SlotFactory(centre=airport_slot.centre, starts_at=_soon(days=6))
    with pytest.raises(BookingError) as error:
        appointment_reschedule(
            appointment=booked, slot=later, actor=booked.application.applicant.user,
            now=airport_slot.starts_at,
        )  # fmt: skip
    assert error.value.code == "appointment_started"


def test_rescheduling_a_foreign_appointment_is_not_found(booked, other_applicant, airport_slot):
    later = SlotFactory(centre=airport_slot.centre, starts_at=_soon(days=6))
    before = _state(airport_slot, later)
    with pytest.raises(BookingError) as error:
        appointment_reschedule(appointment=booked, slot=later, actor=other_applicant.user)
    assert error.value.kind == "not_found"
    assert _state(airport_slot, later) == before


# Cancelling


def test_cancelling_frees_the_booth_and_is_audited(booked, airport_slot):
    cancelled = appointment_cancel(appointment=booked, actor=booked.application.applicant.user)
    assert cancelled.status == Appointment.Status.CANCELLED
    assert Slot.objects.get(pk=airport_slot.pk).booked == 0
    assert AuditEvent.objects.filter(action="appointment.cancelled").count() == 1


def test_after_cancelling_the_applicant_may_book_again(booked, airport_slot):
    user = booked.application.applicant.user
    appointment_cancel(appointment=booked, actor=user)
    again = appointment_book(application=booked.application, slot=airport_slot, actor=user)
    assert again.status == Appointment.Status.BOOKED


def test_cancelling_twice_is_refused(booked, airport_slot):
    user = booked.application.applicant.user
    appointment_cancel(appointment=booked, actor=user)
    with pytest.raises(BookingError) as error:
        appointment_cancel(appointment=booked, actor=user)
    assert error.value.code == "appointment_not_active"
    assert Slot.objects.get(pk=airport_slot.pk).booked == 0


def test_cancelling_after_the_start_is_refused(booked, airport_slot):
    with pytest.raises(BookingError) as error:
        appointment_cancel(
            appointment=booked, actor=booked.application.applicant.user,
            now=airport_slot.starts_at + datetime.timedelta(minutes=5),
        )  # fmt: skip
    assert error.value.code == "appointment_started"
    assert Slot.objects.get(pk=airport_slot.pk).booked == 1


def test_cancelling_a_foreign_appointment_is_not_found(booked, other_applicant, airport_slot):
    with pytest.raises(BookingError) as error:
        appointment_cancel(appointment=booked, actor=other_applicant.user)
    assert error.value.kind == "not_found"
    assert Appointment.objects.get(pk=booked.pk).status == Appointment.Status.BOOKED
    assert Slot.objects.get(pk=airport_slot.pk).booked == 1
