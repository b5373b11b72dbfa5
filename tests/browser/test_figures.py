"""The programme figures in a real browser, as a programme administrator reads them:
the headline figures, each chart beside its table, a CSV download, a bad date shown
again — desktop and phone, English and French, axe-core on each page."""

import datetime

import pytest
from playwright.sync_api import expect

from centres.models import StaffProfile
from centres.tests.factories import CentreFactory
from figures.models import CentreDay, FiguresDay
from interviews.tests.factories import StaffProfileFactory
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}
START = datetime.date(2022, 1, 3)


@pytest.fixture
def history(transactional_db):
    centres = [
        CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver"),
        CentreFactory(land_border=True, name="Blaine"),
    ]
    days = []
    for n in range(2 * 365):
        day = START + datetime.timedelta(days=n)
        inventory = 330_000 - abs((day - datetime.date(2022, 7, 15)).days) * 150
        days.append(
            FiguresDay(
                day=day, recorded_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
                inventory=inventory, inventory_to_book=inventory, inventory_booked=0,
                inventory_between_parts=0, inventory_under_review=0,
                airport_waiting_for_cbp=20_000,
            )
        )  # fmt: skip
        for centre in centres:
            weekday = day.weekday() < 5
            CentreDay.objects.create(
                day=day, centre=centre, booths_offered=40 * weekday, booths_booked=36 * weekday,
                attended=34 * weekday, no_shows=2 * weekday, cbsa_passed=33 * weekday,
                cbp_passed=30 * weekday, enrolled=30 * weekday,
            )  # fmt: skip
    FiguresDay.objects.bulk_create(days)
    return centres


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", None), ("fr", None), ("en", PHONE), ("fr", PHONE)]
)
def test_a_programme_administrator_reads_the_figures(new_context, site, history, lang, viewport):
    options = {"viewport": viewport} if viewport else {}
    context = new_context(base_url=site, accept_downloads=True, **options)
    admin = StaffProfileFactory(role=StaffProfile.Role.PROGRAMME_ADMIN).user
    signed_in(context, site, admin)
    page = context.new_page()
    size = "phone" if viewport else "desktop"

    page.goto(f"/{lang}/programme/figures/?start=2022-01-03&end=2023-12-31&grain=month")
    heading = {"en": "Programme figures", "fr": "Chiffres du programme"}[lang]
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("svg.chart")).to_have_count(8)
    expect(page.locator("table")).to_have_count(5)
    peak = {"en": "330,000", "fr": "330\u00a0000"}[lang]
    expect(page.locator(".tiles")).to_contain_text(peak)
    axe_check(page, f"programme figures ({lang})")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, f"figures-{lang}-{size}")

    with page.expect_download() as download:
        page.locator("a[href*='centres.csv']").click()
    assert download.value.suggested_filename == "nexus-centres-2022-01-03-2023-12-31.csv"

    page.locator("#id_start").fill("2024-01-01")
    page.get_by_role("button", name={"en": "Show", "fr": "Afficher"}[lang]).click()
    error = {"en": "The start comes after the end.", "fr": "La date de début est postérieure"}
    expect(page.locator("#form-errors")).to_contain_text(error[lang])
    axe_check(page, f"programme figures, a bad range ({lang})")
