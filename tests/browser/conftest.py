"""Real-browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Every test in this folder is marked ``browser`` and is skipped, with the reason, when there
is no Chromium at ``/usr/bin/chromium`` (or at ``CHROMIUM_PATH``). We never run
``playwright install``: the browser is Debian's package, which ``.ci/run`` installs.

Fixtures (see ``tests/browser/test_public_pages.py`` for use):

- ``site``: the live server's base URL, e.g. ``http://localhost:41234`` (loopback only).
- ``page``: a page in a fresh browser context (en-CA, 1280x900) whose ``base_url`` is
  ``site``, so ``page.goto("/en/")`` works.
- ``new_context``: a factory for more contexts (a second user, another locale);
  ``new_context(locale="fr-CA")`` takes ``Browser.new_context`` keyword arguments. Every
  context it made is closed after the test.
- ``browser``: this folder's Chromium, if a test needs something the others do not give.

Helpers, in ``tests/browser/helpers.py``: ``axe_check(page, label)`` and
``screenshot(page, name)``. A failed test's page is saved as
``var/screenshots/FAILED-<test>.png``. Any Content-Security-Policy violation in a context
``new_context`` made (``page``'s too) fails the test at teardown, listing each one.
"""

import os
from pathlib import Path

import pytest

from tests.browser.helpers import screenshot, watch_csp

HERE = Path(__file__).resolve().parent
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
HAVE_CHROMIUM = os.path.isfile(CHROMIUM_PATH) and os.access(CHROMIUM_PATH, os.X_OK)

# As the machine's notes advise: without the background-networking switches Chromium keeps
# reaching for Google's hosts, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # the tests run as root in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(
        reason=f"needs Chromium at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)"
    )
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            if not HAVE_CHROMIUM:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so the page fixture can tell a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def playwright():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio event loop running in this (the test) thread
    # from start to stop, parked in a greenlet while test code runs. Django's ORM sees a
    # running loop and raises SynchronousOnlyOperation on every query a test makes
    # (factories, assertions on rows), although no coroutine ever touches the ORM: the test
    # code is plain synchronous code, and the live server answers in its own thread, which
    # has no loop. So async-unsafe calls are allowed exactly while Playwright runs. Not for
    # the whole run: set at import, the variable leaked into other tests' subprocesses, and
    # `manage.py check --deploy` rightly fails on it (async.E001). Hence package scope too:
    # Playwright stops, and its loop with it, once this folder's tests are done.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as pw:
            yield pw


@pytest.fixture(scope="package")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def site(live_server):
    """The live server's base URL, without a trailing slash."""
    return live_server.url


@pytest.fixture
def new_context(browser, site):
    contexts = []

    def make(**options):
        options = {
            "base_url": site,
            "locale": "en-CA",
            "viewport": {"width": 1280, "height": 900},
            **options,
        }
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        watch_csp(context)
        contexts.append(context)
        return context

    yield make
    violations = [v for context in contexts for v in context.csp_violations]
    for context in contexts:
        context.close()
    if violations:
        pytest.fail(
            "Content-Security-Policy violations:\n" + "\n".join(f"- {v}" for v in violations),
            pytrace=False,
        )


@pytest.fixture
def page(request, new_context):
    page = new_context().new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not page.is_closed():
        screenshot(page, f"FAILED-{request.node.name}")
