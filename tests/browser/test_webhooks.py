"""The programme administrator's webhook pages in a real browser: register a subscription
(a private address refused in the reader's language, nothing typed lost), read its secret
and deliveries; desktop and phone, English and French, axe-core on each."""

import pytest
from playwright.sync_api import expect

from centres.models import StaffProfile
from interviews.tests.factories import StaffProfileFactory
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(
    ("lang", "viewport"), [("en", None), ("fr", None), ("en", PHONE), ("fr", PHONE)]
)
def test_a_director_registers_a_subscription(new_context, site, transactional_db, lang, viewport):
    options = {"viewport": viewport} if viewport else {}
    context = new_context(base_url=site, **options)
    signed_in(context, site, StaffProfileFactory(role=StaffProfile.Role.PROGRAMME_ADMIN).user)
    page = context.new_page()
    words = {
        "en": ("Name", "Address (HTTPS)", "Appointment booked", "Register", "private"),
        "fr": ("Nom", "Adresse (HTTPS)", "Rendez-vous pris", "Enregistrer", "privé"),
    }[lang]
    name, address, event, register, refused = words

    page.goto(f"/{lang}/programme/webhooks/")
    axe_check(page, f"the webhook subscriptions ({lang})")
    page.get_by_label(name, exact=True).fill("Partner tracker")
    page.get_by_label(address).fill("https://192.168.1.20/hooks")
    page.get_by_label(event).check()
    page.get_by_role("button", name=register, exact=True).click()

    expect(page.locator(".errors").first).to_contain_text(refused)
    expect(page.get_by_label(name, exact=True)).to_have_value("Partner tracker")
    expect(page.get_by_label(event)).to_be_checked()
    axe_check(page, f"a refused address ({lang})")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, f"webhooks-refused-{lang}-{'phone' if viewport else 'desktop'}")

    page.get_by_label(address).fill("https://93.184.216.34/hooks")
    page.get_by_role("button", name=register, exact=True).click()
    expect(page.locator("h1")).to_have_text("Partner tracker")
    expect(page.locator("dl.summary")).to_contain_text(event)
    axe_check(page, f"a subscription ({lang})")
    screenshot(page, f"webhooks-subscription-{lang}-{'phone' if viewport else 'desktop'}")
