"""What every API view shares: one JSON error shape for every 4xx, who may call, the
throttles, and the error responses the schema documents.

``{"code": "...", "message": "...", "fields": {"field": ["message", ...]}}``
"""

import codecs
import json
import logging
import math
import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import exceptions, parsers, serializers, status, throttling
from rest_framework import views as drf_views
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings

from common.errors import STATUS_FOR_KIND, ApplicationError
from common.permissions import is_verified, needs_second_factor
from common.ratelimit import client_ip

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": str(exc.message), "fields": {}}
        return Response(body, status=STATUS_FOR_KIND[exc.kind])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # ``drf_views`` is read here, not at import: DRF imports this module (the default
    # permission class) while ``rest_framework.views`` is still being imported.
    response = drf_views.exception_handler(exc, context)
    if response is None:
        return None
    fields: dict = {}
    message = ""
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(response.data, dict):
            for name, errors in response.data.items():
                items = errors if isinstance(errors, list) else [errors]
                if name == "non_field_errors":
                    message = " ".join(str(e) for e in items)
                else:
                    fields[name] = [str(e) for e in items]
        elif isinstance(response.data, list):  # raised without a field
            message = " ".join(str(e) for e in response.data)
        message = message or str(exceptions.ValidationError.default_detail)
        code = "invalid"
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        message = str(detail)
        code = getattr(detail, "code", code)
    response.data = {"code": code, "message": message, "fields": fields}
    return response


# --- Request bodies: bounded in size and depth, finite numbers only ---------------------


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


_JSON_SPECIAL = re.compile(r'[\[\]{}"\\]')


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text``, strings skipped, in one linear pass
    over the characters that matter: checked before parsing, which recurses per level."""
    depth = deepest = 0
    in_string = False
    skip = -1  # the position of a character escaped by a backslash
    for match in _JSON_SPECIAL.finditer(text):
        char, at = match[0], match.start()
        if at == skip:
            continue
        if in_string:
            if char == "\\":
                skip = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _no_constant(text: str):
    raise ValueError(f"{text} is not valid JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise ValueError("a number too large")
    return number


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with limits a client cannot exceed: at most
    ``API_MAX_BODY_BYTES`` read (413 beyond), nesting at most ``API_MAX_JSON_DEPTH``
    deep, and no ``NaN``, ``Infinity`` or number too large for a float (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            if json_depth(text) > settings.API_MAX_JSON_DEPTH:
                raise exceptions.ParseError(
                    _("JSON nested more than %(depth)d levels deep is not accepted.")
                    % {"depth": settings.API_MAX_JSON_DEPTH}
                )
            return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(
                _("JSON parse error: %(error)s") % {"error": error}
            ) from None


# --- Who may call the API -----------------------------------------------------------


class IsAuthenticatedVerified(BasePermission):
    """Signed in; and, for anyone who needs a second factor (staff, admins), through a
    session that passed the code step.

    A token never counts as verified: tokens are for applicants, so a staff account's
    token is refused (403) like an unverified staff session. ``is_verified`` fails closed
    for a token-authenticated user (no ``OTPMiddleware`` wrapper), and the explicit check
    on ``request.auth`` keeps it so if that ever changes.
    """

    code = "not_verified"  # with DRF's own (translated) message

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            raise exceptions.NotAuthenticated()
        if not needs_second_factor(user):
            return True
        return request.auth is None and is_verified(user)


# --- Throttles: fail open, logged, when the cache is unreachable ----------------------


# The mixin goes before one of DRF's rate throttles, whose methods it replaces or extends:
# its base for the type checker, none at run time.
if TYPE_CHECKING:
    _ThrottleBase = throttling.SimpleRateThrottle
else:
    _ThrottleBase = object


class _FailOpen(_ThrottleBase):
    """Read the rate when asked (so test settings apply), count per client address as
    the sign-in limits do (``REMOTE_ADDR``), and let requests through, logged, when the
    cache is down: the API keeps working through a Redis outage like the pages do."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.")
        return rates[self.scope]

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:
            logger.warning("API throttle %s not applied, cache unavailable: %s", self.scope, error)
            return True


class AnonRateThrottle(_FailOpen, throttling.AnonRateThrottle):
    """Signed out: per address."""


class UserRateThrottle(_FailOpen, throttling.UserRateThrottle):
    """Signed in: per user (signed out: per address, as ``anon``)."""


class AddressRateThrottle(_FailOpen, throttling.SimpleRateThrottle):
    """Per address whoever is signed in: many accounts or tokens from one place."""

    scope = "address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BookingRateThrottle(_FailOpen, throttling.SimpleRateThrottle):
    """The actions that take or free a booth, per user."""

    scope = "booking"

    def get_cache_key(self, request, view):
        if request.method != "POST":
            return None
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


# --- The error shape, for the schema ---------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `slot_full`, `not_found`.")
    message = serializers.CharField(help_text="For people, in the request's language.")
    # A field named "fields": DRF's metaclass takes declared fields out of the class, so it
    # does not replace Serializer.fields, which the stubs cannot know.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per input field, its messages (only for `invalid`).",
    )


_ERROR_EXAMPLES = {
    400: ("invalid", "Invalid input.", {"slot": ['Invalid pk "0" - object does not exist.']}),
    401: ("not_authenticated", "Authentication credentials were not provided.", {}),
    403: ("not_verified", "You do not have permission to perform this action.", {}),
    404: ("not_found", "Not found.", {}),
    409: ("slot_full", "This time has just been taken; please choose another.", {}),
    429: ("throttled", "Request was throttled. Expected available in 30 seconds.", {}),
}
_ERROR_DESCRIPTIONS = {
    400: "The input is wrong: `fields` says which.",
    401: "Not signed in (session or `Authorization: Token …`).",
    403: "Signed in, but not allowed: e.g. staff without the sign-in code step.",
    404: "No such object, or not yours (never revealed which).",
    409: "Valid, but the current state forbids it (e.g. `slot_full`, `already_booked`).",
    429: "Too many requests: wait `Retry-After` seconds.",
}


def error_responses(*statuses: int, conflict: tuple[str, str] | None = None) -> dict:
    """Schema responses for these error statuses, each the one error shape; ``conflict``
    is the 409 example's ``(code, message)`` when ``slot_full`` is not the likely one."""
    responses = {}
    for status_code in statuses:
        code, message, fields = _ERROR_EXAMPLES[status_code]
        if status_code == 409 and conflict:
            code, message = conflict
        responses[status_code] = OpenApiResponse(
            ErrorSerializer,
            description=_ERROR_DESCRIPTIONS[status_code],
            examples=[
                OpenApiExample(
                    code,
                    value={"code": code, "message": message, "fields": fields},
                    status_codes=[status_code],
                    response_only=True,
                )
            ],
        )
    return responses


PUBLIC_ERRORS = (400, 404, 429)
APPLICANT_ERRORS = (401, 403, 429)


def api_v1_endpoints(endpoints):
    """drf-spectacular preprocessing hook: the schema documents ``/api/v1/`` only (other
    DRF views, e.g. the TTP-compatible ``/schedulerapi/``, are not this API)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
