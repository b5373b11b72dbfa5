"""The reconciliation pages in a real browser, as an analyst uses them: the figures with
their charts and tables (English and French, desktop and phone), the review queue, a
review opened after a stated purpose and decided, and the suspected overstays; every page
through axe-core, each looked at in a screenshot."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from entry_exit.models import AccessLogEntry
from entry_exit.reconciliation.models import ExitMatch, Outcome
from entry_exit.reconciliation.tests.factories import crossings_matched, exit_match_for_review
from entry_exit.tests.factories import CrossingRecordFactory
from entry_exit.tests.people import analyst
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def matched(transactional_db):
    """A week of crossings: each day an entry and its exit, an exit with no entry, and a
    visitor whose six months ran out without an exit."""
    CrossingRecordFactory(
        document_number="V0000001",
        status="foreign_national",
        occurred_at=timezone.now() - timedelta(days=200),
    )
    crossings_matched(7)  # and the matching, the stays too


@pytest.mark.parametrize(
    ("lang", "viewport", "heading"),
    [
        ("en", None, "Exits reconciled"),
        ("fr", None, "Sorties rapprochées"),
        ("en", PHONE, "Exits reconciled"),
        ("fr", PHONE, "Sorties rapprochées"),
    ],
)
def test_the_figures_read_as_charts_and_tables(new_context, site, matched, lang, viewport, heading):
    options = {"viewport": viewport} if viewport else {}
    context = new_context(base_url=site, **options)
    signed_in(context, site, analyst())
    page = context.new_page()

    page.goto(f"/{lang}/entry-exit/reconciliation/")

    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("main")).to_contain_text("94.5" if lang == "en" else "94,5")
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.locator("main table")).to_have_count(2)
    expect(page.locator("main")).to_contain_text(heading)
    axe_check(page, f"the reconciliation figures ({lang})")
    # Nothing wider than the screen: the tables scroll in their own box, if at all.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, f"entry-exit-reconciliation-{lang}-{'phone' if viewport else 'desktop'}")


def test_an_analyst_opens_a_review_after_saying_why_and_decides_it(page, site, matched):
    match = exit_match_for_review()
    signed_in(page.context, site, analyst())

    page.goto("/en/entry-exit/reconciliation/review/")
    axe_check(page, "the review queue")
    screenshot(page, "entry-exit-review-queue")
    page.get_by_role("link", name=f"{match.exit_id}").first.click()

    expect(page.locator("main table")).to_have_count(0)  # no purpose, no records
    page.get_by_role("button", name="Show the records").click()
    expect(page.locator(".errors").first).to_have_text("This field is required.")
    axe_check(page, "a review, purpose missing")
    page.get_by_label("Data-quality check").check()
    page.get_by_role("button", name="Show the records").click()

    expect(page.locator("main table tbody tr")).to_have_count(3)
    assert AccessLogEntry.objects.filter(criteria_kind="review").count() == 1
    axe_check(page, "a review's records")
    screenshot(page, "entry-exit-review")
    page.get_by_role("button", name="Same traveller: match").first.click()

    match.refresh_from_db()
    assert match.outcome == Outcome.MATCHED
    assert not ExitMatch.objects.filter(outcome=Outcome.REVIEW).exists()


def test_the_suspected_overstays_say_why(page, site, matched):
    signed_in(page.context, site, analyst())

    page.goto("/fr/entry-exit/reconciliation/overstays/")

    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main")).to_contain_text("183")
    axe_check(page, "the suspected overstays (fr)")
    screenshot(page, "entry-exit-overstays-fr")
