"""The GC Design System look, in a real browser: its fonts, signature and wordmark served
from our static files; the site's own error pages and the Django admin at axe 0; and the
applicant's booking done from start to end with JavaScript turned off, since the pages use
the design system's CSS with plain HTML, never its JavaScript components."""

import datetime
import zoneinfo

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation
from django.views import csrf, defaults
from playwright.sync_api import expect

from bookings.models import Appointment
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}
VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
SIZES = [("en", None), ("fr", None), ("en", PHONE), ("fr", PHONE)]
IDS = ["en-desktop", "fr-desktop", "en-phone", "fr-phone"]


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def _context(new_context, viewport, **options):
    return new_context(**({"viewport": viewport} if viewport else {}), **options)


@pytest.mark.parametrize(("lang", "viewport"), SIZES, ids=IDS)
def test_the_design_systems_fonts_signature_and_footer(new_context, lang, viewport, request):
    page = _context(new_context, viewport).new_page()
    page.goto(f"/{lang}/")
    page.evaluate("() => document.fonts.ready")
    # The fonts came from /static/gcds/ and are in use: Lato for headings, Noto Sans for text.
    assert page.evaluate("() => document.fonts.check('700 40px Lato')")
    assert page.evaluate("() => document.fonts.check('400 20px \"Noto Sans\"')")
    assert "Lato" in page.locator("h1").evaluate("e => getComputedStyle(e).fontFamily")
    assert "Noto Sans" in page.locator("body").evaluate("e => getComputedStyle(e).fontFamily")
    for image in (".signature", ".wordmark"):
        locator = page.locator(image)
        assert locator.get_attribute("src").startswith("/static/gcds/")
        assert locator.get_attribute("src").endswith(f"-{lang}.svg")
        assert locator.evaluate("img => img.complete && img.naturalWidth > 0"), image
    expect(page.locator(".footer-main")).to_have_css("background-color", "rgb(38, 55, 74)")
    expect(page.locator(".footer-sub")).to_have_css("background-color", "rgb(242, 242, 242)")
    # The language toggle: the word on a desktop, the two letters on a phone.
    toggle = page.locator(".lang-switch button")
    other = {"en": "fr", "fr": "en"}[lang]
    expect(toggle).to_have_attribute("lang", other)
    shown = {"en": {"fr": "Français"}, "fr": {"en": "English"}}[lang][other]
    expect(toggle).to_have_text(other.upper() if viewport else shown, use_inner_text=True)
    _no_sideways_scroll(page)
    axe_check(page, f"home ({request.node.callspec.id})")
    screenshot(page, f"design-system-home-{request.node.callspec.id}")


def _rendered(view, lang: str, path: str, **kwargs) -> str:
    """What one of Django's error views answers (the site's template), in ``lang``."""
    with translation.override(lang):
        req = RequestFactory().get(path)
        req.LANGUAGE_CODE = lang
        return view(req, **kwargs).content.decode()


ERROR_VIEWS = {
    "400": lambda lang, path: _rendered(defaults.bad_request, lang, path, exception=None),
    "403": lambda lang, path: _rendered(defaults.permission_denied, lang, path, exception=None),
    "403-csrf": lambda lang, path: _rendered(csrf.csrf_failure, lang, path, reason="test"),
    "500": lambda lang, path: _rendered(defaults.server_error, lang, path),
}
HEADINGS = {
    "404": ("Page not found", "Page introuvable"),
    "400": ("We could not understand the request", "Nous n'avons pas compris la demande"),
    "403": ("You cannot see this page", "Vous ne pouvez pas voir cette page"),
    "403-csrf": ("Your form could not be sent", "Votre formulaire n'a pas pu être envoyé"),
    "500": ("Something went wrong on our side", "Un problème est survenu de notre côté"),
}


@pytest.mark.parametrize("error", sorted(HEADINGS))
@pytest.mark.parametrize(("lang", "viewport"), SIZES, ids=IDS)
def test_error_pages_are_the_sites_own_and_pass_axe(
    new_context, site, transactional_db, error, lang, viewport, request
):
    page = _context(new_context, viewport).new_page()
    path = f"/{lang}/no-such-page/"
    if error != "404":
        # Django's own error view renders the page; the browser gets it at a site address,
        # so its stylesheets and images load from the live server as they would.
        html = ERROR_VIEWS[error](lang, path)
        status = int(error[:3])
        page.route(
            f"{site}{path}",
            lambda route: route.fulfill(status=status, body=html, content_type="text/html"),
        )
    response = page.goto(path)
    assert response.status == int(error[:3])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(HEADINGS[error][lang == "fr"])
    expect(page.locator("main a[href$='/']").first).to_be_visible()  # a way on
    _no_sideways_scroll(page)
    axe_check(page, f"error {error} ({request.node.callspec.id})")
    screenshot(page, f"error-{error}-{request.node.callspec.id}")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_django_admin_passes_axe(browser, site, transactional_db, viewport, request):
    centre = CentreFactory(name="Vancouver International Airport")
    SlotFactory(centre=centre)
    # Not the new_context fixture, which fails a test on any refusal of the policy: on a
    # change form, axe's own checks apply inline styles, which the policy refuses (the
    # admin's own scripts run under it: tests/browser/test_admin.py).
    context = browser.new_context(
        base_url=site, viewport=viewport or {"width": 1280, "height": 900}
    )
    request.addfinalizer(context.close)
    signed_in(context, site, UserFactory(is_staff=True, is_superuser=True))
    page = context.new_page()
    change = f"/fr/admin/centres/centre/{centre.pk}/change/"
    for path in ("/fr/admin/", "/en/admin/centres/centre/", "/en/admin/centres/slot/", change):
        page.goto(path)
        axe_check(page, f"admin {path} ({request.node.callspec.id})")
        screenshot(
            page, f"admin-axe-{path.strip('/').replace('/', '-')}-{request.node.callspec.id}"
        )


def _local(days: int, hour: int) -> datetime.datetime:
    day = timezone.localdate(timezone=VANCOUVER) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=VANCOUVER)


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", PHONE), ("fr", None)], ids=["en-phone", "fr-desktop"]
)
def test_booking_works_without_javascript(new_context, transactional_db, lang, viewport, request):
    yvr = CentreFactory(name="Vancouver International Airport", time_zone="America/Vancouver")
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(5, 10))
    user = UserFactory()
    application = ApplicationFactory(applicant=ApplicantFactory(user=user))
    page = _context(new_context, viewport, java_script_enabled=False).new_page()
    assert (
        page.evaluate("1 + 1") == 2
    )  # Playwright's own evaluate still runs; the page's scripts do not

    # A wrong password: the error summary, in the page's language, with nothing lost.
    page.goto(f"/{lang}/accounts/sign-in/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "not the password")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#form-errors.error-summary")).to_be_visible()
    expect(page.locator("input[name=username]")).to_have_value(user.username)
    screenshot(page, f"no-js-sign-in-error-{request.node.callspec.id}")

    page.fill("input[name=password]", "correct horse battery staple")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/{lang}/my/")
    page.locator("main a[href*='/book/']").first.click()
    page.locator(f"main a[href*='/book/{yvr.pk}/']").click()
    page.check(f"input[name=slot][value='{slot.pk}']")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_url("**/hold/")
    expect(page.locator(".stepper")).to_contain_text("3")
    page.locator("button[value=confirm]").click()
    page.wait_for_url("**/appointments/*/")
    screenshot(page, f"no-js-booked-{request.node.callspec.id}")
    _no_sideways_scroll(page)
    assert Appointment.objects.get(application=application, status="booked").slot_id == slot.pk
