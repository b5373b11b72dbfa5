"""The figures dashboard: who sees what (404 outside one's scope), the numbers in its
tables and CSV files, the same few queries whatever the range, bad filters re-shown."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from centres.models import StaffProfile
from centres.tests.factories import CentreFactory
from common.tests.helpers import force_login_verified
from figures.models import CentreDay, FiguresDay
from interviews.tests.factories import StaffProfileFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 1, 1)
LAST = datetime.date(2023, 12, 31)


def _history(centres, days=(LAST - START).days + 1):
    """Every centre, every day: 10 booths, 8 booked, 1 missed, 3 enrolled; the inventory
    rising to 1,000 on 2022-07-15 and falling after."""
    peak = datetime.date(2022, 7, 15)
    for n in range(days):
        day = START + datetime.timedelta(days=n)
        inventory = 1000 - abs((day - peak).days)
        FiguresDay.objects.create(
            day=day, recorded_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
            inventory=inventory, inventory_to_book=inventory, inventory_booked=0,
            inventory_between_parts=0, inventory_under_review=0, airport_waiting_for_cbp=7,
        )  # fmt: skip
        CentreDay.objects.bulk_create(
            CentreDay(
                day=day,
                centre=c,
                booths_offered=10,
                booths_booked=8,
                attended=7,
                no_shows=1,
                cbsa_passed=3,
                cbp_passed=0,
                enrolled=3,
                cbp_after_share=1,
                cbp_after_share_days=20,
            )
            for c in centres
        )


@pytest.fixture
def centres():
    mine = CentreFactory(name="Mine airport")
    theirs = CentreFactory(name="Theirs airport")
    _history([mine, theirs])
    return mine, theirs


def _admin(client, role, *centres):
    user = StaffProfileFactory(role=role, centres=list(centres)).user
    force_login_verified(client, user)
    return user


def _url(**query):
    return reverse("figures:dashboard") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_a_programme_administrator_sees_every_centre(client, centres):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    response = client.get(_url(start="2023-01-02", end="2023-01-08", grain="week"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Mine airport" in body and "Theirs airport" in body
    figures = response.context["figures"]
    assert figures.enrolled_total == 2 * 7 * 3
    assert figures.utilisation == 0.8
    assert figures.no_show_rate == 1 / 8
    assert figures.peak.day == datetime.date(2022, 7, 15) and figures.peak.inventory == 1000
    assert figures.latest.day == LAST
    assert figures.change_since_peak == (1000 - (LAST - datetime.date(2022, 7, 15)).days) - 1000
    assert body.count('class="chart"') == 8


def test_a_centre_administrator_sees_their_centres_only(client, centres):
    mine, theirs = centres
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    response = client.get(_url(start="2023-01-02", end="2023-01-08"))
    body = response.content.decode()
    assert "Mine airport" in body and "Theirs airport" not in body
    assert response.context["figures"].enrolled_total == 7 * 3
    assert client.get(_url(centre=mine.pk)).status_code == 200
    assert client.get(_url(centre=theirs.pk)).status_code == 404
    assert client.get(_url(centre=99999999999999)).status_code == 404  # no such centre
    csv_url = reverse("figures:csv", kwargs={"table": "centres"}) + f"?centre={theirs.pk}"
    assert client.get(csv_url).status_code == 404


@pytest.mark.parametrize("role", [None, "cbsa_officer", "entry_exit_analyst"])
def test_anyone_else_gets_nothing(client, centres, role):
    if role is None:  # not signed in: sent to sign in
        response = client.get(reverse("figures:dashboard"))
        assert response.status_code == 302 and "sign-in" in response["Location"]
        return
    _admin(client, role, *centres)
    assert client.get(reverse("figures:dashboard")).status_code == 404
    assert client.get(reverse("figures:csv", kwargs={"table": "centres"})).status_code == 404


def test_the_same_queries_whatever_the_range(client, centres):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    counts = []
    for query in (
        {"start": "2023-12-25", "end": "2023-12-31", "grain": "week"},
        {"start": "2022-01-01", "end": "2023-12-31", "grain": "week"},
        {"start": "2022-01-01", "end": "2023-12-31", "grain": "month"},
        {"start": "2015-01-01", "end": "2024-12-31", "grain": "week", "centre": centres[0].pk},
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(**query)).status_code == 200
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts
    # Session, user, second factor, staff profile, scope, last day, the sums, the days,
    # the peak, the latest, the open times; the session saved (savepoint, update, release).
    assert counts[0] <= 14


def test_weeks_months_and_the_cumulative_line(client, centres):
    mine, _theirs = centres
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    by_month = client.get(_url(start="2023-01-15", end="2023-03-31", grain="month", centre=mine.pk))
    periods = by_month.context["figures"].periods
    assert [(p.start, p.end) for p in periods] == [
        (datetime.date(2023, 1, 15), datetime.date(2023, 1, 31)),
        (datetime.date(2023, 2, 1), datetime.date(2023, 2, 28)),
        (datetime.date(2023, 3, 1), datetime.date(2023, 3, 31)),
    ]
    assert [p.partial for p in periods] == [True, False, False]  # from 15 January
    assert [p.enrolled["airport"] for p in periods] == [17 * 3, 28 * 3, 31 * 3]
    assert [p.cumulative for p in periods] == [51, 51 + 84, 51 + 84 + 93]
    assert periods[1].inventory_day == datetime.date(2023, 2, 28)
    assert periods[0].days_share_to_cbp == 20


def test_each_table_downloads_as_csv(client, centres):
    mine, _theirs = centres
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    query = f"?start=2023-01-02&end=2023-01-15&grain=week&centre={mine.pk}"
    rows = {}
    for table in ("enrolments", "inventory", "airport", "centres"):
        response = client.get(reverse("figures:csv", kwargs={"table": table}) + query)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert f"nexus-{table}-2023-01-02-2023-01-15.csv" in response["Content-Disposition"]
        rows[table] = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows["enrolments"][1] == [
        "2023-01-02",
        "2023-01-08",
        "21",
        "0",
        "0",
        "21",
        "21",
        "21",
        "0",
    ]
    assert rows["enrolments"][2][6] == "42"
    assert rows["inventory"][2][2:4] == [
        "2023-01-15",
        str(1000 - (datetime.date(2023, 1, 15) - datetime.date(2022, 7, 15)).days),
    ]
    assert rows["airport"][1] == ["2023-01-02", "2023-01-08", "7", "20.0"]
    assert rows["centres"][1][:8] == [
        "Mine airport",
        "airport",
        "42",
        "0",
        "42",
        "140",
        "112",
        "80.0",
    ]
    assert client.get(reverse("figures:csv", kwargs={"table": "secrets"})).status_code == 404


def test_a_centre_name_never_runs_in_a_spreadsheet(client):
    centre = CentreFactory(name="=HYPERLINK(1)")
    _history([centre], days=7)
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    response = client.get(
        reverse("figures:csv", kwargs={"table": "centres"}) + "?start=2022-01-01&end=2022-01-07"
    )
    assert "'=HYPERLINK(1)" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2023-02-01", "end": "2023-01-01"}, "La date de début est postérieure"),
        ({"start": "1999-12-31", "end": "2001-01-01"}, "Choisissez un début"),
        ({"start": "2000-01-01", "end": "2012-01-01"}, "au plus 10 ans"),
        ({"start": "yesterday"}, "Saisissez une date"),
        ({"grain": "decade"}, "Sélectionnez un choix valide"),
        ({"centre": "x"}, "Sélectionnez un choix valide"),
        ({"centre": "99999999999999999999"}, "Sélectionnez un choix valide"),  # past 64 bits
        ({"centre": "²"}, "Sélectionnez un choix valide"),  # a digit to isdigit(), not to int()
    ],
)
def test_a_bad_question_is_shown_again_with_the_reason_in_french(client, centres, query, message):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    with translation.override("fr"):
        url = reverse("figures:dashboard") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    response = client.get(url)
    assert response.status_code == 400
    assert message in response.content.decode()
    with translation.override("fr"):
        csv_url = reverse("figures:csv", kwargs={"table": "centres"})
    assert client.get(csv_url + "?" + url.split("?", 1)[1]).status_code == 400


def test_the_page_in_french_formats_numbers_the_french_way(client, centres):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    with translation.override("fr"):
        url = reverse("figures:dashboard") + "?start=2022-01-01&end=2023-12-31"
    body = client.get(url).content.decode()
    assert "Inventaire net des demandeurs" in body
    assert "<dd>4\u00a0380</dd>" in body  # 2 centres × 730 days × 3, grouped the French way


def test_the_form_shows_the_range_shown_defaults_included(client, centres):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    body = client.get(reverse("figures:dashboard")).content.decode()
    # 52 weeks up to the last recorded day, by week.
    assert 'value="2023-01-02"' in body and 'value="2023-12-31"' in body
    assert '<option value="week" selected>' in body
    # In French too: a date field's value is ISO, whatever the language writes dates as.
    with translation.override("fr"):
        url = reverse("figures:dashboard")
    assert 'value="2023-12-31"' in client.get(url).content.decode()


def test_nothing_recorded_yet_says_so(client):
    CentreFactory()
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    response = client.get(reverse("figures:dashboard"))
    assert response.status_code == 200
    assert "No day of this range has been recorded yet." in response.content.decode()
