"""A browser's date field takes only an ISO value: a page in French must not write the
day as 07/12/2026 into it (the field would show blank and be sent empty)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from centres.models import StaffProfile
from centres.tests.factories import CentreFactory, ClosureFactory
from common.tests.helpers import force_login_verified
from interviews.tests.factories import StaffProfileFactory, officer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_officer_s_day_field_is_iso_in_both_languages(client, lang):
    centre = CentreFactory()
    force_login_verified(client, officer("cbsa", centre))
    with translation.override(lang):
        url = reverse("interviews:day_list")
    today = timezone.localdate(timezone=centre.tz)
    assert f'value="{today.isoformat()}"' in client.get(url).content.decode()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_closure_being_changed_shows_its_days_and_times(client, lang):
    centre = CentreFactory()
    closure = ClosureFactory(
        centre=centre, first_day=datetime.date(2030, 12, 24), last_day=datetime.date(2030, 12, 26),
        from_time=datetime.time(13, 30), until_time=datetime.time(17),
    )  # fmt: skip
    admin = StaffProfileFactory(role=StaffProfile.Role.CENTRE_ADMIN, centres=[centre]).user
    force_login_verified(client, admin)
    with translation.override(lang):
        url = reverse(
            "capacity:edit", kwargs={"pk": centre.pk, "kind": "closure", "obj": closure.pk}
        )
    body = client.get(url).content.decode()
    assert 'value="2030-12-24"' in body and 'value="2030-12-26"' in body
    assert 'value="13:30"' in body and 'value="17:00"' in body
