"""Response headers (common/headers.py): a Content-Security-Policy that allows nothing
inline on every page, and ``no-store`` on every response that may carry personal data."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from centres.tests.factories import CentreFactory
from common.headers import content_security_policy
from common.tests.helpers import force_login_verified
from interviews.tests.factories import officer

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def centre():
    return CentreFactory()


@pytest.fixture
def applicant_client(client, applicant):
    client.force_login(applicant.user)
    return client


@pytest.fixture
def officer_client(client, centre):
    force_login_verified(client, officer("cbsa", centre))
    return client


@pytest.fixture
def admin_client(client, programme_admin):
    force_login_verified(client, programme_admin)
    return client


@pytest.fixture
def token_client(applicant):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=applicant.user).key}")
    return api


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


# --- Content-Security-Policy -----------------------------------------------------------


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere():
    policy = content_security_policy()

    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "default-src 'self'; script-src 'self'; style-src 'self';" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in policy and "*" not in policy


@pytest.mark.parametrize(
    ("client_fixture", "url", "status"),
    [
        ("client", "/en/", 200),
        ("client", "/fr/", 200),
        ("client", "centre", 200),
        ("client", "/en/accounts/sign-in/", 200),
        ("applicant_client", "/en/my/", 200),
        ("applicant_client", "/en/accounts/", 200),
        ("officer_client", "/en/officer/", 200),
        ("client", "/en/admin/login/", 302),
        ("admin_client", "/en/admin/", 200),
        ("admin_client", "/en/admin/centres/centre/", 200),
        ("client", "/en/no-such-page/", 404),
        ("client", "/api/docs/", 200),
        ("client", "/api/docs/?script=", 200),
        ("client", "/api/v1/centres/", 200),
    ],
)
def test_each_kind_of_page_carries_the_policy(request, centre, client_fixture, url, status):
    if url == "centre":
        url = reverse("centres:detail", kwargs={"pk": centre.pk})

    response = request.getfixturevalue(client_fixture).get(url)

    assert response.status_code == status
    assert response["Content-Security-Policy"] == content_security_policy()


def test_the_docs_load_their_init_script_from_this_site(client):
    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert '<script src="/api/docs/?script="></script>' in page
    assert "<script>" not in page and "<style" not in page
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in script.content.decode()


def test_debug_error_pages_go_without_the_policy(client, settings):
    # Django's yellow pages style themselves inline; they never reach production.
    settings.DEBUG = True

    assert "Content-Security-Policy" not in client.get("/en/no-such-page/")
    assert "Content-Security-Policy" in client.get("/en/")


# Every page template: no <script> body, no <style>, no style= or on…= attribute, no
# javascript: URL. E-mails are not pages (and need their inline styles).
INLINE = re.compile(
    r"<script\b(?![^>]*\ssrc=)[^>]*>"
    r"|<style\b"
    r"|<[a-z][^>]*\s(?:style|on[a-z]+)\s*="
    r"|javascript:",
    re.IGNORECASE,
)


# Standalone documents meant to be saved or printed as they are, whose view sends a policy
# of its own allowing exactly their inline stylesheet by its SHA-256 (tested with each).
OWN_POLICY = {BASE_DIR / "templates" / "entry_exit" / "traveller_report.html"}


def _page_templates() -> list[Path]:
    roots = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.html")
        if ".venv" not in path.parts
        and "emails" not in path.relative_to(root).parts
        and path not in OWN_POLICY
    )


def test_no_page_template_has_inline_script_style_or_handlers():
    templates = _page_templates()
    found = [
        f"{path.relative_to(BASE_DIR)}: {match.group(0)}"
        for path in templates
        for match in INLINE.finditer(path.read_text(encoding="utf-8"))
    ]

    assert BASE_DIR / "templates" / "base.html" in templates
    assert BASE_DIR / "templates" / "common" / "swagger_ui.html" in templates
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        "<style>p { color: red }</style>",
        '<p class="x" style="color: red">',
        '<button type="button" onclick="go()">',
        "<body\n  onload='go()'>",
        '<a href="javascript:go()">',
    ],
)
def test_the_template_check_finds_each_kind_of_inline_code(snippet):
    assert INLINE.search(snippet)


def test_the_template_check_passes_external_files_and_plain_text():
    clean = (
        '<script src="/static/js/x.js" defer></script><link rel="stylesheet" href="/x.css">'
        "<p>Styles on one page, one=two.</p>"
    )
    assert INLINE.search(clean) is None


# --- Cache-Control: no-store -----------------------------------------------------------


@pytest.mark.parametrize(
    ("client_fixture", "url"),
    [
        ("applicant_client", "/en/my/"),
        ("applicant_client", "/fr/my/"),
        ("applicant_client", "/en/accounts/"),
        ("applicant_client", "/en/accounts/password/"),
        ("officer_client", "/en/officer/"),
        ("officer_client", "/api/v1/officer/centres/"),
        ("admin_client", "/en/admin/"),
        ("token_client", "/api/v1/applications/"),
        ("token_client", "/api/v1/appointments/"),
        ("applicant_client", "/api/v1/applications/"),
        # Signed in, anywhere: the header names the user.
        ("applicant_client", "/en/"),
        ("token_client", "/api/v1/centres/"),
        # The private areas, whoever asks: a sign-in form, a refusal, a redirect.
        ("client", "/en/accounts/sign-in/"),
        ("client", "/en/my/"),
        ("client", "/en/officer/"),
        ("client", "/en/admin/login/"),
        ("client", "/api/v1/applications/"),
    ],
)
def test_personal_responses_are_never_stored(request, client_fixture, url):
    response = request.getfixturevalue(client_fixture).get(url)

    assert response.status_code < 500
    assert _no_store(response), response.get("Cache-Control")
    assert "private" in response["Cache-Control"]


def test_a_bad_token_is_refused_without_being_stored(client):
    response = client.get("/api/v1/centres/", HTTP_AUTHORIZATION="Token nonsense")

    assert response.status_code == 401
    assert _no_store(response)


@pytest.mark.parametrize(
    "url", ["/en/", "/fr/", "centre", "/api/v1/centres/", "/api/docs/", "/health/"]
)
def test_public_answers_to_anonymous_visitors_keep_their_own_caching(client, centre, url):
    if url == "centre":
        url = reverse("centres:detail", kwargs={"pk": centre.pk})

    response = client.get(url)

    assert response.status_code == 200
    assert not _no_store(response), response.get("Cache-Control")


@pytest.mark.parametrize("client_fixture", ["client", "applicant_client", "token_client"])
def test_the_scheduler_api_stays_publicly_cacheable_for_everyone(request, centre, client_fixture):
    # Its answers are the same for everyone, signed in or not.
    response = request.getfixturevalue(client_fixture).get("/schedulerapi/locations/")

    assert response.status_code == 200
    assert not _no_store(response)
    assert "public" in response["Cache-Control"] and "max-age=30" in response["Cache-Control"]
