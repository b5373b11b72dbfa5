"""The public pages in a real browser: language, accessibility (axe-core) and the skip link."""

import pytest
from playwright.sync_api import expect

from centres.tests.factories import CentreFactory, SlotFactory
from tests.browser.helpers import axe_check, screenshot, wait_for_paint

PAGES = [
    pytest.param("/en/", "en", id="centre-list-en"),
    pytest.param("/fr/", "fr", id="centre-list-fr"),
    pytest.param("/en/accounts/sign-in/", "en", id="sign-in-en"),
    pytest.param("/fr/accounts/sign-in/", "fr", id="sign-in-fr"),
]


@pytest.fixture
def centres(transactional_db):
    """A few centres like the demo's: one with an open time, one without, one walk-in."""
    toronto = CentreFactory(name="Toronto Pearson International Airport")
    SlotFactory(centre=toronto)
    CentreFactory(name="Blaine (Peace Arch)", land_border=True)
    CentreFactory(
        name="Vancouver preclearance",
        preclearance=True,
        city="Richmond",
        region="BC",
        time_zone="America/Vancouver",
    )


@pytest.mark.parametrize(("path", "lang"), PAGES)
def test_public_page_is_in_its_language_and_passes_axe(page, centres, path, lang, request):
    response = page.goto(path)

    assert response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_count(1)
    # The stylesheet really applied, or axe would judge an unstyled page's contrast.
    expect(page.locator(".footer-main")).to_have_css("background-color", "rgb(38, 55, 74)")
    if path.endswith(f"/{lang}/"):
        expect(page.locator("table.centres tbody tr")).to_have_count(3)
    screenshot(page, f"public-{request.node.callspec.id}")
    axe_check(page, request.node.callspec.id)


@pytest.mark.parametrize(("path", "lang"), PAGES)
def test_a_keyboard_users_first_tab_shows_the_skip_link(page, centres, path, lang, request):
    page.goto(path)
    skip_link = page.locator("a.skip-link")
    wait_for_paint(page)

    page.keyboard.press("Tab")

    expect(skip_link).to_be_focused(timeout=1_000)  # keys act at once; no need to wait 5 s
    expect(skip_link).to_be_in_viewport(ratio=1)
    screenshot(page, f"skip-link-{request.node.callspec.id}")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
