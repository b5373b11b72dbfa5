"""The Entry/Exit traveller's report and legal holds in a real browser: the report's own
stylesheet is allowed by its policy (the ``page`` fixture fails on any violation), it
prints to PDF, and the pages pass axe-core."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from entry_exit.models import LegalHold
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory
from entry_exit.tests.people import analyst, programme_admin
from tests.browser.helpers import axe_check, screenshot, signed_in


@pytest.fixture
def crossings(transactional_db):
    douglas = PortFactory(name="Douglas", region="BC", time_zone="America/Vancouver")
    for day in (2, 9):
        CrossingRecordFactory(
            port=douglas,
            document_number="P1234567",
            document_country="DEU",
            occurred_at=datetime(2026, 7, day, 20, 30, tzinfo=UTC),
        )


def test_the_travellers_report_prints_in_their_language(page, site, crossings):
    signed_in(page.context, site, analyst())
    page.goto("/en/entry-exit/travellers/report/")
    axe_check(page, "the traveller's report form")
    page.get_by_label("Identity document seen in person").check()
    page.get_by_label("Request reference").fill("A-2026-00123")
    page.get_by_label("French").check()
    page.get_by_label("Document number").fill("P1234567")
    page.get_by_label("Issuing country").fill("DEU")
    page.get_by_role("button", name="Generate the report").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("body")).to_contain_text("9 juillet 2026")
    # Its own stylesheet applied (a policy that refused it would fail the test too).
    expect(page.locator("header")).to_have_css("border-bottom-width", "3px")
    axe_check(page, "the traveller's report")
    screenshot(page, "entry-exit-traveller-report")
    page.emulate_media(media="print")
    expect(page.locator(".screen-only")).to_be_hidden()
    pdf = page.pdf(format="Letter")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000


def test_an_administrator_places_and_lifts_a_hold(page, site, crossings):
    signed_in(page.context, site, programme_admin())
    page.goto("/en/entry-exit/legal-holds/new/")
    axe_check(page, "the legal hold look-up")
    page.get_by_label("Legal request (warrant, court order)").check()
    page.get_by_label("Document number").fill("P1234567")
    page.get_by_label("Issuing country").fill("DEU")
    page.get_by_role("button", name="Look up").click()

    expect(page.locator("#results-heading")).to_have_text("2 crossings found")
    axe_check(page, "the records to hold")
    screenshot(page, "entry-exit-legal-hold-new")
    page.get_by_label("Court order, warrant or subpoena").check()
    page.get_by_label("Reference (court file").fill("T-1234-26")
    page.get_by_label("Reason for the hold").fill("Preservation order.")
    page.get_by_role("button", name="Place the hold").click()

    expect(page.locator("h1")).to_have_text(f"Legal hold {LegalHold.objects.get().pk}")
    axe_check(page, "a legal hold")
    screenshot(page, "entry-exit-legal-hold")
    page.get_by_label("The matter is concluded").check()
    page.get_by_role("button", name="Lift the hold").click()
    expect(page.locator("dl.facts")).to_contain_text("The matter is concluded")
    page.goto("/en/entry-exit/legal-holds/")
    axe_check(page, "the legal holds")
