"""The capacity console in a real browser, as a centre administrator uses it: the week at
a glance, a closure previewed (with the appointment it would strand) — desktop and phone,
English and French, axe-core on each page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.services import appointment_book
from centres.models import OpeningRule, Slot, StaffProfile
from centres.services import centre_slots_generate
from centres.tests.factories import CentreFactory
from enrolment.tests.factories import ApplicationFactory
from interviews.tests.factories import StaffProfileFactory
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def centre(transactional_db, settings):
    settings.SLOT_HORIZON_DAYS = 14
    centre = CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver")
    for weekday in range(5):
        OpeningRule.objects.create(
            centre=centre, weekday=weekday, opens_at=datetime.time(8), booths=2,
            closes_at=datetime.time(9), valid_from=datetime.date(2020, 1, 1),
        )  # fmt: skip
    centre_slots_generate(centre=centre)
    return centre


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", None), ("fr", None), ("en", PHONE), ("fr", PHONE)]
)
def test_a_centre_administrator_reads_the_week_and_previews_a_closure(
    new_context, site, centre, lang, viewport
):
    slot = Slot.objects.filter(centre=centre, starts_at__gt=timezone.now()).order_by("starts_at")[2]
    application = ApplicationFactory()
    appointment_book(application=application, slot=slot, actor=application.applicant.user)
    day = timezone.localtime(slot.starts_at, centre.tz).date()
    options = {"viewport": viewport} if viewport else {}
    context = new_context(base_url=site, **options)
    admin = StaffProfileFactory(role=StaffProfile.Role.CENTRE_ADMIN, centres=[centre]).user
    signed_in(context, site, admin)
    page = context.new_page()
    size = "phone" if viewport else "desktop"

    page.goto(f"/{lang}/capacity/{centre.pk}/?week={day.isoformat()}")
    expect(page.locator("h1")).to_have_text(centre.name)
    expect(page.locator("main table")).to_have_count(3)
    axe_check(page, f"a centre's week ({lang})")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, f"capacity-week-{lang}-{size}")

    page.goto(f"/{lang}/capacity/{centre.pk}/change/closure/")
    first, last = {"en": ("First day", "Last day"), "fr": ("Premier jour", "Dernier jour")}[lang]
    page.get_by_label(first).fill(day.isoformat())
    page.get_by_label(last).fill(day.isoformat())
    page.locator("select").first.select_option("weather")
    page.get_by_role("button", name={"en": "Preview", "fr": "Aperçu"}[lang]).click()
    expect(page.locator("section.preview")).to_contain_text(application.number)
    local = timezone.localtime(slot.starts_at, centre.tz)
    shown = {"en": local.strftime("%H:%M"), "fr": f"{local.hour} h {local:%M}"}[lang]
    expect(page.locator("section.preview li").first).to_contain_text(shown)  # centre's time
    axe_check(page, f"a closure's preview ({lang})")
    screenshot(page, f"capacity-preview-{lang}-{size}")
