"""The transactional outbox: one message per event, recorded with the change, delivered
after the commit by whoever claims it, again after a failure or a dead worker's claim."""

import datetime
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from common import outbox
from common.models import OutboxMessage
from common.outbox import outbox_deliver, outbox_handler, outbox_pending, outbox_put
from common.tasks import outbox_deliver_task, outbox_relay_task

pytestmark = pytest.mark.django_db

handled: list[dict] = []


@outbox_handler("test.record")
def _record(payload):
    handled.append(payload)


@outbox_handler("test.fail")
def _fail(payload):
    raise RuntimeError("smtp said no")


@pytest.fixture(autouse=True)
def _clean():
    handled.clear()
    yield
    handled.clear()


def test_a_message_is_delivered_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_put(topic="test.record", key="k:1", thing=7)
        assert handled == []  # not before the commit
    assert handled == [{"thing": 7}]
    message = OutboxMessage.objects.get()
    assert message.delivered_at is not None and message.attempts == 1


def test_the_same_event_is_recorded_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_put(topic="test.record", key="k:1", thing=1)
        assert not outbox_put(topic="test.record", key="k:1", thing=2)
    assert handled == [{"thing": 1}]
    assert OutboxMessage.objects.count() == 1


def test_a_rolled_back_change_leaves_no_message(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        outbox_put(topic="test.record", key="k:1")
        1 / 0  # noqa: B018
    assert not OutboxMessage.objects.exists() and handled == []


def test_a_delivered_or_claimed_message_is_not_handled_again():
    outbox_put(topic="test.record", key="k:1")
    message = OutboxMessage.objects.get()
    assert outbox_deliver(message_id=message.pk)
    assert not outbox_deliver(message_id=message.pk)
    assert len(handled) == 1
    outbox_put(topic="test.record", key="k:2")
    second = OutboxMessage.objects.get(key="k:2")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=second.pk).update(
        claimed_until=now + datetime.timedelta(minutes=5)
    )
    assert not outbox_deliver(message_id=second.pk, now=now)  # another worker holds it
    # That worker died: its claim runs out and the message is delivered once more.
    assert outbox_deliver(message_id=second.pk, now=now + datetime.timedelta(minutes=6))
    assert len(handled) == 2


def test_a_failure_backs_off_and_is_recorded_without_personal_data():
    outbox_put(topic="test.fail", key="k:1")
    message = OutboxMessage.objects.get()
    with pytest.raises(RuntimeError):
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.delivered_at is None and message.claimed_until is None
    assert message.last_error == "RuntimeError"  # the class, never the message text
    assert message.available_at > timezone.now() + datetime.timedelta(seconds=30)
    assert outbox_pending(now=timezone.now()) == []  # not before its backoff
    later = message.available_at + datetime.timedelta(seconds=1)
    assert outbox_pending(now=later) == [message.pk]


def test_with_the_broker_down_the_change_stands_and_the_relay_delivers_later(
    django_capture_on_commit_callbacks, settings
):
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch.object(outbox_deliver_task, "apply_async", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert outbox_put(topic="test.record", key="k:1", thing=3)
    assert handled == [] and OutboxMessage.objects.get().delivered_at is None
    # The broker is back; the relay's next run (once the message has settled) sends it.
    settings.OUTBOX_RELAY_SECONDS = 0
    assert outbox_relay_task() == 1
    assert handled == [{"thing": 3}]
    assert outbox_relay_task() == 0


def test_a_second_handler_for_a_topic_is_refused():
    with pytest.raises(ValueError, match="two handlers"):
        outbox_handler("test.record")(lambda payload: None)
    assert outbox.HANDLERS["test.record"] is _record
