"""The officer console in a real browser, as a CBSA then a CBP officer uses it on a phone
and at a desk, in English and French: the day list (previous and next day, check-in
offered today only, the name leading to the interview after check-in), the interview
page offering only what the workflow allows, the CBP walk-in with its place required.
axe-core on every page; no page scrolls sideways."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.services import appointment_book
from centres.models import StaffProfile
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Interview
from interviews.tests.factories import StaffProfileFactory
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}
WORDS = {
    "en": {"check_in": "Check in", "next": "Next day", "pass": "Pass", "record": "Record outcome",
           "share": "Share with CBP", "where": "Where the interview took place",
           "required": "This field is required."},
    "fr": {"check_in": "Enregistrer l'arrivée", "next": "Jour suivant", "pass": "Réussite",
           "record": "Enregistrer le résultat", "share": "Communiquer au CBP",
           "where": "Lieu de l'entrevue", "required": "Ce champ est obligatoire."},
}  # fmt: skip


@pytest.fixture
def world(transactional_db):
    airport = CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver")
    preclearance = CentreFactory(preclearance=True, airport=airport, name="YVR preclearance")
    application = ApplicationFactory(applicant__given_names="Marie", applicant__surname="Tremblay")
    start = timezone.now() + datetime.timedelta(minutes=30)
    appointment = appointment_book(
        application=application, slot=SlotFactory(centre=airport, starts_at=start),
        actor=application.applicant.user,
    )  # fmt: skip
    cbsa = StaffProfileFactory(centres=[airport]).user
    cbp = StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[preclearance]).user
    return {"airport": airport, "appointment": appointment, "cbsa": cbsa, "cbp": cbp}


def _no_sideways_scroll(page):
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", None), ("fr", None), ("en", PHONE), ("fr", PHONE)]
)
def test_an_interview_from_check_in_to_the_cbp_walk_in(new_context, site, world, lang, viewport):
    local = timezone.localtime(world["appointment"].slot.starts_at, world["airport"].tz)
    if local.date() != timezone.localtime(timezone.now(), world["airport"].tz).date():
        pytest.skip("too close to local midnight for an appointment today")
    words, size = WORDS[lang], "phone" if viewport else "desktop"
    options = {"viewport": viewport} if viewport else {}
    context = new_context(base_url=site, **options)
    signed_in(context, site, world["cbsa"])
    page = context.new_page()

    page.goto(f"/{lang}/officer/")
    expect(page.locator("nav.site-nav")).not_to_contain_text("My enrolment")
    expect(page.locator("nav.site-nav")).not_to_contain_text("Mon inscription")
    axe_check(page, f"the day list ({lang})")
    _no_sideways_scroll(page)
    screenshot(page, f"officer-day-{lang}-{size}")
    page.get_by_role("link", name=words["next"]).click()
    expect(page.get_by_role("button", name=words["check_in"])).to_have_count(0)  # tomorrow
    page.go_back()
    page.get_by_role("button", name=words["check_in"]).click()
    page.get_by_role("link", name="Marie Tremblay", exact=True).click()

    expect(page.locator("input[name=outcome]")).to_have_count(3)
    axe_check(page, f"the interview, checked in ({lang})")
    _no_sideways_scroll(page)
    page.get_by_label(words["pass"]).check()
    page.get_by_role("button", name=words["record"]).click()
    expect(page.locator("input[name=outcome]")).to_have_count(0)  # decided: no form
    page.get_by_role("button", name=words["share"]).click()
    expect(page.get_by_role("button", name=words["share"])).to_have_count(0)
    axe_check(page, f"the interview, shared ({lang})")
    screenshot(page, f"officer-interview-{lang}-{size}")

    cbp_context = new_context(base_url=site, **options)
    signed_in(cbp_context, site, world["cbp"])
    cbp_page = cbp_context.new_page()
    interview = Interview.objects.get(application=world["appointment"].application)
    cbp_page.goto(f"/{lang}/officer/enrolments/{interview.pk}/")
    cbp_page.get_by_label(words["pass"]).check()
    cbp_page.get_by_role("button", name=words["record"]).click()  # the place left out
    expect(cbp_page.locator(".errors").first).to_contain_text(words["required"])
    axe_check(cbp_page, f"the CBP walk-in, place missing ({lang})")
    _no_sideways_scroll(cbp_page)
    cbp_page.get_by_label(words["where"]).select_option(label="YVR preclearance")
    cbp_page.get_by_role("button", name=words["record"]).click()
    expect(cbp_page.locator("input[name=outcome]")).to_have_count(0)
    interview.refresh_from_db()
    assert interview.state == Interview.State.ENROLLED
    screenshot(cbp_page, f"officer-cbp-done-{lang}-{size}")
    for path in (f"/{lang}/officer/enrolments/{interview.pk}/timeline/", f"/{lang}/officer/find/"):
        cbp_page.goto(path)
        axe_check(cbp_page, f"{path} ({lang})")
        _no_sideways_scroll(cbp_page)
