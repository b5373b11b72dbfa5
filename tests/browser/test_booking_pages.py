"""The applicant's booking pages of issue 15 in a real browser, English and French, on a
desktop and at phone width (390 px), axe-core on each and a screenshot of each
(``var/screenshots/``): the held time and when it runs out, the booked appointment with
its reference, printable sheet (one printed page), map and centre links, the centre's
hours and closures, and asking for an earlier time when one is free at once.
"""

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import Appointment, WaitlistRequest
from bookings.services import appointment_book, slot_hold
from centres.models import Closure, OpeningRule
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory
from tests.browser.helpers import axe_check, screenshot, signed_in

VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
PHONE = {"width": 390, "height": 844}
SIZES = [("en", None), ("fr", None), ("en", PHONE), ("fr", PHONE)]
ZONE = {"en": "Pacific time", "fr": "heure du Pacifique"}


def _local(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone=VANCOUVER) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VANCOUVER)


@pytest.fixture
def yvr(transactional_db):
    centre = CentreFactory(
        name="Vancouver International Airport",
        short_name="YVR",
        address="3211 Grant McConachie Way",
        city="Richmond",
        region="BC",
        postal_code="V7B 0A4",
        time_zone="America/Vancouver",
    )
    for weekday in range(5):
        OpeningRule.objects.create(
            centre=centre, weekday=weekday, opens_at=datetime.time(8), booths=2,
            closes_at=datetime.time(16, 30), valid_from=datetime.date(2020, 1, 1),
        )  # fmt: skip
    today = timezone.localdate(timezone=VANCOUVER)
    Closure.objects.create(
        centre=centre,
        first_day=today + datetime.timedelta(days=20),
        last_day=today + datetime.timedelta(days=20),
        reason=Closure.Reason.HOLIDAY,
    )
    return centre


def _page(new_context, site, user, viewport, **options):
    context = new_context(base_url=site, **({"viewport": viewport} if viewport else {}), **options)
    signed_in(context, site, user)
    return context.new_page()


def _check(page, lang: str, name: str, viewport) -> None:
    """The right language, no axe violation, nothing wider than the screen, a screenshot."""
    assert page.locator("html").get_attribute("lang") == lang
    axe_check(page, f"{name} ({lang})")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} ({lang}) is {overflow}px wider than the screen"
    screenshot(page, f"booking-{lang}-{'phone' if viewport else 'desktop'}-{name}")


@pytest.mark.parametrize(("lang", "viewport"), SIZES)
def test_hold_confirm_then_reference_print_map_and_centre(new_context, site, yvr, lang, viewport):
    application = ApplicationFactory()
    user = application.applicant.user
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(5, 10, 20))
    slot_hold(application=application, slot=slot, actor=user)
    page = _page(new_context, site, user, viewport)

    # The held time: until when, in the centre's zone, and what happens then.
    page.goto(f"/{lang}/my/applications/{application.number}/hold/")
    held = page.locator(".hold-time").inner_text()
    assert ZONE[lang] in held
    assert re.search({"en": r"until \d\d:\d\d", "fr": r"jusqu’à \d+ h \d\d"}[lang], held)
    assert {"en": "about 10 minutes", "fr": "environ 10 minutes"}[lang] in held
    assert {"en": "choose a time again", "fr": "de nouveau choisir une heure"}[lang] in held
    _check(page, lang, "01-hold", viewport)
    page.locator("button[value=confirm]").click()
    page.wait_for_url("**/appointments/*/")

    # The booked appointment: its reference, prominent; map, centre, print.
    appointment = Appointment.objects.get(application=application, status="booked")
    expect(page.locator("main .reference strong")).to_have_text(appointment.reference)
    font = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.reference strong')).fontSize)"
    )
    body = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert font > body  # larger than the text around it
    directions = page.locator("main a[href^='https://www.openstreetmap.org/search?']")
    expect(directions).to_have_attribute("rel", "noopener external")
    assert "Grant+McConachie" in directions.get_attribute("href")
    _check(page, lang, "02-appointment", viewport)

    # Printed, the page is the sheet alone: no header, navigation or links to act on.
    page.emulate_media(media="print")
    for hidden in (".site-header", "nav", ".actions", ".site-footer", "#getting-there"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator("main .reference")).to_be_visible()
    screenshot(page, f"booking-{lang}-{'phone' if viewport else 'desktop'}-03-appointment-print")
    page.emulate_media(media="screen")

    # The print view: no navigation; with scripts, a Print button; one printed page.
    page.locator(f"main a[href$='/appointments/{appointment.pk}/print/']").click()
    page.wait_for_url("**/print/")
    assert page.locator("nav").count() == 0
    expect(page.locator("[data-print-button] button")).to_have_text(
        {"en": "Print", "fr": "Imprimer"}[lang]
    )
    expect(page.locator("main .reference strong")).to_have_text(appointment.reference)
    _check(page, lang, "04-print-view", viewport)
    if viewport is None:
        pdf = page.pdf(format="Letter")
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one sheet
    page.locator(f"a[href$='/appointments/{appointment.pk}/']").click()
    page.wait_for_url(f"**/appointments/{appointment.pk}/")

    # The centre: its week and its closures.
    page.locator(f"main a[href$='/centres/{yvr.pk}/']").click()
    page.wait_for_url(f"**/centres/{yvr.pk}/")
    table = page.locator("main table.hours")
    expect(table.locator("tbody tr")).to_have_count(7)
    monday = table.locator("tbody tr").first.inner_text()
    assert {"en": "08:00 to 16:30", "fr": "de 8 h 00 à 16 h 30"}[lang] in monday
    expect(page.locator("main ul.closures li")).to_have_count(1)
    assert {"en": "(public holiday)", "fr": "(jour férié)"}[lang] in page.locator(
        "main ul.closures"
    ).inner_text()
    _check(page, lang, "05-centre", viewport)


@pytest.mark.parametrize(("lang", "viewport"), SIZES)
def test_asking_for_an_earlier_time_names_the_time_found_and_letting_it_go(
    new_context, site, yvr, lang, viewport
):
    application = ApplicationFactory()
    user = application.applicant.user
    later = SlotFactory(centre=yvr, capacity=1, starts_at=_local(10, 9))
    appointment_book(application=application, slot=later, actor=user)
    SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 10, 20))  # free, earlier
    page = _page(new_context, site, user, viewport)

    page.goto(f"/{lang}/my/")
    page.locator(f"main a[href$='/applications/{application.number}/earlier-time/']").click()
    _check(page, lang, "06-earlier-time-form", viewport)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url("**/hold/")
    standing = page.locator("main .standing").first.inner_text()
    assert {"en": "We found ", "fr": "Nous avons trouvé "}[lang] in standing
    assert {"en": "10:20", "fr": "10 h 20"}[lang] in standing and yvr.name in standing
    assert {"en": "e-mail you", "fr": "vous écrirons"}[lang] not in page.locator(
        "main"
    ).inner_text()
    _check(page, lang, "07-earlier-time-found", viewport)

    page.locator("button[value=release]").click()
    page.wait_for_url(f"**/{lang}/my/")
    expect(page.locator(".messages")).to_contain_text(
        {"en": "You let the time go", "fr": "Vous avez renoncé à cette heure"}[lang]
    )
    assert WaitlistRequest.objects.get(application=application).is_active
    _check(page, lang, "08-earlier-time-let-go", viewport)


def test_without_scripts_the_hold_and_print_pages_say_it_all(new_context, site, yvr):
    application = ApplicationFactory()
    user = application.applicant.user
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(5, 10, 20))
    slot_hold(application=application, slot=slot, actor=user)
    page = _page(new_context, site, user, None, java_script_enabled=False)
    page.goto(f"/en/my/applications/{application.number}/hold/")
    assert "about 10 minutes from now" in page.locator(".hold-time").inner_text()
    page.locator("button[value=confirm]").click()
    page.wait_for_url("**/appointments/*/")
    page.locator("main a[href$='/print/']").click()
    page.wait_for_url("**/print/")
    expect(page.locator("[data-print-button]")).to_have_text(
        "Use your browser's Print command to print this sheet."
    )
    # (axe itself needs scripts: the same page was checked with them above.)
    screenshot(page, "booking-en-desktop-09-print-view-no-js")
