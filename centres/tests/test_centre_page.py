"""A centre's public page: its opening hours for the coming week and its upcoming
closures, in its own zone, in English and French; what is the centre's own business
(booths, slot lengths, staffing, notes) is not said."""

import datetime
import re
import zoneinfo
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from centres.models import Closure
from centres.selectors import centre_opening_hours, centre_upcoming_closures
from centres.tests.factories import CentreFactory, ClosureFactory, OpeningRuleFactory

pytestmark = pytest.mark.django_db

HALIFAX = zoneinfo.ZoneInfo("America/Halifax")
# Monday 1 March 2027, 02:30 UTC: still Sunday 28 February in Halifax (22:30).
NOW = datetime.datetime(2027, 3, 1, 2, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2027, 2, 28)  # Sunday, the centre's day


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def yhz():
    centre = CentreFactory(name="Halifax Stanfield", city="Enfield", region="NS")
    centre.time_zone = "America/Halifax"
    centre.save()
    return centre


def _t(h: int, m: int = 0) -> datetime.time:
    return datetime.time(h, m)


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " "))


def test_the_week_takes_each_day_s_rules_as_they_stand_on_its_next_date(yhz):
    OpeningRuleFactory(centre=yhz, weekday=0, opens_at=_t(8), closes_at=_t(12), booths=4)
    OpeningRuleFactory(centre=yhz, weekday=0, opens_at=_t(13), closes_at=_t(16, 30))
    # Tuesday's hours change this week: the old rule ends on Monday, the new one starts.
    OpeningRuleFactory(centre=yhz, weekday=1, opens_at=_t(7), closes_at=_t(11), valid_until=TODAY)
    OpeningRuleFactory(
        centre=yhz,
        weekday=1,
        opens_at=_t(9),
        closes_at=_t(17),
        valid_from=TODAY + datetime.timedelta(days=1),
    )
    # Friday's rule starts only in a month: not this week's hours.
    OpeningRuleFactory(
        centre=yhz, weekday=4, opens_at=_t(9), valid_from=TODAY + datetime.timedelta(days=30)
    )
    week = centre_opening_hours(centre=yhz, today=TODAY)
    assert [d.weekday for d in week] == list(range(7))
    assert week[0].hours == [(_t(8), _t(12)), (_t(13), _t(16, 30))]
    assert week[1].hours == [(_t(9), _t(17))]
    assert [d.hours for d in week[2:]] == [[]] * 5


def test_upcoming_closures_are_those_not_over_in_the_centre_s_own_day(yhz):
    ClosureFactory(centre=yhz, first_day=TODAY - datetime.timedelta(days=3), last_day=TODAY)
    ClosureFactory(
        centre=yhz,
        first_day=TODAY - datetime.timedelta(days=5),
        last_day=TODAY - datetime.timedelta(days=1),
    )
    later = ClosureFactory(
        centre=yhz,
        first_day=TODAY + datetime.timedelta(days=9),
        last_day=TODAY + datetime.timedelta(days=9),
    )
    # In UTC it is already 1 March: Halifax's 28 February still counts as today.
    assert [c.last_day for c in centre_upcoming_closures(centre=yhz)] == [TODAY, later.last_day]


def test_the_centre_page_shows_hours_and_closures_in_english(client, yhz):
    OpeningRuleFactory(centre=yhz, weekday=0, opens_at=_t(8), closes_at=_t(12), booths=7)
    OpeningRuleFactory(centre=yhz, weekday=2, opens_at=_t(13), closes_at=_t(16, 30))
    ClosureFactory(
        centre=yhz,
        first_day=datetime.date(2027, 3, 5),
        last_day=datetime.date(2027, 3, 5),
        reason=Closure.Reason.HOLIDAY,
    )
    ClosureFactory(
        centre=yhz,
        first_day=datetime.date(2027, 3, 10),
        last_day=datetime.date(2027, 3, 12),
        reason=Closure.Reason.STAFFING,
        note="Two officers on training",
    )
    ClosureFactory(
        centre=yhz,
        first_day=datetime.date(2027, 3, 15),
        last_day=datetime.date(2027, 3, 15),
        from_time=_t(13),
        until_time=_t(15),
        reason=Closure.Reason.WEATHER,
    )
    text = _text(client.get(reverse("centres:detail", args=[yhz.pk])))
    assert "Opening hours" in text and "in the centre's local time (Atlantic time)" in text
    assert "Monday 08:00 to 12:00" in text
    assert "Tuesday Closed" in text and "Wednesday 13:00 to 16:30" in text
    assert "Friday 5 March 2027: closed all day (public holiday)" in text
    # Staffing is the centre's own business; so is the note.
    assert "Wednesday 10 March 2027 to Friday 12 March 2027: closed all day" in text
    assert "staffing" not in text.lower() and "training" not in text
    assert "Monday 15 March 2027: closed from 13:00 to 15:00 (weather)" in text
    assert "booth" not in text.lower() and "7" not in text.split("Opening hours")[1][:200]


def test_the_centre_page_in_french(client, yhz):
    OpeningRuleFactory(centre=yhz, weekday=0, opens_at=_t(8), closes_at=_t(12, 30))
    ClosureFactory(
        centre=yhz,
        first_day=datetime.date(2027, 3, 5),
        last_day=datetime.date(2027, 3, 8),
        reason=Closure.Reason.HOLIDAY,
    )
    with translation.override("fr"):
        text = _text(client.get(reverse("centres:detail", args=[yhz.pk])))
    assert "Heures d’ouverture" in text and "(heure de l'Atlantique)" in text
    assert "lundi de 8 h 00 à 12 h 30" in text.lower()
    assert "du vendredi 5 mars 2027 au lundi 8 mars 2027 : fermé toute la journée" in text
    assert "(jour férié)" in text


def test_without_closures_or_hours_the_page_says_so(client, yhz):
    text = _text(client.get(reverse("centres:detail", args=[yhz.pk])))
    assert "No closure is planned." in text
    assert text.count("Closed") == 7


def test_a_walk_in_area_has_no_hours_table(client):
    area = CentreFactory(preclearance=True)
    page = client.get(reverse("centres:detail", args=[area.pk])).content.decode()
    assert "Opening hours" not in page and "No appointment is needed here" in page
