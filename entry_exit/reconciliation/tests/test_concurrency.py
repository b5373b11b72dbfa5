"""Two workers reconciling the same exits at once (real threads, PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest

from common.tests.threads import run_at_once
from entry_exit.reconciliation.models import ExitMatch, Outcome
from entry_exit.reconciliation.services import exits_reconcile
from entry_exit.tests.factories import CrossingRecordFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)


def _both(work) -> list[BaseException]:
    return [r for r in run_at_once(work, work) if isinstance(r, BaseException)]


def _world():
    exits = []
    for n in range(60):
        CrossingRecordFactory(document_number=f"D{n}", occurred_at=T0)
        exits.append(
            CrossingRecordFactory(
                us_entry=True, document_number=f"D{n}", occurred_at=T0 + timedelta(days=3)
            ).pk
        )
    # Two exits after one entry: only one may have it, whichever worker decides.
    CrossingRecordFactory(document_number="SHARED", occurred_at=T0)
    for days in (2, 4):
        exits.append(
            CrossingRecordFactory(
                us_entry=True, document_number="SHARED", occurred_at=T0 + timedelta(days=days)
            ).pk
        )
    return exits


def test_two_workers_matching_the_same_exits_store_each_match_once():
    exits = _world()
    assert _both(lambda: exits_reconcile(exit_ids=exits)) == []
    assert ExitMatch.objects.count() == len(exits)
    matched = ExitMatch.objects.filter(outcome=Outcome.MATCHED)
    assert matched.count() == 61
    entries = list(matched.values_list("entry_id", flat=True))
    assert len(entries) == len(set(entries))


def test_two_workers_matching_again_change_each_row_once():
    exits = _world()
    exits_reconcile(exit_ids=exits)
    before = sorted(ExitMatch.objects.values_list("exit_id", "entry_id", "outcome"))
    assert _both(lambda: exits_reconcile(exit_ids=exits, again=True)) == []
    assert sorted(ExitMatch.objects.values_list("exit_id", "entry_id", "outcome")) == before
