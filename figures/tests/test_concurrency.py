"""Two workers recording the same day at once (real threads, PostgreSQL): one records
it, the other records nothing and fails nothing."""

import datetime

import pytest

from centres.tests.factories import CentreFactory
from common.tests.threads import run_at_once
from figures.models import CentreDay, FiguresDay
from figures.services import figures_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_record_a_day_once():
    CentreFactory()
    CentreFactory(time_zone="America/Vancouver")
    day = datetime.date(2026, 3, 10)
    record = lambda: figures_record(day=day, count_inventory=True)  # noqa: E731
    results = run_at_once(record, record)
    assert sorted(results) == [False, True]
    assert FiguresDay.objects.filter(day=day).count() == 1
    assert CentreDay.objects.filter(day=day).count() == 2
