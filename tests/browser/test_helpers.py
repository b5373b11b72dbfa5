"""The browser helpers themselves: axe_check and the CSP watch must fail loudly, or a green
run means nothing."""

import pytest

from tests.browser.helpers import axe_check, screenshot, watch_csp


@pytest.fixture
def blank_page(browser):
    # No live server and no database: the page is set from a string.
    context = browser.new_context(locale="en-CA", viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_axe_check_fails_listing_each_violation_and_its_target(blank_page):
    blank_page.set_content(
        "<!doctype html><html><head><title>Bad</title></head><body><main>"
        '<img id="logo" src="data:,"><p style="color:#bbb;background:#fff">Faint</p>'
        "</main></body></html>"
    )

    with pytest.raises(pytest.fail.Exception) as failure:
        axe_check(blank_page, "a bad page")

    message = str(failure.value)
    assert "on a bad page" in message
    assert "- html-has-lang [serious]" in message
    assert "- image-alt [critical]" in message
    assert "#logo" in message
    assert "- color-contrast [serious]" in message


def test_axe_check_passes_a_clean_page_and_screenshot_saves_a_png(blank_page):
    blank_page.set_content(
        '<!doctype html><html lang="en"><head><title>Good</title></head>'
        "<body><main><h1>Good</h1></main></body></html>"
    )

    results = axe_check(blank_page, "a clean page")
    path = screenshot(blank_page, "helpers-clean-page")

    assert results["testEngine"]["version"].startswith("4.")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_watch_csp_records_each_inline_script_and_style_the_policy_refuses(browser):
    context = browser.new_context()
    try:
        violations = watch_csp(context)
        page = context.new_page()
        page.set_content(
            '<!doctype html><html lang="en"><head><title>Inline</title>'
            '<meta http-equiv="Content-Security-Policy"'
            " content=\"script-src 'self'; style-src 'self'\">"
            "<style>p { color: red }</style></head>"
            "<body><p>Inline</p><script>document.title = 'ran'</script></body></html>"
        )
        page.wait_for_load_state()

        assert page.title() == "Inline"  # the script was refused
        assert len(violations) == 2, violations
        assert any("style-src" in v for v in violations)
        assert any("script-src" in v for v in violations)
    finally:
        context.close()
