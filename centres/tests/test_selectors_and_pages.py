import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from centres.selectors import centres_with_soonest_slot, slots_open_on_day, slots_soonest_open
from centres.tasks import slots_generate_all_task
from centres.tests.factories import CentreFactory, OpeningRuleFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _at(days, hour=15):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return (now + datetime.timedelta(days=days)).replace(hour=hour)


def test_the_soonest_open_slot_skips_full_closed_and_past_slots():
    centre = CentreFactory()
    SlotFactory(centre=centre, starts_at=_at(-1), capacity=1)
    SlotFactory(centre=centre, starts_at=_at(1), capacity=1, booked=1)
    SlotFactory(centre=centre, starts_at=_at(2), capacity=0)
    open_slot = SlotFactory(centre=centre, starts_at=_at(3), capacity=2, booked=1)
    SlotFactory(centre=centre, starts_at=_at(4), capacity=2)

    assert list(slots_soonest_open(centre=centre, limit=1)) == [open_slot]
    annotated = centres_with_soonest_slot().get(pk=centre.pk)
    assert annotated.soonest_open_at == open_slot.starts_at


def test_soonest_slot_per_centre_is_one_query_whatever_the_number_of_centres():
    for i in range(6):
        SlotFactory(centre=CentreFactory(), starts_at=_at(i + 1))
    with CaptureQueriesContext(connection) as queries:
        centres = list(centres_with_soonest_slot())
    assert len(queries) == 1
    assert all(c.soonest_open_at for c in centres)


def test_centres_filter_by_kind_region_and_country():
    airport = CentreFactory()
    land = CentreFactory(land_border=True)
    assert list(centres_with_soonest_slot(kinds=["airport_enrolment"])) == [airport]
    assert list(centres_with_soonest_slot(region="WA")) == [land]
    assert list(centres_with_soonest_slot(country="US")) == [land]


def test_open_slots_of_a_local_day_use_the_centres_time_zone():
    centre = CentreFactory(time_zone="America/Vancouver")
    day = (timezone.now() + datetime.timedelta(days=3)).astimezone(centre.tz).date()
    late = datetime.datetime.combine(day, datetime.time(23, 30), centre.tz)
    next_day = datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time(0, 10), centre.tz
    )
    inside = SlotFactory(centre=centre, starts_at=late)
    SlotFactory(centre=centre, starts_at=next_day)
    assert list(slots_open_on_day(centre=centre, day=day)) == [inside]


def test_the_periodic_task_generates_slots_for_bookable_centres_only(settings):
    settings.SLOT_HORIZON_DAYS = 7
    bookable = CentreFactory()
    OpeningRuleFactory(centre=bookable, weekday=timezone.now().weekday())
    walk_in = CentreFactory(preclearance=True)

    created = slots_generate_all_task.apply().get()

    assert created == bookable.slots.count() > 0
    assert walk_in.slots.count() == 0
    assert slots_generate_all_task.apply().get() == 0


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_centre_list_shows_the_soonest_time_in_local_time(client, language):
    centre = CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver")
    CentreFactory(preclearance=True, name="Vancouver preclearance")
    slot = SlotFactory(centre=centre, starts_at=_at(2, hour=17))

    response = client.get(f"/{language}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'lang="{language}"' in body
    assert "Vancouver International Airport" in body
    assert f'datetime="{slot.starts_at.astimezone(centre.tz).isoformat()}"' in body


def test_the_centre_list_ignores_an_unknown_kind_filter(client):
    CentreFactory()
    response = client.get(reverse("centres:list"), {"kind": "<script>", "region": "ONTARIO"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_the_centre_page_lists_open_times_and_the_walk_in_note(client):
    centre = CentreFactory()
    SlotFactory(centre=centre, starts_at=_at(2))
    preclearance = CentreFactory(preclearance=True)

    assert client.get(reverse("centres:detail", args=[centre.pk])).status_code == 200
    walk_in = client.get(reverse("centres:detail", args=[preclearance.pk])).content.decode()
    assert "No appointment is needed here" in walk_in


def test_an_inactive_centre_page_is_not_found(client):
    centre = CentreFactory(is_active=False)
    assert client.get(reverse("centres:detail", args=[centre.pk])).status_code == 404
