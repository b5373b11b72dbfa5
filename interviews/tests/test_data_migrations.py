"""The interviews app's migrations that move rows, run for real: the database is taken
back to the migration before, rows are written with the models of that time, and the
migration runs forward (``migrate_to``, in ``conftest.py``)."""

import datetime
import importlib

from django.db import connection
from django.utils import timezone

from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from interviews.models import EnrolmentEvent, Interview

BEFORE_ENROLMENTS = ("interviews", "0002_workflow")
ENROLMENTS_FOR_EARLIER_BOOKINGS = ("interviews", "0003_enrolments_for_earlier_bookings")
BEFORE_RENAME = ("interviews", "0006_date_bounds")
RENAME = ("interviews", "0007_rename_enrolment_interview")


def test_applications_booked_before_enrolments_existed_get_one(migrate_to):
    booked = ApplicationFactory()
    ApplicationFactory()  # never booked: no enrolment
    slot, other_slot = SlotFactory(), SlotFactory()

    old = migrate_to(BEFORE_ENROLMENTS)
    Appointment = old.get_model("interviews", "Appointment")
    Appointment.objects.create(application_id=booked.pk, slot_id=slot.pk, step="cbsa")
    Appointment.objects.create(
        application_id=booked.pk, slot_id=other_slot.pk, step="cbsa", status="cancelled"
    )

    then = migrate_to(ENROLMENTS_FOR_EARLIER_BOOKINGS)
    migration = importlib.import_module(
        "interviews.migrations.0003_enrolments_for_earlier_bookings"
    )
    migration.create_enrolments(then, None)  # idempotent

    Enrolment = then.get_model("interviews", "Enrolment")
    assert list(Enrolment.objects.values_list("application", "state")) == [
        (booked.pk, "awaiting_interview")
    ]


def test_renaming_enrolment_to_interview_keeps_every_row(migrate_to):
    shared, fresh = ApplicationFactory(), ApplicationFactory()
    centre, officer, membership = CentreFactory(), UserFactory(), MembershipFactory()
    shared_at = timezone.now().replace(microsecond=0) - datetime.timedelta(days=1)

    old = migrate_to(BEFORE_RENAME)
    assert "interviews_enrolment" in connection.introspection.table_names()
    Enrolment = old.get_model("interviews", "Enrolment")
    OldEvent = old.get_model("interviews", "EnrolmentEvent")
    rows = [
        Enrolment.objects.create(
            application_id=shared.pk,
            state="shared_with_cbp",
            cbsa_centre_id=centre.pk,
            shared_at=shared_at,
            shared_by_id=officer.pk,
            membership_id=membership.pk,
        ),
        Enrolment.objects.create(application_id=fresh.pk),
    ]
    events = [
        OldEvent.objects.create(
            enrolment_id=rows[0].pk,
            action="share_with_cbp",
            from_state="cbsa_passed",
            to_state="shared_with_cbp",
            actor_id=officer.pk,
            agency="cbsa",
            centre_id=centre.pk,
            reason="shared",
            details={"fields": ["name", "date_of_birth"]},
        ),
        OldEvent.objects.create(
            enrolment_id=rows[1].pk, action="no_show", from_state="awaiting_interview",
            to_state="no_show",
        ),
    ]  # fmt: skip
    enrolments_before = list(Enrolment.objects.order_by("pk").values())
    events_before = list(OldEvent.objects.order_by("pk").values())
    for event in events_before:
        event["interview_id"] = event.pop("enrolment_id")

    migrate_to(RENAME)

    tables = connection.introspection.table_names()
    assert "interviews_interview" in tables
    assert "interviews_enrolment" not in tables
    # The same rows, primary keys and values, under the new names.
    assert list(Interview.objects.order_by("pk").values()) == enrolments_before
    assert list(EnrolmentEvent.objects.order_by("pk").values()) == events_before
    assert [e.pk for e in Interview.objects.get(pk=rows[0].pk).events.all()] == [events[0].pk]
    application = Application.objects.select_related("interview").get(pk=shared.pk)
    assert application.interview.pk == rows[0].pk
    assert application.interview.membership == membership
    assert Interview.objects.filter(application__number=fresh.number).get().pk == rows[1].pk
    # New rows take new ids after the kept ones.
    later = Interview.objects.create(application=ApplicationFactory())
    assert later.pk > max(row.pk for row in rows)
