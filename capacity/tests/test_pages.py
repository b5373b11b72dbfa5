"""The capacity console's pages: each administrator's scope, both ways (404 outside it);
a change previewed, then applied; a refused or outdated apply shows the new preview."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.services import appointment_book
from centres.models import Closure, ExtraCapacity, OpeningRule, Slot, StaffProfile
from centres.services import centre_slots_generate
from centres.tests.factories import CentreFactory
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import ApplicationFactory
from interviews.tests.factories import StaffProfileFactory

pytestmark = pytest.mark.django_db


def _open_centre(**fields):
    centre = CentreFactory(**fields)
    for weekday in range(7):
        OpeningRule.objects.create(
            centre=centre, weekday=weekday, opens_at=datetime.time(8), booths=2,
            closes_at=datetime.time(10), valid_from=datetime.date(2020, 1, 1),
        )  # fmt: skip
    centre_slots_generate(centre=centre)
    return centre


@pytest.fixture
def mine(settings):
    settings.SLOT_HORIZON_DAYS = 14
    return _open_centre()


@pytest.fixture
def theirs(mine):
    return _open_centre()


def _admin(client, role, *centres):
    user = StaffProfileFactory(role=role, centres=list(centres)).user
    force_login_verified(client, user)
    return user


def _day(centre, n):
    return timezone.localtime(timezone.now(), centre.tz).date() + datetime.timedelta(days=n)


def _urls(centre):
    return [
        reverse("capacity:week", kwargs={"pk": centre.pk}),
        reverse("capacity:change", kwargs={"pk": centre.pk, "kind": "closure"}),
        reverse(
            "capacity:remove",
            kwargs={"pk": centre.pk, "kind": "rule", "obj": centre.opening_rules.first().pk},
        ),
    ]


def test_a_centre_administrator_manages_their_centre_only(client, mine, theirs):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    for url in _urls(mine):
        assert client.get(url).status_code == 200, url
    for url in _urls(theirs):
        assert client.get(url).status_code == 404, url
    listed = client.get(reverse("capacity:centres")).content.decode()
    assert mine.name in listed and theirs.name not in listed


def test_a_programme_administrator_manages_every_centre(client, mine, theirs):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    for url in _urls(mine) + _urls(theirs):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "role", [StaffProfile.Role.CBSA_OFFICER, StaffProfile.Role.ENTRY_EXIT_ANALYST]
)
def test_officers_and_analysts_find_nothing(client, mine, role):
    _admin(client, role, mine)
    assert client.get(reverse("capacity:centres")).status_code == 404
    for url in _urls(mine):
        assert client.get(url).status_code == 404, url


def test_a_closure_is_previewed_then_applied(client, mine):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    day = _day(mine, 3)
    url = reverse("capacity:change", kwargs={"pk": mine.pk, "kind": "closure"})
    form = {"first_day": day, "last_day": day, "reason": "holiday", "note": ""}

    page = client.post(url, {**form, "action": "preview"}).content.decode()
    assert "What this change would do" in page
    assert not Closure.objects.exists()
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]

    response = client.post(url, {**form, "action": "apply", "fingerprint": fingerprint})
    assert response.status_code == 302
    closure = Closure.objects.get()
    assert closure.centre == mine
    start = datetime.datetime.combine(day, datetime.time(8), tzinfo=mine.tz)
    assert not Slot.objects.filter(centre=mine, starts_at=start, capacity__gt=0).exists()
    week = client.get(response["Location"]).content.decode()
    assert "closure.created" in week  # the change is in the centre's history
    assert f"first_day: {day.isoformat()}" in week and "reason: holiday" in week  # after


def test_an_apply_after_a_booking_came_in_shows_the_new_preview(client, mine):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    day = _day(mine, 4)
    url = reverse("capacity:change", kwargs={"pk": mine.pk, "kind": "closure"})
    form = {"first_day": day, "last_day": day, "reason": "weather"}
    page = client.post(url, {**form, "action": "preview"}).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]
    slot = Slot.objects.get(
        centre=mine, starts_at=datetime.datetime.combine(day, datetime.time(8), tzinfo=mine.tz)
    )
    application = ApplicationFactory()
    appointment_book(application=application, slot=slot, actor=application.applicant.user)

    response = client.post(url, {**form, "action": "apply", "fingerprint": fingerprint})

    assert response.status_code == 409
    page = response.content.decode()
    assert "changed since the preview" in page
    assert application.number in page  # the appointment it would now strand
    assert 'value="apply"' not in page  # a stranding change cannot be applied
    assert not Closure.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Give both times of the window, or neither (the whole day)."),
        ("fr", "Indiquez les deux heures de la plage, ou aucune (toute la journée)."),
    ],
)
def test_a_half_given_window_re_shows_the_form_in_the_readers_language(
    client, mine, language, message
):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    day = _day(mine, 2)
    url = f"/{language}/capacity/{mine.pk}/change/extra/"
    response = client.post(
        url,
        {"first_day": day, "last_day": day, "extra_booths": 2, "from_time": "09:00",
         "action": "preview"},
    )  # fmt: skip
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not ExtraCapacity.objects.exists()


def test_removing_opening_hours_is_previewed_and_applied(client, mine):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    rule = mine.opening_rules.first()
    url = reverse("capacity:remove", kwargs={"pk": mine.pk, "kind": "rule", "obj": rule.pk})
    page = client.get(url).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]
    assert client.post(url, {"fingerprint": fingerprint}).status_code == 302
    assert not OpeningRule.objects.filter(pk=rule.pk).exists()


def test_close_and_move_people_first_from_the_preview(client, mine):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    day = _day(mine, 4)
    slot = Slot.objects.get(
        centre=mine, starts_at=datetime.datetime.combine(day, datetime.time(8), tzinfo=mine.tz)
    )
    application = ApplicationFactory()
    booked = appointment_book(application=application, slot=slot, actor=application.applicant.user)
    url = reverse("capacity:change", kwargs={"pk": mine.pk, "kind": "closure"})
    form = {"first_day": day, "last_day": day, "reason": "weather"}
    page = client.post(url, {**form, "action": "preview"}).content.decode()
    assert 'value="close_and_move"' in page and 'value="apply"' not in page
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]

    response = client.post(url, {**form, "action": "close_and_move", "fingerprint": fingerprint})

    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.status, booked.cancel_reason) == ("cancelled", "centre_closed")
    assert Closure.objects.filter(centre=mine).exists()


def test_a_programme_administrator_adds_booths_at_several_centres_with_one_preview(
    client, mine, theirs
):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    day = _day(mine, 5)
    url = reverse("capacity:change", kwargs={"pk": mine.pk, "kind": "extra"})
    form = {"first_day": day, "last_day": day, "extra_booths": 2, "also_at": [theirs.pk]}
    page = client.post(url, {**form, "action": "preview"}).content.decode()
    assert mine.name in page and theirs.name in page  # one combined preview
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]
    # A booking at the second centre meanwhile does not change what adding booths does:
    # the apply goes through at both, in one transaction.
    assert (
        client.post(url, {**form, "action": "apply", "fingerprint": fingerprint}).status_code == 302
    )
    assert set(ExtraCapacity.objects.values_list("centre", flat=True)) == {mine.pk, theirs.pk}


def test_one_change_at_several_centres_is_refused_whole_when_one_centre_changed(
    client, mine, theirs
):
    _admin(client, StaffProfile.Role.PROGRAMME_ADMIN)
    day = _day(mine, 4)
    url = reverse("capacity:change", kwargs={"pk": mine.pk, "kind": "closure"})
    form = {"first_day": day, "last_day": day, "reason": "holiday", "also_at": [theirs.pk]}
    page = client.post(url, {**form, "action": "preview"}).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]
    slot = Slot.objects.get(
        centre=theirs, starts_at=datetime.datetime.combine(day, datetime.time(8), tzinfo=theirs.tz)
    )
    application = ApplicationFactory()
    appointment_book(application=application, slot=slot, actor=application.applicant.user)

    response = client.post(url, {**form, "action": "apply", "fingerprint": fingerprint})

    assert response.status_code == 409
    assert application.number in response.content.decode()
    assert not Closure.objects.exists()  # at neither centre


def test_a_centre_administrator_is_not_offered_other_centres(client, mine, theirs):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    url = reverse("capacity:change", kwargs={"pk": mine.pk, "kind": "extra"})
    assert "also_at" not in client.get(url).content.decode()
    day = _day(mine, 5)
    form = {"first_day": day, "last_day": day, "extra_booths": 1, "also_at": [theirs.pk]}
    page = client.post(url, {**form, "action": "preview"}).content.decode()
    assert theirs.name not in page  # ignored: not theirs to change


def test_changing_the_booths_of_opening_hours_is_previewed_and_applied(client, mine):
    _admin(client, StaffProfile.Role.CENTRE_ADMIN, mine)
    rule = mine.opening_rules.first()
    url = reverse("capacity:edit", kwargs={"pk": mine.pk, "kind": "rule", "obj": rule.pk})
    assert client.get(url).status_code == 200
    form = {
        "weekday": rule.weekday, "opens_at": "08:00", "closes_at": "10:00", "slot_minutes": 20,
        "booths": 3, "valid_from": rule.valid_from,
    }  # fmt: skip
    page = client.post(url, {**form, "action": "preview"}).content.decode()
    assert "Booths gained: 6." in page or "Booths gained: 12." in page
    rule.refresh_from_db()
    assert rule.booths == 2  # the preview changed nothing
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', page)[1]
    assert (
        client.post(url, {**form, "action": "apply", "fingerprint": fingerprint}).status_code == 302
    )
    rule.refresh_from_db()
    assert rule.booths == 3
    assert OpeningRule.objects.filter(centre=mine).count() == 7
