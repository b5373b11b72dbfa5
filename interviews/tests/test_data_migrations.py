import importlib

import pytest
from django.apps import apps

from centres.tests.factories import SlotFactory
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Appointment, Enrolment

migration = importlib.import_module("interviews.migrations.0003_enrolments_for_earlier_bookings")


@pytest.mark.django_db
def test_applications_booked_before_enrolments_existed_get_one():
    booked = ApplicationFactory()
    Appointment.objects.create(application=booked, slot=SlotFactory(), step="cbsa")
    Appointment.objects.create(
        application=booked, slot=SlotFactory(), step="cbsa", status="cancelled"
    )
    ApplicationFactory()  # never booked: no enrolment yet

    migration.create_enrolments(apps, None)
    migration.create_enrolments(apps, None)  # idempotent

    assert list(Enrolment.objects.values_list("application", "state")) == [
        (booked.pk, "awaiting_interview")
    ]
