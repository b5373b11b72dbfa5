"""The move of appointments, held times and earlier-time requests from ``interviews`` to
``bookings``, run for real on a database with rows: nothing in the database changes, every
row is still there under the new app, and the audit log still finds its appointments."""

import datetime

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from bookings.models import Appointment, SlotHold, WaitlistOffer, WaitlistRequest
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent
from enrolment.tests.factories import ApplicationFactory

BEFORE_MOVE = ("interviews", "0007_rename_enrolment_interview")
TABLES = [
    "interviews_appointment",
    "interviews_slothold",
    "interviews_waitlistrequest",
    "interviews_waitlistrequest_centres",
    "interviews_waitlistoffer",
]


def _rows(model) -> list[dict]:
    return list(model.objects.order_by("pk").values())


def test_moving_the_booking_models_keeps_every_row_and_the_audit_trail(migrate_to):
    application, other = ApplicationFactory(), ApplicationFactory()
    centre = CentreFactory()
    slot = SlotFactory(centre=centre)
    later = SlotFactory(centre=centre, starts_at=slot.starts_at + datetime.timedelta(hours=1))
    today = timezone.localdate()

    old = migrate_to(BEFORE_MOVE)
    assert ("interviews", "0008_bookings_moved_out") not in _applied()
    OldAppointment = old.get_model("interviews", "Appointment")
    booked = OldAppointment.objects.create(
        application_id=application.pk, slot_id=slot.pk, step="cbsa"
    )
    cancelled = OldAppointment.objects.create(
        application_id=other.pk, slot_id=later.pk, step="cbsa", status="cancelled"
    )
    hold = old.get_model("interviews", "SlotHold").objects.create(
        application_id=other.pk,
        slot_id=later.pk,
        expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    request = old.get_model("interviews", "WaitlistRequest").objects.create(
        application_id=application.pk,
        appointment_id=booked.pk,
        earliest=today,
        latest=today + datetime.timedelta(days=30),
    )
    request.centres.add(centre.pk)
    old.get_model("interviews", "WaitlistOffer").objects.create(
        request_id=request.pk, slot_id=later.pk, hold_id=hold.pk
    )
    OldContentType = old.get_model("contenttypes", "ContentType")
    appointment_type = OldContentType.objects.get(app_label="interviews", model="appointment")
    old.get_model("common", "AuditEvent").objects.create(
        action="appointment.cancelled",
        target_type_id=appointment_type.pk,
        target_id=str(cancelled.pk),
        data={"status": "cancelled"},
    )
    before = {table: _table_rows(table) for table in TABLES}

    migrate_to(("interviews", "0008_bookings_moved_out"))

    # The same tables and rows; then read through the new app's models (as they are now).
    assert {table: _table_rows(table) for table in TABLES} == before
    migrate_to(None)
    assert [a["id"] for a in _rows(Appointment)] == [booked.pk, cancelled.pk]
    assert SlotHold.objects.get().appointment is None
    waiting = WaitlistRequest.objects.get()
    assert waiting.appointment.pk == booked.pk
    assert list(waiting.centres.values_list("pk", flat=True)) == [centre.pk]
    assert WaitlistOffer.objects.get().hold.pk == hold.pk
    # The content type (and so the audit row and the permissions) moved with the model.
    moved = ContentType.objects.get_for_model(Appointment)
    assert moved.pk == appointment_type.pk
    assert (moved.app_label, moved.model) == ("bookings", "appointment")
    assert not ContentType.objects.filter(app_label="interviews", model="appointment").exists()
    assert AuditEvent.objects.get(target_type=moved).target_id == str(cancelled.pk)
    assert Permission.objects.filter(content_type=moved, codename="view_appointment").exists()


def _applied() -> set:
    from django.db.migrations.recorder import MigrationRecorder

    return set(MigrationRecorder(connection).applied_migrations())


def _table_rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        # The table names are this module's own constants.
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
        return cursor.fetchall()


def test_cancellation_reasons_come_from_the_audit_log(migrate_to):
    applicant_cancelled, expired, other = (ApplicationFactory() for _ in range(3))
    centre = CentreFactory()
    slots = [
        SlotFactory(centre=centre, starts_at=timezone.now() + datetime.timedelta(days=2, hours=h))
        for h in range(4)
    ]

    old = migrate_to(("bookings", "0001_initial"))
    OldAppointment = old.get_model("bookings", "Appointment")
    AuditRow = old.get_model("common", "AuditEvent")
    appointment_type = old.get_model("contenttypes", "ContentType").objects.get(
        app_label="bookings", model="appointment"
    )
    user = applicant_cancelled.applicant.user

    def cancelled(application, slot, actor_id=None, audit=True, **data):
        row = OldAppointment.objects.create(
            application_id=application.pk, slot_id=slot.pk, step="cbsa", status="cancelled"
        )
        if audit:
            AuditRow.objects.create(
                actor_id=actor_id, action="appointment.cancelled",
                target_type_id=appointment_type.pk, target_id=str(row.pk), data=data,
            )  # fmt: skip
        return row.pk

    by_applicant = cancelled(applicant_cancelled, slots[0], actor_id=user.pk)
    by_expiry = cancelled(expired, slots[1], reason="enrolment_expired")
    unaudited = cancelled(other, slots[2], audit=False)
    booked = OldAppointment.objects.create(
        application_id=other.pk, slot_id=slots[3].pk, step="cbsa"
    ).pk

    migrate_to(None)  # the models below are today's

    rows = {a.pk: (a.status, a.cancel_reason, a.cancelled_by_id) for a in Appointment.objects.all()}
    assert rows == {
        by_applicant: ("cancelled", "applicant", user.pk),
        by_expiry: ("cancelled", "enrolment_expired", None),
        unaudited: ("cancelled", "applicant", None),
        booked: ("booked", "", None),
    }
