"""The API docs in a real browser: the browser fixtures of ``tests/browser`` (Debian's
Chromium, never a downloaded one), skipped the same way without it; no frozen clock."""

from pathlib import Path

import pytest

from tests.browser.conftest import (  # noqa: F401 - fixtures, used by name
    CHROMIUM_PATH,
    HAVE_CHROMIUM,
    browser,
    new_context,
    page,
    playwright,
    site,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(
        reason=f"needs Chromium at {CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)"
    )
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            if not HAVE_CHROMIUM:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clock():
    """Real time here: Playwright waits on the clock."""
