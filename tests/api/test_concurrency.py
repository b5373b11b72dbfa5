"""Many applicants booking the last booth through the API at once, on PostgreSQL: one
201, every other a 409 ``slot_full`` in the one error shape, and no overbooking."""

import pytest
from rest_framework.test import APIClient

from bookings.models import Appointment
from centres.tests.factories import SlotFactory
from common.tests.threads import run_at_once
from enrolment.tests.factories import ApplicationFactory
from tests.api.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_last_booth_goes_to_one_caller_and_the_rest_hear_slot_full(yvr):
    slot = SlotFactory(centre=yvr, starts_at=at(2, 9), capacity=1)
    clients = []
    for _ in range(8):
        application = ApplicationFactory()
        client = APIClient()
        client.force_login(application.applicant.user)
        clients.append((client, application))

    def book(client, application):
        response = client.post(
            "/api/v1/appointments/book/",
            {"application": application.number, "slot": slot.pk},
            format="json",
        )
        return response.status_code, response.json()

    results = run_at_once(*(lambda c=c, a=a: book(c, a) for c, a in clients))

    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [409] * 7
    assert {body["code"] for status, body in results if status == 409} == {"slot_full"}
    slot.refresh_from_db()
    assert slot.booked == 1 == Appointment.objects.count()
