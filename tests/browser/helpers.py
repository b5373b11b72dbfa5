"""Helpers for the browser tests: signing staff in, axe-core checks, screenshots, and CSP
violations."""

import re
from importlib import resources
from pathlib import Path

import pytest
from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

# axe-core's JavaScript, from the PyPI package axe-playwright-python (its axe.min.js; 0.1.8
# bundles axe-core 4.12.1). We only take the file: the run and its report are ours.
AXE_SOURCE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def wait_for_paint(page) -> None:
    """Wait until the page has rendered twice: by then Chromium has run ``autofocus`` and
    the like, so a key pressed next lands where a person's would, not in a race with load."""
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG as ``var/screenshots/<name>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_csp(context) -> list[str]:
    """Record every Content-Security-Policy violation Chromium reports in ``context``.

    Returns the list it fills (also ``context.csp_violations``): Chromium logs each refused
    script, style or request to the console ("Refused to … because it violates the
    following Content Security Policy directive …"), and Playwright passes the console on.
    """
    violations: list[str] = []

    def record(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", record)
    context.csp_violations = violations
    return violations


def axe_check(page, label: str) -> dict:
    """Run axe-core's WCAG 2.0/2.1 A and AA rules on the page; fail listing every violation.

    ``label`` names the page in the failure message. Returns axe's full results otherwise.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluate() goes through the DevTools protocol: no <script> tag, so no CSP applies.
        page.evaluate(AXE_SOURCE)
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations = results["violations"]
    if violations:
        lines = [
            f"axe-core {results['testEngine']['version']}: {len(violations)} violation(s)"
            f" on {label} ({page.url}):"
        ]
        for v in violations:
            lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
            for node in v["nodes"]:
                # One selector per frame; a list inside is a path through shadow roots.
                target = " / ".join(
                    t if isinstance(t, str) else " >>> ".join(t) for t in node["target"]
                )
                lines.append(f"    {target}")
                if node.get("failureSummary"):
                    summary = node["failureSummary"].replace("\n", " ").strip()
                    lines.append(f"      {summary}")
        pytest.fail("\n".join(lines), pytrace=False)
    return results


def signed_in(context, site: str, user) -> None:
    """Give the browser ``context`` a session of ``user`` that passed the code step (as a
    staff member's does after sign-in)."""
    from django.test import Client

    from common.tests.helpers import force_login_verified

    client = Client()
    force_login_verified(client, user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )
