"""Two workers recording the same day at once (real threads, PostgreSQL): one records
it, the other records nothing and fails nothing."""

import datetime
import threading

import pytest
from django.db import connection

from centres.tests.factories import CentreFactory
from figures.models import CentreDay, FiguresDay
from figures.services import figures_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_record_a_day_once():
    CentreFactory()
    CentreFactory(time_zone="America/Vancouver")
    day = datetime.date(2026, 3, 10)
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(figures_record(day=day, count_inventory=True))
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [False, True]
    assert FiguresDay.objects.filter(day=day).count() == 1
    assert CentreDay.objects.filter(day=day).count() == 2
