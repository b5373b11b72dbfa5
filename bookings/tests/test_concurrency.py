"""Real threads against PostgreSQL: the booking engine never overbooks."""

import datetime
import random
import threading
from collections import Counter

import pytest
from django.db import close_old_connections
from django.db.models import Count, Q

from bookings.models import Appointment
from bookings.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from centres.models import Slot
from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.threads import run_at_once
from enrolment.tests.factories import ApplicationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_32_applicants_racing_for_a_one_booth_slot_exactly_one_wins():
    slot = SlotFactory(capacity=1)
    applications = [ApplicationFactory() for _ in range(32)]

    results = run_at_once(
        *(
            lambda app=app: appointment_book(application=app, slot=slot, actor=app.applicant.user)
            for app in applications
        )
    )

    winners = [r for r in results if isinstance(r, Appointment)]
    losers = [r for r in results if isinstance(r, BookingError)]
    assert len(winners) == 1
    assert len(losers) == 31
    assert {e.code for e in losers} == {"slot_full"}
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Appointment.objects.filter(slot=slot, status="booked").count() == 1


def test_random_book_reschedule_cancel_from_many_threads_keeps_every_count_exact():
    centre = CentreFactory()
    first = SlotFactory(centre=centre, capacity=2).starts_at
    slots = [
        SlotFactory(centre=centre, capacity=2, starts_at=first + datetime.timedelta(hours=h))
        for h in range(1, 9)
    ]
    applications = [ApplicationFactory() for _ in range(24)]
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def churn(application):
        close_old_connections()
        rng = random.Random(application.pk)
        user = application.applicant.user
        for _ in range(25):
            active = Appointment.objects.filter(application=application, status="booked").first()
            slot = rng.choice(slots)
            try:
                if active is None:
                    appointment_book(application=application, slot=slot, actor=user)
                    kind = "booked"
                elif rng.random() < 0.5:
                    appointment_reschedule(appointment=active, slot=slot, actor=user)
                    kind = "rescheduled"
                else:
                    appointment_cancel(appointment=active, actor=user)
                    kind = "cancelled"
            except BookingError as exc:
                kind = exc.code
            with lock:
                outcomes[kind] += 1

    results = run_at_once(*(lambda app=app: churn(app) for app in applications))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert outcomes["booked"] and outcomes["rescheduled"] and outcomes["cancelled"]
    assert outcomes["slot_full"]  # there was real contention
    counted = Slot.objects.filter(pk__in=[s.pk for s in slots]).annotate(
        active=Count("appointments", filter=Q(appointments__status="booked"))
    )
    for slot in counted:
        assert slot.booked == slot.active
        assert slot.booked <= slot.capacity
    per_application = Counter(
        Appointment.objects.filter(status="booked").values_list("application_id", flat=True)
    )
    assert max(per_application.values(), default=0) <= 1
