"""Response headers every view gets (two middlewares): the Content-Security-Policy, and
``no-store`` on anything that may carry personal data."""

import re

from django.conf import settings
from django.utils.cache import add_never_cache_headers

# The areas whose every page is personal or leads to personal data, signed in or not (a
# sign-in form, a reset link's page, the admin's redirect), and the API's non-public part:
# everything under /api/v1/ but the public centres and their open times.
_LANGUAGES = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
PRIVATE_PATHS = re.compile(
    rf"^/(?:(?:{_LANGUAGES})/(?:my|accounts|officer|entry-exit|admin)/|api/v1/(?!centres/))"
)


def content_security_policy() -> str:
    """``CONTENT_SECURITY_POLICY`` (directive → sources) as the header's value."""
    return "; ".join(
        " ".join([directive, *sources])
        for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
    )


class ContentSecurityPolicyMiddleware:
    """``Content-Security-Policy`` from the setting on every response that has none yet.

    On every response, not only HTML: a JSON body or an SVG opened on its own is a
    document too, and the header costs nothing there. With ``DEBUG`` on, Django's own
    error pages (the yellow 404 and 500, the CSRF failure's details) are left without it:
    they style themselves inline, and they never reach production.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and _is_error_page(response):
            return response
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response


def _is_error_page(response) -> bool:
    return response.status_code >= 400 and response.get("Content-Type", "").startswith("text/html")


class PrivateNoStoreMiddleware:
    """``Cache-Control: no-store`` (with ``private``, ``no-cache``, ``max-age=0``) on every
    response that may carry personal data, so neither a shared cache nor the browser's own
    (the back button on a shared computer) keeps it:

    1. every response under the private areas (``PRIVATE_PATHS``), whoever asks;
    2. otherwise, any response to a request that carries credentials (an API token) or a
       signed-in session, unless its view declared it ``public``: the scheduler API's
       answers are the same for everyone and keep their ``public, max-age``.

    DRF authenticates a token inside the view and sets the user on the Django request too,
    but a request can fail before that (a 401 for a bad token), hence the header check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _is_private(request, response):
            add_never_cache_headers(response)
        return response


def _is_private(request, response) -> bool:
    if PRIVATE_PATHS.match(request.path_info):
        return True
    if "public" in _directives(response.get("Cache-Control", "")):
        return False
    if "authorization" in request.headers:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _directives(cache_control: str) -> set[str]:
    return {part.split("=", 1)[0].strip().lower() for part in cache_control.split(",")}
