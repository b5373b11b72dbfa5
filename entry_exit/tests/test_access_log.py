"""The access log: append-only, and each row hashes the one before it."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from common.tests.threads import run_at_once
from conftest import ON_POSTGRES
from entry_exit.models import AccessLogEntry, AccessLogHead, AppendOnlyError
from entry_exit.services import EntryExitError, access_log_append, access_log_verify
from entry_exit.services.access_log import criteria_reference
from entry_exit.tests.people import analyst

pytestmark = pytest.mark.django_db


def _append(user, **changes):
    values = {
        "user": user,
        "purpose": "investigation",
        "criteria_kind": "document",
        "criteria_ref": criteria_reference(kind="document", values=["P1234567", "DEU"]),
        "record_ids": [3, 1, 2],
        **changes,
    }
    return access_log_append(**values)


def _tamper(sql: str, params) -> None:
    """Change a row behind the app's back (the PostgreSQL trigger set aside)."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            # Triggers do not fire for a replica session (the test role is a superuser).
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("SET LOCAL session_replication_role = origin")


def test_rows_chain_from_the_genesis_hash():
    user = analyst()
    first, second = _append(user), _append(user, purpose="data_quality", record_ids=[])
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.previous_hash == "0" * 64
    assert second.previous_hash == first.row_hash
    assert first.record_ids == [1, 2, 3]
    assert AccessLogHead.objects.get().row_hash == second.row_hash
    assert access_log_verify().ok and access_log_verify().rows == 2


def test_the_criteria_are_an_opaque_stable_reference():
    ref = criteria_reference(kind="document", values=["P1234567", "DEU"])
    assert ref == criteria_reference(kind="document", values=["P1234567", "DEU"])
    assert ref != criteria_reference(kind="document", values=["P1234568", "DEU"])
    assert "P1234567" not in ref and len(ref) == 64


@pytest.mark.parametrize("purpose, text", [("", ""), ("curiosity", ""), ("other", "  ")])
def test_no_purpose_no_row(purpose, text):
    with pytest.raises(EntryExitError):
        _append(analyst(), purpose=purpose, purpose_text=text)
    assert not AccessLogEntry.objects.exists()


def test_the_app_refuses_to_update_or_delete_a_row():
    entry = _append(analyst())
    entry.purpose = "legal_request"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(purpose="legal_request")
    with pytest.raises(AppendOnlyError):
        AccessLogEntry.objects.all().delete()
    assert AccessLogEntry.objects.get().purpose == "investigation"


@pytest.mark.postgres
def test_postgresql_refuses_updates_and_deletes_from_any_client():
    entry = _append(analyst())
    for sql in (
        "UPDATE entry_exit_accesslogentry SET purpose = 'other' WHERE id = %s",
        "DELETE FROM entry_exit_accesslogentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert access_log_verify().ok


def test_verification_finds_a_changed_row():
    user = analyst()
    for _ in range(3):
        _append(user)
    _tamper("UPDATE entry_exit_accesslogentry SET record_ids = %s WHERE sequence = 2", ["[1, 2]"])
    check = access_log_verify()
    assert not check.ok
    assert (check.broken_at, check.reason, check.rows) == (2, "content changed", 1)
    with pytest.raises(CommandError, match="broken at row 2"):
        call_command("entry_exit_access_log_verify")


def test_verification_finds_a_row_rehashed_after_a_change():
    """Whoever changes a row and recomputes its hash breaks the next row's link."""
    user = analyst()
    for _ in range(3):
        _append(user)
    _tamper("UPDATE entry_exit_accesslogentry SET row_hash = %s WHERE sequence = 2", ["f" * 64])
    check = access_log_verify()
    assert (check.ok, check.broken_at) == (False, 2)


def test_verification_finds_a_removed_row_and_a_removed_last_row():
    user = analyst()
    for _ in range(4):
        _append(user)
    _tamper("DELETE FROM entry_exit_accesslogentry WHERE sequence = 4", [])
    assert access_log_verify().reason == "rows missing at the end"
    _tamper("DELETE FROM entry_exit_accesslogentry WHERE sequence = 2", [])
    check = access_log_verify()
    assert (check.broken_at, check.reason) == (2, "row missing")


def test_the_command_reports_an_intact_chain(capsys):
    _append(analyst(), now=datetime(2026, 3, 2, tzinfo=UTC))
    call_command("entry_exit_access_log_verify")
    assert "intact: 1 rows" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_appends_at_once_keep_one_chain():
    users = [analyst() for _ in range(8)]
    results = run_at_once(*(lambda user=user: _append(user).sequence for user in users))
    assert sorted(results) == list(range(1, 9))
    assert access_log_verify().ok
    assert AccessLogHead.objects.get().sequence == 8
