import datetime
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from centres.models import Closure, StaffProfile
from centres.tests.factories import CentreFactory, ClosureFactory, SlotFactory
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_centre():
    return CentreFactory(name="Own centre")


@pytest.fixture
def other_centre():
    return CentreFactory(name="Other centre")


@pytest.fixture
def centre_admin(own_centre):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="centres",
            codename__in=[
                "view_centre", "view_slot", "add_closure", "change_closure", "view_closure",
                "delete_closure", "view_staffprofile", "change_staffprofile",
            ],
        )
    )  # fmt: skip
    profile = StaffProfile.objects.create(user=user, role=StaffProfile.Role.CENTRE_ADMIN)
    profile.centres.set([own_centre])
    return user


def test_a_centre_administrator_sees_only_their_centres_closures(
    client, centre_admin, own_centre, other_centre
):
    mine = ClosureFactory(centre=own_centre, first_day=datetime.date(2030, 1, 1),
                          last_day=datetime.date(2030, 1, 1))  # fmt: skip
    theirs = ClosureFactory(centre=other_centre, first_day=datetime.date(2030, 1, 2),
                            last_day=datetime.date(2030, 1, 2))  # fmt: skip
    force_login_verified(client, centre_admin)

    listing = client.get(reverse("admin:centres_closure_changelist")).content.decode()
    assert reverse("admin:centres_closure_change", args=[mine.pk]) in listing
    assert reverse("admin:centres_closure_change", args=[theirs.pk]) not in listing
    other = client.get(reverse("admin:centres_closure_change", args=[theirs.pk]))
    assert other.status_code == 302  # the admin's "does not exist" redirect


def test_a_centre_administrator_cannot_close_another_centre(client, centre_admin, other_centre):
    force_login_verified(client, centre_admin)
    response = client.post(
        reverse("admin:centres_closure_add"),
        {"centre": other_centre.pk, "first_day": "2030-01-01", "last_day": "2030-01-01",
         "reason": "weather"},
    )  # fmt: skip
    assert response.status_code == 200  # the form re-shows with an error
    assert not Closure.objects.exists()


def test_a_centre_administrator_cannot_assign_roles(client, centre_admin):
    force_login_verified(client, centre_admin)
    assert client.get(reverse("admin:centres_staffprofile_changelist")).status_code == 403


def test_a_programme_administrator_assigns_roles(client, programme_admin):
    force_login_verified(client, programme_admin)
    assert client.get(reverse("admin:centres_staffprofile_changelist")).status_code == 200


@pytest.mark.parametrize(
    ("first", "last"), [("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02")]
)
def test_a_closure_past_the_calendar_bounds_is_a_form_error(
    client, centre_admin, own_centre, first, last
):
    force_login_verified(client, centre_admin)

    response = client.post(
        reverse("admin:centres_closure_add"),
        {"centre": own_centre.pk, "first_day": first, "last_day": last, "reason": "holiday"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["first_day"]
    assert not Closure.objects.exists()


@pytest.mark.parametrize("centre", ["9999-12-31", "²", "\x00", "1" * 30])
def test_a_centre_that_is_no_id_is_no_choice_on_the_add_page(client, centre_admin, centre):
    force_login_verified(client, centre_admin)

    assert client.get(reverse("admin:centres_closure_add"), {"centre": centre}).status_code == 200
    response = client.post(reverse("admin:centres_closure_add"), {"centre": centre})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["centre"]


def test_the_admin_carries_the_portal_s_name_and_colours(client, centre_admin):
    force_login_verified(client, centre_admin)
    page = client.get(reverse("admin:index")).content.decode()
    assert "NEXUS Portal administration" in page and "Django administration" not in page
    assert "css/admin.css" in page
    with translation.override("fr"):
        url = reverse("admin:index")
    assert "Administration du Portail NEXUS" in client.get(url).content.decode()


def test_a_centre_administrator_sees_no_technical_section(client, own_centre):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from demo.management.commands.load_demo_data import CENTRE_ADMINISTRATORS

    call_command("load_demo_data", "--force", stdout=io.StringIO(), stderr=io.StringIO())
    user = StaffProfile.objects.get(user__username="centre.admin").user
    assert user.groups.filter(name=CENTRE_ADMINISTRATORS).exists()
    force_login_verified(client, user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "/admin/centres/closure/" in page
    for technical in ("otp_totp", "authtoken", "/admin/auth/", "/admin/common/", "webhooks"):
        assert technical not in page, technical
    assert Group.objects.count() >= 1


def test_list_filters_offer_only_the_centres_in_scope(
    client, centre_admin, own_centre, other_centre
):
    second = CentreFactory(name="Second own centre")
    centre_admin.staff_profile.centres.add(second)
    for centre in (own_centre, second, other_centre):
        ClosureFactory(centre=centre, first_day=datetime.date(2030, 1, 1),
                       last_day=datetime.date(2030, 1, 1))  # fmt: skip
    force_login_verified(client, centre_admin)
    page = client.get(reverse("admin:centres_closure_changelist")).content.decode()
    assert f"centre__id__exact={own_centre.pk}" in page
    assert f"centre__id__exact={second.pk}" in page
    assert f"centre__id__exact={other_centre.pk}" not in page
    assert "Other centre" not in page


def test_the_slots_list_shows_one_labelled_local_start(client, centre_admin, own_centre):
    start = datetime.datetime(2030, 1, 7, 14, 0, tzinfo=datetime.UTC)  # 09:00 in Toronto
    SlotFactory(centre=own_centre, starts_at=start)
    force_login_verified(client, centre_admin)
    page = client.get(reverse("admin:centres_slot_changelist")).content.decode()
    assert "Starts at (centre&#x27;s local time)" in page
    assert "2030-01-07 09:00 (Eastern time)" in page
    assert "14:00" not in page
