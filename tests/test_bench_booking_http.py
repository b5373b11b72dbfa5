"""bench/booking_http.py's pieces that need no server: the figure line other tools parse,
the clients' loopback addresses, and the oversold check (on a tiny fixture)."""

import datetime
import importlib
import re
import sys
from pathlib import Path

import pytest

from bookings.models import Appointment
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory

BENCH = Path(__file__).resolve().parent.parent / "bench"
FIGURE_LINE = re.compile(
    r"booking_http: [\d.]+ bookings/s, [\d.]+ handled/s \(contested\), p50 [\d.]+ ms, "
    r"p95 [\d.]+ ms, [\d.]+ ms CPU/request, [\d.]+ statements/booking, "
    r"raw postgres [\d.]+ tps, ratio [\d.]+, oversold \d+"
)


@pytest.fixture(scope="module")
def bench():
    """The bench module, imported as ``make bench`` runs it, without leaving bench/ on
    the path (its entry_exit.py would hide the app's)."""
    path = sys.path[:]
    sys.path.append(str(BENCH))
    try:
        return importlib.import_module("booking_http")
    finally:
        sys.path[:] = path


def test_it_prints_the_figures_as_one_line_in_the_agreed_form(bench):
    figures = bench.Figures(
        bookings_per_s=61.23,
        handled_per_s=94.5,
        p50_ms=210.0,
        p95_ms=402.25,
        cpu_ms_per_request=23.4,
        statements_per_booking=23.0,
        raw_tps=3384.0,
        oversold=0,
    )
    line = figures.line()
    assert "\n" not in line
    assert FIGURE_LINE.fullmatch(line)
    assert line == (
        "booking_http: 61.2 bookings/s, 94.5 handled/s (contested), p50 210.0 ms, "
        "p95 402.2 ms, 23.4 ms CPU/request, 23.0 statements/booking, "
        "raw postgres 3384.0 tps, ratio 0.018, oversold 0"
    )


def test_each_client_sends_from_addresses_no_other_client_uses(bench):
    addresses = [bench.client_address(client, n) for client in range(16) for n in range(600)]
    assert len(set(addresses)) == len(addresses)
    assert all(address.startswith("127.") for address in addresses)


def test_the_server_cpu_reading_counts_a_live_process(bench):
    import os

    assert bench.server_cpu_seconds(os.getpid()) > 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_oversold_check_finds_a_counter_that_disagrees_with_the_appointments(bench):
    centre = CentreFactory()
    soon = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    starts = (soon + datetime.timedelta(days=2, minutes=20 * n) for n in range(3))
    right = SlotFactory(centre=centre, starts_at=next(starts), capacity=2, booked=1)
    Appointment.objects.create(application=ApplicationFactory(), slot=right, step="cbsa")
    Appointment.objects.create(
        application=ApplicationFactory(),
        slot=right,
        step="cbsa",
        status=Appointment.Status.CANCELLED,
        cancel_reason=Appointment.CancelReason.values[0],
    )
    # A booth taken that nobody booked, and a booking that took no booth.
    SlotFactory(centre=centre, starts_at=next(starts), capacity=1, booked=1)
    short = SlotFactory(centre=centre, starts_at=next(starts), capacity=2, booked=0)
    Appointment.objects.create(application=ApplicationFactory(), slot=short, step="cbsa")
    SlotFactory(booked=1)  # another centre's: not counted

    assert bench.count_oversold(centre.pk) == (2, 2, 2)
