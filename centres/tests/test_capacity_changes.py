import datetime

import pytest
import time_machine
from django.urls import reverse

from centres.models import Closure, ExtraCapacity, OpeningRule, Slot
from centres.services import (
    CapacityError,
    capacity_change_delete,
    capacity_change_save,
    centre_slots_generate,
)
from centres.tests.factories import CentreFactory, OpeningRuleFactory
from common.models import AuditEvent
from common.tests.helpers import force_login_verified

UTC = datetime.UTC
NOW = datetime.datetime(2027, 1, 4, 12, tzinfo=UTC)  # Monday 07:00 in Toronto
TUESDAY = datetime.date(2027, 1, 5)


@pytest.fixture
def centre(db, settings):
    settings.SLOT_HORIZON_DAYS = 14
    centre = CentreFactory()
    with time_machine.travel(NOW, tick=False):
        capacity_change_save(
            obj=OpeningRule(
                centre=centre,
                weekday=1,
                opens_at=datetime.time(8),
                closes_at=datetime.time(10),
                slot_minutes=30,
                booths=2,
                valid_from=datetime.date(2027, 1, 1),
            ),
            actor=None,
        )
    return centre


def _book(centre, day, hour, minute=0, count=1):
    starts = datetime.datetime.combine(day, datetime.time(hour, minute), centre.tz)
    slot = Slot.objects.get(centre=centre, starts_at=starts)
    Slot.objects.filter(pk=slot.pk).update(booked=count)
    return slot


def _snapshot(centre):
    return sorted(Slot.objects.filter(centre=centre).values_list("starts_at", "capacity", "booked"))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_saving_a_rule_generates_its_slots_and_audits_it(centre, programme_admin):
    assert Slot.objects.filter(centre=centre).count() == 2 * 4
    rule = OpeningRuleFactory.build(
        centre=centre, weekday=3, opens_at=datetime.time(13), closes_at=datetime.time(14)
    )
    result = capacity_change_save(obj=rule, actor=programme_admin)
    assert result.created == 2 * 3
    event = AuditEvent.objects.get(action="openingrule.created", target_id=str(rule.pk))
    assert event.actor == programme_admin
    assert event.data["slots_created"] == 6


def test_a_capacity_cut_that_would_strand_bookings_is_refused_naming_how_many(centre):
    _book(centre, TUESDAY, 8, count=2)
    _book(centre, TUESDAY, 9, count=2)
    rule = OpeningRule.objects.get(centre=centre)
    before = _snapshot(centre)
    rule.booths = 1

    with pytest.raises(CapacityError) as error:
        capacity_change_save(obj=rule, actor=None)

    assert error.value.code == "would_strand_bookings"
    assert error.value.extra == {"bookings": 2}
    assert "2 booked appointments" in error.value.message
    assert OpeningRule.objects.get(pk=rule.pk).booths == 2
    assert _snapshot(centre) == before
    assert not AuditEvent.objects.filter(action="openingrule.changed").exists()


def test_a_capacity_cut_that_leaves_every_booking_a_booth_is_applied(centre):
    _book(centre, TUESDAY, 8, count=1)
    rule = OpeningRule.objects.get(centre=centre)
    rule.booths = 1
    capacity_change_save(obj=rule, actor=None)
    assert set(Slot.objects.filter(centre=centre).values_list("capacity", flat=True)) == {1}


def test_a_closure_on_booked_days_is_refused_and_nothing_changes(centre):
    _book(centre, TUESDAY, 8, 30)
    before = _snapshot(centre)
    closure = Closure(centre=centre, first_day=TUESDAY, last_day=TUESDAY, reason="weather")

    with pytest.raises(CapacityError, match="1 booked appointment without a booth"):
        capacity_change_save(obj=closure, actor=None)

    assert not Closure.objects.exists()
    assert _snapshot(centre) == before


def test_a_closure_removes_the_days_slots_and_deleting_it_restores_them(centre):
    closure = Closure(centre=centre, first_day=TUESDAY, last_day=TUESDAY, reason="holiday")
    capacity_change_save(obj=closure, actor=None)
    days = {s.local_start().date() for s in Slot.objects.filter(centre=centre)}
    assert TUESDAY not in days and len(days) == 1

    capacity_change_delete(obj=closure, actor=None)
    assert Slot.objects.filter(centre=centre).count() == 8
    assert AuditEvent.objects.filter(action="closure.deleted").count() == 1


def test_extra_capacity_adds_booths_and_removing_it_is_refused_once_they_are_used(centre):
    extra = ExtraCapacity(centre=centre, first_day=TUESDAY, last_day=TUESDAY, extra_booths=2)
    capacity_change_save(obj=extra, actor=None)
    tuesday = [s for s in Slot.objects.filter(centre=centre) if s.local_start().date() == TUESDAY]
    assert {s.capacity for s in tuesday} == {4}
    _book(centre, TUESDAY, 9, 30, count=3)

    with pytest.raises(CapacityError, match="1 booked appointment"):
        capacity_change_delete(obj=extra, actor=None)
    assert ExtraCapacity.objects.filter(pk=extra.pk).exists()


def test_deleting_a_rule_with_bookings_is_refused(centre):
    _book(centre, TUESDAY, 8)
    with pytest.raises(CapacityError):
        capacity_change_delete(obj=OpeningRule.objects.get(centre=centre), actor=None)
    assert OpeningRule.objects.filter(centre=centre).exists()


def test_overlapping_rules_are_refused_as_invalid(centre):
    from django.core.exceptions import ValidationError

    overlapping = OpeningRule(
        centre=centre, weekday=1, opens_at=datetime.time(9), closes_at=datetime.time(11),
        valid_from=datetime.date(2027, 1, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError):
        capacity_change_save(obj=overlapping, actor=None)
    assert OpeningRule.objects.filter(centre=centre).count() == 1


def test_the_periodic_job_never_touches_a_booked_slot_the_rules_no_longer_cover(centre):
    booked = _book(centre, TUESDAY, 8)
    OpeningRule.objects.filter(centre=centre).update(
        opens_at=datetime.time(12), closes_at=datetime.time(13)
    )
    centre_slots_generate(centre=centre)
    assert Slot.objects.get(pk=booked.pk).booked == 1


def test_the_admin_shows_a_refused_closure_as_a_form_error(client, centre, programme_admin):
    _book(centre, TUESDAY, 8)
    force_login_verified(client, programme_admin)
    response = client.post(
        reverse("admin:centres_closure_add"),
        {
            "centre": centre.pk,
            "first_day": "2027-01-05",
            "last_day": "2027-01-05",
            "reason": "weather",
        },
    )
    assert response.status_code == 200
    assert "1 booked appointment without a booth" in response.content.decode()
    assert not Closure.objects.exists()


def test_the_admin_saves_a_valid_closure_through_the_service(client, centre, programme_admin):
    force_login_verified(client, programme_admin)
    response = client.post(
        reverse("admin:centres_closure_add"),
        {
            "centre": centre.pk,
            "first_day": "2027-01-05",
            "last_day": "2027-01-05",
            "reason": "holiday",
        },
    )
    assert response.status_code == 302
    assert Closure.objects.count() == 1
    assert Slot.objects.filter(centre=centre).count() == 4
    assert AuditEvent.objects.filter(action="closure.created", actor=programme_admin).exists()


def test_the_admin_refuses_to_delete_extra_capacity_in_use(client, centre, programme_admin):
    extra = ExtraCapacity(centre=centre, first_day=TUESDAY, last_day=TUESDAY, extra_booths=1)
    capacity_change_save(obj=extra, actor=None)
    _book(centre, TUESDAY, 8, count=3)
    force_login_verified(client, programme_admin)

    response = client.post(
        reverse("admin:centres_extracapacity_delete", args=[extra.pk]), {"post": "yes"}, follow=True
    )

    assert ExtraCapacity.objects.filter(pk=extra.pk).exists()
    assert "1 booked appointment without a booth" in response.content.decode()


def test_the_slot_admin_lists_slots_in_the_centres_local_time(client, centre, programme_admin):
    force_login_verified(client, programme_admin)
    response = client.get(
        reverse("admin:centres_slot_changelist"), {"centre__id__exact": centre.pk}
    )
    assert response.status_code == 200
    assert "2027-01-05 08:00 (Eastern time)" in response.content.decode()
