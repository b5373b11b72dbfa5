"""Choosing a day in a month calendar (``booking:time``): the days with open times of the
shown month as links (one query), the chosen day, the months from this one to the booking
horizon, hostile months, the day's times by time of day, English and French."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from centres.selectors import open_days_between
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
# Tuesday 16 March 2027, 05:00 in Vancouver.
NOW = datetime.datetime(2027, 3, 16, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def yvr():
    return CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver")


@pytest.fixture
def application(applicant):
    return ApplicationFactory(applicant=applicant)


@pytest.fixture
def client_in(client, applicant):
    client.force_login(applicant.user)
    return client


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VANCOUVER)


D = datetime.date


def page(client, application, centre, lang="en", **query) -> str:
    with translation.override(lang):
        url = reverse("booking:time", kwargs={"number": application.number, "centre_pk": centre.pk})
    response = client.get(url, query)
    assert response.status_code == 200
    return response


def grid(html: str) -> str:
    return re.search(r'<table class="month-grid".*?</table>', html, re.S).group(0)


def linked_days(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*day=(\d{4}-\d\d-\d\d)', grid(html))


# The selector ------------------------------------------------------------------------------


def test_open_days_of_a_range_are_counted_by_local_day_in_one_query(yvr, django_assert_num_queries):
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 23, 30))  # 06:30 UTC the 19th
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 20), 9), booked=1)  # full
    SlotFactory(centre=yvr, starts_at=at(D(2027, 4, 1), 9))  # after the range
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 16), 4))  # before now

    with django_assert_num_queries(1):
        days = open_days_between(centre=yvr, first=D(2027, 3, 1), last=D(2027, 3, 31))

    assert days == {D(2027, 3, 18): 2}


# The page ----------------------------------------------------------------------------------


def test_the_month_of_the_first_open_day_is_shown_with_it_chosen(client_in, application, yvr):
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 14, 20))
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 25), 9))

    response = page(client_in, application, yvr)
    html = response.content.decode()

    assert response.context["day"] == D(2027, 3, 18)
    table = grid(html)
    assert "<caption>March 2027</caption>" in table
    assert linked_days(html) == ["2027-03-18", "2027-03-25"]
    # Days without open times are plain text: every day of the month is in the grid.
    assert table.count("<td") - table.count("<td></td>") == 31
    chosen = re.findall(r'<a [^>]*aria-current="date"[^>]*>(.*?)</a>', table, re.S)
    assert len(chosen) == 1
    assert "Thursday 18 March 2027: 2 open times" in chosen[0]
    assert "Thursday 25 March 2027: 1 open time<" in table
    # Weeks as rows, starting on Sunday in English: 28 February to 3 April, five weeks.
    assert table.count("<tr>") == 1 + 5
    assert re.search(r"<th scope=\"col\">.*?Sunday", table)
    # This month is the first: no previous month; the next one is offered.
    assert "Previous month" not in html
    assert "Next month: April 2027" in html
    # The times, grouped by time of day, and the hold button after them.
    assert "Mornings (before noon)" in html and "Afternoons (noon to 5 p.m.)" in html
    assert "Evenings" not in html
    assert 'class="hold-bar"' in html


def test_another_month_shows_its_days_and_nothing_chosen(client_in, application, yvr):
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))
    SlotFactory(centre=yvr, starts_at=at(D(2027, 5, 3), 9))

    response = page(client_in, application, yvr, month="2027-05")
    html = response.content.decode()

    assert response.context["day"] is None
    assert "<caption>May 2027</caption>" in html
    assert linked_days(html) == ["2027-05-03"]
    assert "Previous month: April 2027" in html and "Next month: June 2027" in html
    assert 'name="slot"' not in html
    april = page(client_in, application, yvr, month="2027-04").content.decode()
    assert linked_days(april) == [] and "No open time this month." in april


def test_a_chosen_day_shows_its_month_and_times(client_in, application, yvr):
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))
    slot = SlotFactory(centre=yvr, starts_at=at(D(2027, 4, 6), 18, 0))

    response = page(client_in, application, yvr, day="2027-04-06")
    html = response.content.decode()

    assert "<caption>April 2027</caption>" in html
    assert f'value="{slot.pk}"' in html and "Evenings (from 5 p.m.)" in html
    assert re.search(r'aria-current="date"[^>]*>.*?Tuesday 6 April 2027', grid(html), re.S)


def test_the_months_run_from_this_one_to_the_booking_horizon(client_in, application, yvr, settings):
    settings.SLOT_HORIZON_DAYS = 60  # to Saturday 15 May 2027
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))

    last = page(client_in, application, yvr, month="2027-05").content.decode()
    past_the_end = page(client_in, application, yvr, month="2031-01")
    before = page(client_in, application, yvr, month="2020-01")

    assert "Next month" not in last and "Previous month: April 2027" in last
    assert past_the_end.context["calendar"].month == D(2027, 5, 1)
    assert before.context["calendar"].month == D(2027, 3, 1)
    # A day past the horizon is not chosen.
    beyond = page(client_in, application, yvr, day="2027-06-01")
    assert beyond.context["day"] == D(2027, 3, 18)


@pytest.mark.parametrize("month", ["2027-13", "2027-3", "²⁰²⁷-03", "9999-12", "", "\x00", "x"])
def test_a_month_that_is_no_month_shows_the_first_open_day(client_in, application, yvr, month):
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))

    response = page(client_in, application, yvr, month=month)

    assert response.context["calendar"].month in (D(2027, 3, 1), D(2027, 9, 1))
    if month != "9999-12":
        assert response.context["day"] == D(2027, 3, 18)


def test_the_month_links_keep_the_appointment_being_moved(client_in, application, yvr):
    from bookings.services import appointment_book

    old = SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 19), 9))
    appointment = appointment_book(
        application=application, slot=old, actor=application.applicant.user
    )

    html = page(client_in, application, yvr, move=appointment.pk).content.decode()

    assert f"move={appointment.pk}" in re.search(r'href="([^"]*month=2027-04[^"]*)"', html)[1]
    assert all(
        f"move={appointment.pk}" in href for href in re.findall(r'href="([^"]*day=[^"]*)"', html)
    )


def test_no_open_time_at_all_says_so_without_a_calendar(client_in, application, yvr):
    html = page(client_in, application, yvr).content.decode()

    assert "There is no open time at this centre in the coming months." in html
    assert "month-grid" not in html


def test_in_french_the_calendar_starts_on_monday_and_says_the_date_in_french(
    client_in, application, yvr
):
    SlotFactory(centre=yvr, starts_at=at(D(2027, 3, 18), 9))

    html = page(client_in, application, yvr, "fr").content.decode()

    table = grid(html)
    assert "<caption>Mars 2027</caption>" in table
    first_header = re.search(r"<th scope=\"col\">(.*?)</th>", table).group(1)
    assert "lundi" in first_header.lower()
    assert "jeudi 18 mars 2027" in table.lower() and "1 heure libre" in table
    assert "Mois suivant\u00a0: avril 2027" in html
