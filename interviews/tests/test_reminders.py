"""What the applicant is told by e-mail in the background: reminders before the
appointment (``REMINDER_DAYS_BEFORE``, once each, never for a cancelled or moved time),
"the CBSA part is done — here is how to complete the CBP part", and "enrolment complete"
— all through the outbox, in the applicant's language."""

import datetime

import pytest
from django.conf import settings
from django.core import mail

from bookings.models import Appointment
from bookings.notifications import appointments_remind
from bookings.services import appointment_book, appointment_cancel, appointment_reschedule
from bookings.tasks import appointment_reminders_task
from centres.models import Slot
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import OutboxMessage
from common.outbox import outbox_deliver
from common.tests.threads import run_at_once
from enrolment.models import Applicant, Membership
from enrolment.tests.factories import ApplicationFactory, MembershipFactory
from interviews.models import Agency
from interviews.services import appointment_check_in, cbsa_share_with_cbp, interview_record_outcome
from interviews.tests.factories import officer, split_site_pair
from nexus_portal.celery import app

UTC = datetime.UTC
NOW = datetime.datetime(2027, 3, 1, 14, 0, tzinfo=UTC)  # a Monday
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
# Tuesday 9 March 2027, 10:20 in Vancouver (PST, UTC-8).
STARTS_AT = datetime.datetime(2027, 3, 9, 18, 20, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def yvr():
    return CentreFactory(
        name="Vancouver International Airport", city="Richmond", region="BC",
        time_zone="America/Vancouver",
    )  # fmt: skip


def _book(centre, starts_at=STARTS_AT, application=None) -> Appointment:
    application = application or ApplicationFactory()
    slot = Slot.objects.filter(centre=centre, starts_at=starts_at).first() or SlotFactory(
        centre=centre, starts_at=starts_at, capacity=5
    )
    return appointment_book(application=application, slot=slot, actor=application.applicant.user)


def _reminder_keys() -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(key__startswith="appointment.reminder:").values_list(
            "key", flat=True
        )
    )


def _remind(capture, at=None) -> int:
    """One run of the hourly job (at ``at``), its messages delivered after the commit."""
    with capture(execute=True):
        return appointments_remind(now=at)


pytestmark = pytest.mark.django_db


# --- reminders ----------------------------------------------------------------------------


def test_reminders_go_out_three_days_and_one_day_before_once_each(
    clock, yvr, django_capture_on_commit_callbacks
):
    appointment = _book(yvr)
    capture = django_capture_on_commit_callbacks

    assert _remind(capture, STARTS_AT - 3 * DAY - HOUR) == 0  # not yet
    assert _remind(capture, STARTS_AT - 3 * DAY + HOUR) == 1
    assert _remind(capture, STARTS_AT - 3 * DAY + 2 * HOUR) == 0  # never twice
    assert _remind(capture, STARTS_AT - DAY - HOUR) == 0
    assert _remind(capture, STARTS_AT - DAY + HOUR) == 1
    assert _remind(capture, STARTS_AT - HOUR) == 0

    assert _reminder_keys() == [
        f"appointment.reminder:{appointment.pk}:1",
        f"appointment.reminder:{appointment.pk}:3",
    ]
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.to == [appointment.application.applicant.user.email]
    assert message.subject == "NEXUS: reminder of your interview on Tuesday 9 March 2027"
    assert "Tuesday 9 March 2027, 10:20" in message.body and "Pacific time" in message.body
    assert "Vancouver International Airport" in message.body
    assert appointment.application.number in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "10:20" in html
    assert message.extra_headers["Content-Language"] == "en"


def test_the_hourly_task_records_them_and_is_on_the_beat_schedule(
    clock, yvr, django_capture_on_commit_callbacks
):
    _book(yvr)
    clock.move_to(STARTS_AT - DAY + HOUR, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert appointment_reminders_task.delay().get() == 1

    assert len(mail.outbox) == 1
    entries = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["bookings.tasks.appointment_reminders_task"] == 60 * 60
    assert "bookings.tasks.appointment_reminders_task" in app.tasks


def test_a_cancelled_appointment_gets_no_reminder(clock, yvr, django_capture_on_commit_callbacks):
    appointment = _book(yvr)
    appointment_cancel(appointment=appointment, actor=appointment.application.applicant.user)

    assert _remind(django_capture_on_commit_callbacks, STARTS_AT - DAY + HOUR) == 0
    assert _reminder_keys() == [] and mail.outbox == []


def test_a_moved_appointment_is_reminded_at_its_new_time_only(
    clock, yvr, django_capture_on_commit_callbacks
):
    old = _book(yvr)
    new_slot = SlotFactory(centre=yvr, starts_at=STARTS_AT + 5 * DAY)
    new = appointment_reschedule(
        appointment=old, slot=new_slot, actor=old.application.applicant.user
    )

    assert _remind(django_capture_on_commit_callbacks, STARTS_AT - 3 * DAY + HOUR) == 0
    assert _remind(django_capture_on_commit_callbacks, STARTS_AT - DAY + HOUR) == 0
    assert _remind(django_capture_on_commit_callbacks, new_slot.starts_at - DAY + HOUR) == 1
    assert _reminder_keys() == [f"appointment.reminder:{new.pk}:1"]
    (message,) = mail.outbox
    assert "Sunday 14 March 2027, 11:20" in message.body  # daylight time from 14 March


def test_a_reminder_recorded_before_a_cancellation_or_a_move_is_not_sent(
    clock, yvr, django_capture_on_commit_callbacks
):
    cancelled, moved = _book(yvr), _book(yvr)
    assert appointments_remind(now=STARTS_AT - DAY + HOUR) == 2  # recorded, not yet sent
    appointment_cancel(appointment=cancelled, actor=cancelled.application.applicant.user)
    appointment_reschedule(
        appointment=moved, slot=SlotFactory(centre=yvr, starts_at=STARTS_AT + DAY),
        actor=moved.application.applicant.user,
    )  # fmt: skip

    for message in OutboxMessage.objects.filter(key__startswith="appointment.reminder:"):
        assert outbox_deliver(message_id=message.pk)  # handled, and...
    assert mail.outbox == []  # ...skipped: the appointment is no longer booked


def test_a_checked_in_or_past_appointment_gets_no_late_reminder(clock, yvr):
    checked_in = _book(yvr)
    past = _book(yvr, starts_at=STARTS_AT - 2 * HOUR)
    assert appointments_remind(now=STARTS_AT - 2 * DAY + HOUR) == 2  # the worker is down...
    clock.move_to(STARTS_AT - 30 * MINUTE, tick=False)  # ...until the day itself
    appointment_check_in(appointment=checked_in, officer=officer(Agency.CBSA, yvr))

    for message in OutboxMessage.objects.filter(key__startswith="appointment.reminder:"):
        assert outbox_deliver(message_id=message.pk)
    assert mail.outbox == []
    assert Appointment.objects.get(pk=past.pk).status == Appointment.Status.BOOKED


def test_a_time_booked_inside_a_reminder_window_skips_that_reminder(
    clock, yvr, django_capture_on_commit_callbacks
):
    # Booked two days ahead: the confirmation has just told them; the 1-day one still comes.
    appointment = _book(yvr, starts_at=NOW + 2 * DAY)

    assert _remind(django_capture_on_commit_callbacks, NOW + HOUR) == 0
    assert _remind(django_capture_on_commit_callbacks, NOW + DAY + HOUR) == 1
    assert _reminder_keys() == [f"appointment.reminder:{appointment.pk}:1"]
    # Booked for this afternoon: no reminder at all.
    _book(yvr, starts_at=NOW + 3 * HOUR)
    assert _remind(django_capture_on_commit_callbacks, NOW + HOUR) == 0


def test_after_an_outage_only_the_nearest_reminder_goes_out(
    clock, yvr, django_capture_on_commit_callbacks
):
    appointment = _book(yvr)

    assert _remind(django_capture_on_commit_callbacks, STARTS_AT - 12 * HOUR) == 1

    assert _reminder_keys() == [f"appointment.reminder:{appointment.pk}:1"]
    assert len(mail.outbox) == 1


def test_the_reminder_days_come_from_settings(
    clock, yvr, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_DAYS_BEFORE = [5]
    appointment = _book(yvr)

    assert _remind(django_capture_on_commit_callbacks, STARTS_AT - 5 * DAY + HOUR) == 1
    assert _remind(django_capture_on_commit_callbacks, STARTS_AT - DAY + HOUR) == 0
    assert _reminder_keys() == [f"appointment.reminder:{appointment.pk}:5"]


def test_the_reminder_is_in_the_applicants_language(clock, yvr, django_capture_on_commit_callbacks):
    appointment = _book(yvr)
    Applicant.objects.filter(pk=appointment.application.applicant_id).update(
        preferred_language="fr"
    )

    _remind(django_capture_on_commit_callbacks, STARTS_AT - DAY + HOUR)

    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "fr"
    assert "mardi 9 mars 2027, 10 h 20" in message.body  # French date and time format
    assert "mardi 9 mars 2027" in message.subject
    assert "/fr/" in message.body


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_record_each_reminder_once(yvr, time_machine):
    time_machine.move_to(NOW, tick=False)
    appointments = [_book(yvr) for _ in range(3)]
    at = STARTS_AT - DAY + HOUR

    results = run_at_once(lambda: appointments_remind(now=at), lambda: appointments_remind(now=at))

    assert sum(results) == 3, results
    assert _reminder_keys() == sorted(f"appointment.reminder:{a.pk}:1" for a in appointments)
    assert len([m for m in mail.outbox if "reminder" in m.subject]) == 3


# --- the workflow's messages ----------------------------------------------------------------


def _checked_in(centre, cbsa, application=None) -> Appointment:
    appointment = _book(centre, starts_at=NOW + 30 * MINUTE, application=application)
    appointment_check_in(appointment=appointment, officer=cbsa)
    return appointment


def test_the_airport_share_tells_the_applicant_to_finish_at_any_preclearance_area(
    clock, django_capture_on_commit_callbacks
):
    airport = CentreFactory(time_zone="UTC")
    preclearance = CentreFactory(preclearance=True, airport=airport, time_zone="UTC")
    cbsa, cbp = officer(Agency.CBSA, airport), officer(Agency.CBP, preclearance)
    application = _checked_in(airport, cbsa).application
    with django_capture_on_commit_callbacks(execute=True):
        interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    assert mail.outbox == []  # passed, not yet shared: nothing to do yet

    with django_capture_on_commit_callbacks(execute=True):
        cbsa_share_with_cbp(application=application, officer=cbsa)

    (message,) = mail.outbox
    assert message.subject == "NEXUS: the CBSA part is done — how to complete the CBP part"
    assert "any Canadian airport preclearance area" in message.body
    assert "any Canadian airport preclearance area" in message.alternatives[0][0]
    assert OutboxMessage.objects.filter(key__startswith="enrolment.cbsa_complete:").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        interview_record_outcome(
            application=application, officer=cbp, outcome="pass", centre=preclearance
        )
    enrolled = mail.outbox[-1]
    membership = Membership.objects.get(applicant=application.applicant)
    assert enrolled.subject == "NEXUS: your enrolment is complete"
    assert f"Membership number (PASSID): {membership.number}" in enrolled.body
    valid_until = f"{membership.expires_on:%A} {membership.expires_on.day} "
    assert f"Valid until: {valid_until}" in enrolled.body
    assert membership.number in enrolled.alternatives[0][0]


def test_the_split_site_share_names_the_us_counterpart(clock, django_capture_on_commit_callbacks):
    ca_side, us_side = split_site_pair(time_zone="UTC")
    cbsa = officer(Agency.CBSA, ca_side)
    application = _checked_in(ca_side, cbsa).application
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")

    with django_capture_on_commit_callbacks(execute=True):
        cbsa_share_with_cbp(application=application, officer=cbsa)

    (message,) = mail.outbox
    assert f"complete the CBP part at {us_side.name}, {us_side.full_address}" in message.body
    assert "preclearance" not in message.body
    assert us_side.name in message.alternatives[0][0]


def test_a_joint_renewal_sends_one_renewed_message_in_french(
    clock, django_capture_on_commit_callbacks
):
    centre = CentreFactory(land_border=True, time_zone="UTC")
    cbsa, cbp = officer(Agency.CBSA, centre), officer(Agency.CBP, centre)
    member = MembershipFactory(expires_on=datetime.date(2027, 4, 30))
    Applicant.objects.filter(pk=member.applicant_id).update(preferred_language="fr")
    application = ApplicationFactory(applicant=member.applicant, renewal=True, membership=member)
    _checked_in(centre, cbsa, application=application)

    with django_capture_on_commit_callbacks(execute=True):
        interview_record_outcome(application=application, officer=cbp, outcome="pass")
        interview_record_outcome(application=application, officer=cbsa, outcome="pass")

    (message,) = mail.outbox  # no share on the joint path: only "complete"
    assert message.extra_headers["Content-Language"] == "fr"
    assert member.number in message.body
    assert "vendredi 30 avril 2032" in message.body  # the new expiry date, in French
    assert OutboxMessage.objects.filter(key__startswith="enrolment.enrolled:").count() == 1


def test_a_share_message_is_not_sent_once_the_enrolment_has_moved_on(clock):
    airport = CentreFactory(time_zone="UTC")
    preclearance = CentreFactory(preclearance=True, airport=airport, time_zone="UTC")
    cbsa, cbp = officer(Agency.CBSA, airport), officer(Agency.CBP, preclearance)
    application = _checked_in(airport, cbsa).application
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    cbsa_share_with_cbp(application=application, officer=cbsa)  # recorded, not yet sent
    interview_record_outcome(
        application=application, officer=cbp, outcome="pass", centre=preclearance
    )

    for message in OutboxMessage.objects.filter(key__startswith="enrolment."):
        outbox_deliver(message_id=message.pk)

    (message,) = mail.outbox  # "complete" says it all
    assert message.subject == "NEXUS: your enrolment is complete"
