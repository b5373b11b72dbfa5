"""The Django admin in a real browser, under the site's Content-Security-Policy: its pages
load only files from /static/, so nothing is refused (the ``page`` fixture fails the test
on any violation) and its scripts still run (the date picker, the filters, the actions)."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.helpers import force_login_verified
from enrolment.tests.factories import UserFactory
from tests.browser.helpers import screenshot


@pytest.fixture
def admin_page(page, site, transactional_db):
    """The page, signed in as a programme administrator who passed the code step."""
    client = Client()
    force_login_verified(client, UserFactory(is_staff=True, is_superuser=True))
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
    return page


def test_the_admin_works_under_the_policy(admin_page):
    centre = CentreFactory(name="Vancouver International Airport")
    SlotFactory(centre=centre)

    response = admin_page.goto("/en/admin/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    expect(admin_page.locator("#site-name")).to_be_visible()
    # The admin's stylesheet applied: its header is coloured.
    expect(admin_page.locator("#header")).not_to_have_css("background-color", "rgba(0, 0, 0, 0)")
    screenshot(admin_page, "admin-index")

    admin_page.goto("/en/admin/centres/centre/")
    expect(admin_page.locator("#result_list tbody tr")).to_have_count(1)
    admin_page.locator("#action-toggle").check()  # actions.js ticks every row
    expect(admin_page.locator("#result_list tbody input.action-select")).to_be_checked()
    screenshot(admin_page, "admin-centre-list")

    admin_page.goto("/en/admin/centres/closure/add/")
    # DateTimeShortcuts.js adds "Today" and the calendar beside each date field.
    expect(admin_page.locator(".datetimeshortcuts").first).to_be_visible()
    admin_page.locator(".datetimeshortcuts a").first.click()
    expect(admin_page.locator("input[name=first_day]")).not_to_have_value("")
    admin_page.locator("#calendarlink0").click()  # the calendar
    expect(admin_page.locator(".calendarbox").first).to_be_visible()
    screenshot(admin_page, "admin-closure-add")
