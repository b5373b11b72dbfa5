"""/api/docs/ in Chromium with every request off this site refused: Swagger UI still
renders every v1 operation, so the docs need no CDN (the machines have no internet), and
under the site's Content-Security-Policy, with nothing refused."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import screenshot


@pytest.fixture
def offline_page(page, site):
    """The page, with any request to another host aborted and recorded."""
    own = urlsplit(site).netloc
    refused: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.refused = refused
    return page


def test_swagger_ui_renders_every_operation_from_this_site_alone(offline_page, transactional_db):
    response = offline_page.goto("/api/docs/")
    assert response.status == 200
    assert "script-src 'self';" in response.headers["content-security-policy"]
    operations = offline_page.locator(".opblock")
    expect(operations.first).to_be_visible()
    expect(operations.nth(11)).to_be_visible()  # the 12 operations of this part of v1
    expect(offline_page.locator(".info .title")).to_contain_text("NEXUS Portal API")
    offline_page.locator(".opblock-summary").first.click()  # an operation opened, too
    expect(offline_page.locator(".opblock-body").first).to_be_visible()
    screenshot(offline_page, "api-docs")
    assert offline_page.refused == []
    assert offline_page.context.csp_violations == []
