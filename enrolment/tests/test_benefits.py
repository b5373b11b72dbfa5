"""The renewal-benefit extension: applied on the expiry date to members who applied to
renew before it (never to auto-renewed ones), for at most five years; ended when the
renewal is refused, withdrawn or expires, or completes; one audit row and one e-mail per
change however often (and however concurrently) the daily sweep runs; what the member
and the CBP officer see."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from bookings.services import appointment_book
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent, OutboxMessage
from common.outbox import outbox_deliver
from common.tests.helpers import force_login_verified
from common.tests.threads import run_at_once
from enrolment.models import Applicant, Application, Membership
from enrolment.services import BenefitsSweep, membership_benefits_sweep
from enrolment.tasks import membership_benefits_sweep_task
from enrolment.tests.factories import ApplicationFactory, MembershipFactory
from interviews.models import Agency, Interview
from interviews.services import appointment_check_in, interview_record_outcome
from interviews.tests.factories import officer
from nexus_portal.celery import app

UTC = datetime.UTC
EXPIRES = datetime.date(2026, 12, 31)
EXTENDED = datetime.date(2031, 12, 31)  # five years past the expiry date
BEFORE = datetime.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # applied before expiry


def _renewal(*, submitted_at=BEFORE, expires_on=EXPIRES, **fields) -> Application:
    """A member's renewal application, submitted at ``submitted_at``."""
    membership = MembershipFactory(expires_on=expires_on, **fields)
    application = ApplicationFactory(
        applicant=membership.applicant, renewal=True, membership=membership
    )
    Application.objects.filter(pk=application.pk).update(submitted_at=submitted_at)
    application.refresh_from_db()
    return application


def _extended_until(application) -> datetime.date | None:
    return Membership.objects.get(pk=application.membership_id).benefits_extended_until


def _enrolment_state(application, state, **fields) -> None:
    Interview.objects.update_or_create(application=application, defaults={"state": state, **fields})


def _audits(action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- when an extension starts ------------------------------------------------------------


@pytest.mark.django_db
def test_a_renewal_applied_for_before_expiry_keeps_the_benefits_five_years_past_it(
    django_capture_on_commit_callbacks,
):
    application = _renewal()

    with django_capture_on_commit_callbacks(execute=True):
        result = membership_benefits_sweep(today=EXPIRES)

    assert result == BenefitsSweep(extended=1, ended=0)
    assert _extended_until(application) == EXTENDED
    (audit,) = _audits("membership.benefits_extended")
    assert audit.actor is None and audit.target_id == str(application.membership_id)
    assert audit.data == {"until": "2031-12-31"}  # a date, no name or number
    (message,) = mail.outbox
    assert message.to == [application.applicant.user.email]
    assert "benefits are extended until Wednesday 31 December 2031" in message.subject
    assert "Benefits extended until: Wednesday 31 December 2031" in message.body
    assert application.membership.number in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Wednesday 31 December 2031" in html
    assert message.extra_headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_nothing_is_extended_before_the_expiry_date():
    application = _renewal()

    assert membership_benefits_sweep(today=EXPIRES - datetime.timedelta(days=1)) == BenefitsSweep(
        0, 0
    )
    assert _extended_until(application) is None
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "submitted_at",
    [
        pytest.param(datetime.datetime(2026, 12, 31, 0, 5, tzinfo=UTC), id="on-the-expiry-date"),
        pytest.param(datetime.datetime(2027, 1, 10, 9, 0, tzinfo=UTC), id="after-expiry"),
    ],
)
def test_a_renewal_applied_for_on_or_after_the_expiry_date_gets_no_extension(submitted_at):
    application = _renewal(submitted_at=submitted_at)

    membership_benefits_sweep(today=datetime.date(2027, 1, 15))

    assert _extended_until(application) is None
    assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


@pytest.mark.django_db
def test_the_last_minute_before_the_expiry_date_still_counts():
    application = _renewal(submitted_at=datetime.datetime(2026, 12, 30, 23, 59, tzinfo=UTC))

    membership_benefits_sweep(today=EXPIRES)

    assert _extended_until(application) == EXTENDED


@pytest.mark.django_db
def test_an_auto_renewed_membership_gets_no_extension():
    application = _renewal(auto_renewed=True)

    assert membership_benefits_sweep(today=EXPIRES) == BenefitsSweep(0, 0)
    assert _extended_until(application) is None


@pytest.mark.django_db
def test_a_renewal_still_under_review_or_after_a_missed_interview_is_under_way():
    pending = _renewal()
    Application.objects.filter(pk=pending.pk).update(
        status=Application.Status.PENDING, conditionally_approved_at=None
    )
    missed = _renewal()
    _enrolment_state(missed, Interview.State.NO_SHOW)
    under_review = _renewal()
    _enrolment_state(under_review, Interview.State.UNDER_REVIEW, review_agency=Agency.CBSA)

    assert membership_benefits_sweep(today=EXPIRES).extended == 3
    assert {_extended_until(a) for a in (pending, missed, under_review)} == {EXTENDED}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state",
    [Interview.State.REFUSED, Interview.State.EXPIRED, Interview.State.ENROLLED, "withdrawn"],
)
def test_a_renewal_that_is_over_starts_no_extension(state):
    application = _renewal()
    if state == "withdrawn":
        Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
    else:
        _enrolment_state(application, state)

    assert membership_benefits_sweep(today=EXPIRES) == BenefitsSweep(0, 0)
    assert _extended_until(application) is None


@pytest.mark.django_db
def test_a_new_membership_application_extends_nothing():
    membership = MembershipFactory(expires_on=EXPIRES)
    ApplicationFactory(applicant=membership.applicant)  # a new application, not a renewal

    assert membership_benefits_sweep(today=EXPIRES) == BenefitsSweep(0, 0)


# --- when it ends -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (Interview.State.REFUSED, "refused"),
        (Interview.State.EXPIRED, "expired"),
        ("withdrawn", "withdrawn"),
    ],
)
def test_the_extension_ends_when_the_renewal_is_refused_withdrawn_or_expires(
    state, reason, django_capture_on_commit_callbacks
):
    application = _renewal()
    with django_capture_on_commit_callbacks(execute=True):
        membership_benefits_sweep(today=EXPIRES)
    if state == "withdrawn":
        Application.objects.filter(pk=application.pk).update(status=Application.Status.WITHDRAWN)
    else:
        _enrolment_state(application, state)

    later = datetime.date(2027, 3, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert membership_benefits_sweep(today=later) == BenefitsSweep(extended=0, ended=1)

    assert _extended_until(application) is None
    (ended,) = _audits("membership.benefits_extension_ended")
    assert ended.actor is None
    assert ended.data == {"until": "2031-12-31", "reason": reason}
    assert len(mail.outbox) == 1  # the "extended" message only
    # Ended for good: later runs neither end it again nor start it again.
    assert membership_benefits_sweep(today=later) == BenefitsSweep(0, 0)
    assert membership_benefits_sweep(today=later + datetime.timedelta(days=1)) == BenefitsSweep(
        0, 0
    )


@pytest.mark.django_db
def test_the_extension_ends_if_the_membership_is_auto_renewed_meanwhile():
    application = _renewal()
    membership_benefits_sweep(today=EXPIRES)
    Membership.objects.filter(pk=application.membership_id).update(auto_renewed=True)

    assert membership_benefits_sweep(today=EXPIRES + datetime.timedelta(days=1)).ended == 1
    assert _extended_until(application) is None
    (ended,) = _audits("membership.benefits_extension_ended")
    assert ended.data["reason"] == "auto_renewed"


@pytest.mark.django_db
def test_the_extension_never_runs_past_five_years():
    application = _renewal()
    membership_benefits_sweep(today=EXPIRES)

    # Still there on its last day...
    assert membership_benefits_sweep(today=EXTENDED) == BenefitsSweep(0, 0)
    assert _extended_until(application) == EXTENDED
    # ...and over the day after, though the renewal is still under way.
    assert membership_benefits_sweep(today=EXTENDED + datetime.timedelta(days=1)).ended == 1
    assert _extended_until(application) is None
    (ended,) = _audits("membership.benefits_extension_ended")
    assert ended.data["reason"] == "limit_reached"
    assert membership_benefits_sweep(today=EXTENDED + datetime.timedelta(days=2)) == BenefitsSweep(
        0, 0
    )


@pytest.mark.django_db
def test_a_membership_that_expired_more_than_five_years_ago_gets_no_extension():
    application = _renewal()

    assert membership_benefits_sweep(today=EXTENDED + datetime.timedelta(days=1)) == BenefitsSweep(
        0, 0
    )
    assert _extended_until(application) is None
    # On the last day of the five years it would still be given, up to that day.
    membership_benefits_sweep(today=EXTENDED)
    assert _extended_until(application) == EXTENDED


@pytest.mark.django_db
def test_a_membership_expiring_on_29_february_is_extended_to_28_february():
    application = _renewal(
        expires_on=datetime.date(2028, 2, 29),
        submitted_at=datetime.datetime(2028, 1, 10, tzinfo=UTC),
        issued_on=datetime.date(2023, 2, 28),
    )

    membership_benefits_sweep(today=datetime.date(2028, 2, 29))

    assert _extended_until(application) == datetime.date(2033, 2, 28)


@pytest.mark.django_db
def test_completing_the_renewal_ends_the_extension_and_the_sweep_leaves_it_ended(
    time_machine, django_capture_on_commit_callbacks
):
    now = datetime.datetime(2027, 1, 4, 14, 0, tzinfo=UTC)  # after the expiry date
    time_machine.move_to(now, tick=False)
    application = _renewal()
    membership_benefits_sweep(today=now.date())
    assert _extended_until(application) == EXTENDED
    centre = CentreFactory(land_border=True, time_zone="UTC")
    cbsa, cbp = officer(Agency.CBSA, centre), officer(Agency.CBP, centre)
    slot = SlotFactory(centre=centre, starts_at=now + datetime.timedelta(minutes=30))
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user,
        now=now - datetime.timedelta(minutes=1),
    )  # fmt: skip
    appointment_check_in(appointment=appointment, officer=cbsa)
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    interview_record_outcome(application=application, officer=cbp, outcome="pass")

    membership = Membership.objects.get(pk=application.membership_id)
    assert membership.benefits_extended_until is None
    assert membership.expires_on == datetime.date(2032, 1, 4)  # renewed after expiry
    assert membership_benefits_sweep(today=now.date()) == BenefitsSweep(0, 0)
    assert membership_benefits_sweep(today=datetime.date(2027, 1, 5)) == BenefitsSweep(0, 0)
    assert not _audits("membership.benefits_extension_ended")  # the workflow's history tells it


# --- once, however often -------------------------------------------------------------------


@pytest.mark.django_db
def test_running_twice_changes_and_sends_once(django_capture_on_commit_callbacks):
    application = _renewal()

    with django_capture_on_commit_callbacks(execute=True):
        first = membership_benefits_sweep(today=EXPIRES)
        second = membership_benefits_sweep(today=EXPIRES)
    with django_capture_on_commit_callbacks(execute=True):
        third = membership_benefits_sweep(today=EXPIRES + datetime.timedelta(days=1))

    assert (first, second, third) == (BenefitsSweep(1, 0), BenefitsSweep(0, 0), BenefitsSweep(0, 0))
    assert _extended_until(application) == EXTENDED
    assert len(_audits("membership.benefits_extended")) == 1
    assert list(OutboxMessage.objects.values_list("key", flat=True)) == [
        f"membership.benefits_extended:{application.membership_id}:2031-12-31"
    ]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_message_for_an_extension_that_ended_before_it_went_out_is_not_sent():
    application = _renewal()
    membership_benefits_sweep(today=EXPIRES)  # recorded, not yet delivered
    Membership.objects.filter(pk=application.membership_id).update(benefits_extended_until=None)

    assert outbox_deliver(message_id=OutboxMessage.objects.get().pk)
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_mail_is_in_the_members_language(django_capture_on_commit_callbacks):
    application = _renewal()
    Applicant.objects.filter(pk=application.applicant_id).update(preferred_language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        membership_benefits_sweep(today=EXPIRES)

    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "fr"
    assert "mercredi 31 décembre 2031" in message.body  # French date format
    assert "/fr/" in message.body
    assert 'lang="fr"' in message.alternatives[0][0]


@pytest.mark.django_db
def test_the_daily_task_runs_the_sweep_and_is_on_the_beat_schedule(
    time_machine, django_capture_on_commit_callbacks
):
    application = _renewal()
    time_machine.move_to(datetime.datetime(2027, 1, 1, 0, 15, tzinfo=UTC), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        result = membership_benefits_sweep_task.delay().get()

    assert result == {"extended": 1, "ended": 0}
    assert _extended_until(application) == EXTENDED
    assert len(mail.outbox) == 1
    # A day can be named (a missed run made up later).
    _enrolment_state(application, Interview.State.REFUSED)
    assert membership_benefits_sweep_task.delay("2027-01-02").get() == {"extended": 0, "ended": 1}
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enrolment.tasks.membership_benefits_sweep_task" in names
    assert "enrolment.tasks.membership_benefits_sweep_task" in app.tasks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_extend_once_and_send_one_mail():
    applications = [_renewal() for _ in range(5)]

    results = run_at_once(
        lambda: membership_benefits_sweep(today=EXPIRES),
        lambda: membership_benefits_sweep(today=EXPIRES),
    )

    assert all(isinstance(r, BenefitsSweep) for r in results), results
    assert sum(r.extended for r in results) == 5
    assert {_extended_until(a) for a in applications} == {EXTENDED}
    assert len(_audits("membership.benefits_extended")) == 5
    assert OutboxMessage.objects.count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        a.applicant.user.email for a in applications
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_end_an_extension_once():
    application = _renewal()
    membership_benefits_sweep(today=EXPIRES)
    _enrolment_state(application, Interview.State.REFUSED)

    results = run_at_once(
        lambda: membership_benefits_sweep(today=EXPIRES + datetime.timedelta(days=3)),
        lambda: membership_benefits_sweep(today=EXPIRES + datetime.timedelta(days=3)),
    )

    assert sorted(r.ended for r in results) == [0, 1], results
    assert _extended_until(application) is None
    assert len(_audits("membership.benefits_extension_ended")) == 1


# --- what people see ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dashboard_says_until_when_the_benefits_are_extended(client):
    application = _renewal()
    client.force_login(application.applicant.user)
    page = client.get(reverse("enrolment:dashboard")).content.decode()
    assert "Your benefits are extended" not in page

    membership_benefits_sweep(today=EXPIRES)

    page = client.get(reverse("enrolment:dashboard")).content.decode()
    assert (
        "Your benefits are extended until Wednesday 31 December 2031 while your renewal is "
        "completed." in page
    )
    _enrolment_state(application, Interview.State.REFUSED)
    membership_benefits_sweep(today=EXPIRES + datetime.timedelta(days=1))
    page = client.get(reverse("enrolment:dashboard")).content.decode()
    assert "Your benefits are extended" not in page


@pytest.mark.django_db
def test_the_cbp_look_up_shows_the_validity_and_the_extended_validity(client, time_machine):
    now = datetime.datetime(2027, 1, 4, 14, 0, tzinfo=UTC)
    time_machine.move_to(now, tick=False)
    application = _renewal()
    centre = CentreFactory(land_border=True, time_zone="UTC")
    slot = SlotFactory(centre=centre, starts_at=now + datetime.timedelta(days=2))
    appointment_book(application=application, slot=slot, actor=application.applicant.user)
    number = application.membership.number
    force_login_verified(client, officer(Agency.CBP, centre))

    def look_up() -> tuple[str, str]:
        found = client.get(reverse("interviews:find"), {"number": number}).content.decode()
        enrolment = Interview.objects.get(application=application)
        detail = client.get(reverse("interviews:enrolment", args=[enrolment.pk]))
        return found, detail.content.decode()

    for page in look_up():
        assert f"{number}, valid until Thursday 31 December 2026" in page
        assert "benefits extended until" not in page

    membership_benefits_sweep(today=now.date())

    for page in look_up():
        assert f"{number}, valid until Thursday 31 December 2026" in page
        assert "benefits extended until Wednesday 31 December 2031" in page
