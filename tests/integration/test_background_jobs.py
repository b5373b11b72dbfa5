"""Background jobs against a real Celery worker, Redis and PostgreSQL: a booking's
confirmation is mailed once, whether Redis was down at the time or the worker died
mid-delivery, and a sweep run twice at once acts once."""

import os
import re
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from bookings.models import Appointment
from bookings.services import appointment_book
from centres.tests.factories import SlotFactory
from common.models import AuditEvent, OutboxMessage
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory
from tests.integration.helpers import attachment_names, mails, mails_to, wait_until

SLOW_BACKEND = "tests.integration.slow_backend.SlowOnceEmailBackend"
DELIVERY_SECONDS = 15  # generous: each wait ends as soon as its condition holds
# The worker's log lines (-l info) for a task's receipt and its end.
RELAY_DONE = re.compile(r"outbox_relay_task\[[0-9a-f-]+\] succeeded")
DELIVERY_RECEIVED = re.compile(r"outbox_deliver_task\[([0-9a-f-]+)\] received")
DELIVERY_DONE = re.compile(r"outbox_deliver_task\[([0-9a-f-]+)\] (?:succeeded|raised)")
SWEEP_EXTENDED = re.compile(
    r"membership_benefits_sweep_task\[[0-9a-f-]+\] succeeded.*'extended': (\d+)"
)
SWEEP_DONE = re.compile(r"membership_benefits_sweep_task\[[0-9a-f-]+\] (?:succeeded|raised)")


def _book() -> tuple[Appointment, str]:
    """Book a fresh slot for a fresh applicant, committed; return it and their address."""
    application = ApplicationFactory()
    appointment = appointment_book(
        application=application, slot=SlotFactory(), actor=application.applicant.user
    )
    return appointment, application.applicant.user.email


def _message(appointment: Appointment) -> OutboxMessage:
    return OutboxMessage.objects.get(key=f"appointment.booked:{appointment.pk}")


def _delivered(appointment: Appointment):
    return _message(appointment).delivered_at is not None


def _relay_runs(worker) -> int:
    return len(RELAY_DONE.findall(worker.log_text()))


def _settled(worker, *, relay_runs: int = 2) -> None:
    """Wait until the worker's beat has relayed the outbox ``relay_runs`` more times and
    every delivery task it received has finished: a duplicate, if any, is out by then."""
    runs = _relay_runs(worker)

    def settled():
        log = worker.log_text()
        received = set(DELIVERY_RECEIVED.findall(log))
        return _relay_runs(worker) >= runs + relay_runs and received <= set(
            DELIVERY_DONE.findall(log)
        )

    wait_until(settled, timeout=DELIVERY_SECONDS, what="the relay to run again")


def test_a_booking_confirmation_is_mailed_by_the_worker(start_worker, mail_dir):
    start_worker(concurrency=2)

    appointment, address = _book()

    wait_until(lambda: mails(mail_dir), timeout=DELIVERY_SECONDS, what="the confirmation")
    wait_until(lambda: _delivered(appointment), timeout=DELIVERY_SECONDS, what="the mark")
    [mail] = mails(mail_dir)
    assert address in mail["To"]
    assert "nexus-interview.ics" in attachment_names(mail)
    message = _message(appointment)
    assert message.attempts == 1 and message.claimed_until is None and message.last_error == ""


def test_a_booking_made_while_redis_is_down_stands_and_is_mailed_once_it_is_back(
    broker, start_worker, mail_dir, caplog
):
    with broker.unreachable():
        appointment, address = _book()  # no exception: the booking does not need Redis

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    message = _message(appointment)
    assert message.delivered_at is None and message.attempts == 0  # the ask was lost
    assert f"outbox message {message.pk} waits for the relay" in caplog.text

    worker = start_worker(concurrency=2, beat=True)  # Redis is back, and so is beat

    wait_until(lambda: _delivered(appointment), timeout=DELIVERY_SECONDS, what="the relay")
    _settled(worker)
    [mail] = mails(mail_dir)
    assert address in mail["To"]
    assert _message(appointment).attempts == 1


def _pid_in_delivery(marker: Path) -> int:
    def pid():
        text = marker.read_text() if marker.exists() else ""
        return int(text) if text.isdigit() else None

    return wait_until(pid, timeout=DELIVERY_SECONDS, what="a worker inside the delivery")


def test_a_worker_killed_mid_delivery_is_replaced_and_the_mail_goes_out_once(
    start_worker, mail_dir, tmp_path
):
    marker = tmp_path / "sending"
    slow = {"EMAIL_BACKEND": SLOW_BACKEND, "SLOW_EMAIL_MARKER": marker}
    first = start_worker(concurrency=1, **slow)
    appointment, address = _book()
    _pid_in_delivery(marker)
    held = _message(appointment)
    assert held.delivered_at is None and held.claimed_until > timezone.now()

    first.kill()  # the machine goes away: worker, pool process and all, mid-send
    assert mails(mail_dir) == []
    # The task was never acknowledged, but Redis hands an unacknowledged message out again
    # only after its visibility timeout (an hour): it is the relay, once the dead worker's
    # claim (OUTBOX_CLAIM_SECONDS) has run out, that delivers it.
    second = start_worker(concurrency=2, beat=True, **slow)

    wait_until(lambda: _delivered(appointment), timeout=DELIVERY_SECONDS, what="redelivery")
    _settled(second)
    assert len(mails_to(mail_dir, address)) == 1
    assert len(mails(mail_dir)) == 1
    assert _message(appointment).attempts == 2


def test_a_pool_process_killed_mid_delivery_is_handed_out_again_and_mailed_once(
    start_worker, mail_dir, tmp_path
):
    marker = tmp_path / "sending"
    worker = start_worker(
        concurrency=2, beat=True, EMAIL_BACKEND=SLOW_BACKEND, SLOW_EMAIL_MARKER=marker
    )
    appointment, address = _book()
    pid = _pid_in_delivery(marker)
    assert pid != worker.process.pid  # a pool process, not the worker itself

    os.kill(pid, signal.SIGKILL)  # the out-of-memory killer picks the pool process

    # Two ways back, both taken: acks_late + reject_on_worker_lost put the task back in the
    # queue once the worker gives up waiting for the dead process (seconds later), and the
    # relay hands the message out once the dead process's claim has run out. Whichever
    # comes second finds the message claimed or delivered, and leaves it.
    wait_until(lambda: _delivered(appointment), timeout=DELIVERY_SECONDS, what="redelivery")
    wait_until(
        lambda: "WorkerLostError" in worker.log_text(),
        timeout=DELIVERY_SECONDS,
        what="the worker to give the task up",
    )
    _settled(worker)
    assert len(mails_to(mail_dir, address)) == 1
    assert len(mails(mail_dir)) == 1
    assert _message(appointment).attempts == 2


MEMBERS = 10


def test_the_benefits_sweep_run_twice_at_once_extends_and_mails_each_member_once(
    broker, start_worker, mail_dir
):
    tasks = pytest.importorskip("enrolment.tasks", reason="enrolment.tasks does not exist yet")
    if not hasattr(tasks, "membership_benefits_sweep_task"):
        pytest.skip("enrolment.tasks.membership_benefits_sweep_task does not exist yet")
    from enrolment.services import add_years

    today = timezone.localdate()
    applications = [
        ApplicationFactory(renewal=True, membership__expires_on=today - timedelta(days=1))
        for _ in range(MEMBERS)
    ]  # each applied to renew a month before their membership expired yesterday
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(
        submitted_at=timezone.now() - timedelta(days=31)
    )
    worker = start_worker(concurrency=2)

    # Two runs at once, one per pool process; several members, so the runs overlap.
    for _ in range(2):
        tasks.membership_benefits_sweep_task.delay(today.isoformat())

    wait_until(
        lambda: len(SWEEP_DONE.findall(worker.log_text())) == 2,
        timeout=DELIVERY_SECONDS,
        what="both sweeps",
    )
    wait_until(
        lambda: not OutboxMessage.objects.filter(delivered_at__isnull=True).exists(),
        timeout=DELIVERY_SECONDS,
        what="the e-mails",
    )
    _settled(worker, relay_runs=0)
    # Each membership was extended by one of the two runs (which one varies).
    assert sum(int(n) for n in SWEEP_EXTENDED.findall(worker.log_text())) == MEMBERS
    for application in applications:
        membership = application.membership
        membership.refresh_from_db()
        assert membership.benefits_extended_until == add_years(membership.expires_on, 5)
        extensions = AuditEvent.objects.filter(
            action="membership.benefits_extended", target_id=str(membership.pk)
        )
        assert extensions.count() == 1
        assert len(mails_to(mail_dir, application.applicant.user.email)) == 1
    assert len(mails(mail_dir)) == MEMBERS
