"""An appointment's status changes only along the declared moves
(``bookings.models.APPOINTMENT_MOVES``), through ``appointment_move``; a cancellation
says on its row why and by whom."""

import ast
import pathlib

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from bookings.models import APPOINTMENT_MOVES, Appointment
from bookings.services import appointment_book, appointment_cancel
from bookings.services.states import appointment_move
from centres.tests.factories import SlotFactory
from enrolment.tests.factories import ApplicationFactory
from interviews.services import enrolment_expire

pytestmark = pytest.mark.django_db
S = Appointment.Status


@pytest.fixture
def appointment(applicant):
    application = ApplicationFactory(applicant=applicant)
    return appointment_book(application=application, slot=SlotFactory(), actor=applicant.user)


def test_the_declared_moves_cover_every_status_an_appointment_can_end_in():
    targets = {move.target for move in APPOINTMENT_MOVES.values()}
    assert targets == set(S.values) - {S.BOOKED}  # booked is where each one starts
    # Final statuses are left by no move.
    sources = set().union(*(move.sources for move in APPOINTMENT_MOVES.values()))
    assert sources == {S.BOOKED, S.CHECKED_IN}
    assert {a for a, m in APPOINTMENT_MOVES.items() if m.target == S.CANCELLED} == {
        "cancel",
        "expire",
        "close",
    }
    assert all(m.reason for m in APPOINTMENT_MOVES.values() if m.target == S.CANCELLED)


@pytest.mark.parametrize("action", sorted(APPOINTMENT_MOVES))
def test_each_move_changes_only_a_status_it_starts_from(appointment, action):
    move = APPOINTMENT_MOVES[action]
    for status in S.values:
        Appointment.objects.filter(pk=appointment.pk).update(
            status=status, cancel_reason="applicant" if status == S.CANCELLED else ""
        )
        row = Appointment.objects.get(pk=appointment.pk)
        with transaction.atomic():
            changed = appointment_move(row, action)
        assert changed == (status in move.sources), (action, status)
        stored = Appointment.objects.get(pk=appointment.pk)
        assert stored.status == (move.target if changed else status)
        assert row.status == stored.status


def test_of_two_moves_at_once_only_the_first_changes_the_row(appointment):
    stale = Appointment.objects.get(pk=appointment.pk)
    assert appointment_move(appointment, "check_in")
    assert not appointment_move(stale, "no_show")  # it read "booked", but it is not anymore
    assert Appointment.objects.get(pk=appointment.pk).status == S.CHECKED_IN


def test_the_applicants_cancellation_is_on_the_row(appointment, applicant):
    appointment_cancel(appointment=appointment, actor=applicant.user)

    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.status, stored.cancel_reason) == (S.CANCELLED, "applicant")
    assert stored.cancelled_by == applicant.user
    assert stored.get_cancel_reason_display() == "Cancelled by the applicant"


def test_an_expiry_cancels_with_its_reason_and_nobody_as_its_author(appointment):
    enrolment_expire(application=appointment.application, reason="approval ran out")

    stored = Appointment.objects.get(pk=appointment.pk)
    assert (stored.status, stored.cancel_reason, stored.cancelled_by) == (
        S.CANCELLED,
        "enrolment_expired",
        None,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": S.CANCELLED, "cancel_reason": ""},
        {"status": S.BOOKED, "cancel_reason": "applicant"},
    ],
)
def test_the_database_keeps_the_reason_and_the_status_together(appointment, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=appointment.pk).update(**fields)


def _status_writes(path: pathlib.Path) -> list[str]:
    """Where a module sets an appointment's status: ``.status = …`` on anything, or
    ``status=Appointment.Status.…`` passed to ``update``/``save``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    found.append(f"{path}:{node.lineno}")
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "update":
            for keyword in node.keywords:
                text = ast.unparse(keyword.value)
                if keyword.arg == "status" and text.startswith("Appointment.Status"):
                    found.append(f"{path}:{node.lineno}")
    return found


def test_no_service_sets_an_appointment_status_but_the_one_helper():
    root = pathlib.Path(settings.BASE_DIR)
    modules = [
        p
        for app in ("bookings", "interviews", "enrolment", "centres", "demo")
        for p in (root / app).rglob("*.py")
        if "tests" not in p.parts and "migrations" not in p.parts
    ]
    writes = [w for p in modules for w in _status_writes(p)]
    # Other models' ``.status = …`` (earlier-time requests) are in the waitlist service.
    appointment_writes = [w for w in writes if "bookings/services/waitlist.py" not in w]
    assert appointment_writes == []
