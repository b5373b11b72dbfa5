"""The partner endpoint: ``POST /api/partner/entry-exit/batches/``, one inbound batch per
request, signed by the partner (``entry_exit.partners``; ``docs/entry_exit_exchange.md``).

Not part of API v1 (the applicants' and officers' API, ``/api/v1/``): another client,
another authentication, and a body of many megabytes in JSON Lines, so it has its own
parser bounded by ``ENTRY_EXIT_MAX_BATCH_BYTES`` and never goes through the JSON parser.
Every refusal is the API's one error shape.

1. Throttle per partner (per address for a request that names none).
2. Check the headers, the partner, the timestamp (within ``SIGNATURE_WINDOW_SECONDS``),
   the size, then read the body and check the signature over it.
3. Remember the signature in the database until its window closes: seen again, it is a
   replay (401).
4. Import the batch: 201 with its report; 200 with the first import's report for a batch
   delivered again; 400 (409 for a batch id reused) with the report for a refused batch;
   409 while another delivery of the same batch is being imported.
"""

import hmac
import logging
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import AddressRateThrottle, RequestTooLarge
from entry_exit.models import PartnerSignature
from entry_exit.partners import SIGNATURE_WINDOW_SECONDS, Partner, partner_get, request_signature
from entry_exit.services import inbound_batch_import

logger = logging.getLogger("entry_exit.exchange")

MEDIA_TYPE = "application/x-ndjson"
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_PARTNER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)

REFUSAL_STATUS = {"batch_id_reused": status.HTTP_409_CONFLICT}


class NDJSONParser(parsers.BaseParser):
    """The raw bytes of a JSON Lines body, at most ``ENTRY_EXIT_MAX_BATCH_BYTES`` (413
    beyond); the inbound service reads the lines itself."""

    media_type = MEDIA_TYPE

    # The stubs allow a parser a mapping only; DRF takes whatever it returns as ``data``.
    def parse(self, stream, media_type=None, parser_context=None) -> bytes:  # type: ignore[override]
        limit = settings.ENTRY_EXIT_MAX_BATCH_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge()
        return raw


class SignatureRefused(exceptions.AuthenticationFailed):
    default_detail = _("The request's signature is missing, wrong or not from a known partner.")
    default_code = "signature_invalid"


def _refused(code: str, message) -> SignatureRefused:
    return SignatureRefused(message, code=code)


class PartnerSignatureAuthentication(BaseAuthentication):
    """A request signed by a partner declared in ``ENTRY_EXIT_PARTNERS``: ``request.auth``
    is the ``Partner``. No user: a partner is not an account. A subclass with its own
    ``lookup`` and ``realm`` signs other senders the same way (the carriers' manifests,
    ``entry_exit.manifests.api``)."""

    realm = "entry-exit-partner"

    def lookup(self, name: str) -> Partner | None:
        return partner_get(name)

    def authenticate_header(self, request) -> str:
        return f'Signature realm="{self.realm}"'

    def authenticate(self, request):
        meta = request.META
        partner_id = meta.get("HTTP_X_PARTNER_ID", "")
        stamp = meta.get("HTTP_X_TIMESTAMP", "")
        signature = meta.get("HTTP_X_SIGNATURE", "")
        if not (partner_id and stamp and signature):
            raise _refused(
                "signature_missing",
                _("Sign the request: X-Partner-Id, X-Timestamp and X-Signature."),
            )
        partner = self.lookup(partner_id) if _PARTNER_ID.fullmatch(partner_id) else None
        if partner is None or not _SIGNATURE.fullmatch(signature):
            raise SignatureRefused()
        now = timezone.now()
        if not _TIMESTAMP.fullmatch(stamp) or (
            abs(now.timestamp() - int(stamp)) > SIGNATURE_WINDOW_SECONDS
        ):
            raise _refused(
                "timestamp_out_of_window",
                _("X-Timestamp is not within five minutes of our clock (Unix seconds, UTC)."),
            )
        if _content_length(request) > settings.ENTRY_EXIT_MAX_BATCH_BYTES:
            raise RequestTooLarge()  # before reading any of it
        body = request.data
        if not isinstance(body, bytes):  # no body at all
            body = b""
        expected = request_signature(secret=partner.secret, timestamp=stamp, body=body)
        if not hmac.compare_digest(expected, signature):
            raise SignatureRefused()
        _remember(partner, signature, int(stamp), now)
        return AnonymousUser(), partner


def _content_length(request) -> int:
    try:
        return int(request.headers.get("content-length") or 0)
    except ValueError:
        return 0


def _remember(partner: Partner, signature: str, stamp: int, now: datetime) -> None:
    """Keep the signature until no request with its timestamp would be accepted; refuse it
    if it is kept already (a replay)."""
    PartnerSignature.objects.filter(expires_at__lt=now).delete()
    expires_at = datetime.fromtimestamp(stamp, tz=UTC) + timedelta(
        seconds=SIGNATURE_WINDOW_SECONDS + 1
    )
    try:
        with transaction.atomic():
            PartnerSignature.objects.create(
                partner=partner.name, signature=signature, expires_at=expires_at
            )
    except IntegrityError:
        logger.warning("partner %s: a signed request was replayed, refused", partner.name)
        raise _refused(
            "replayed", _("This signed request was received before: sign each request anew.")
        ) from None


class IsPartner(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Partner)


class PartnerRateThrottle(AddressRateThrottle):
    """Per partner named in the request (per address when it names none)."""

    scope = "entry_exit_partner"

    def get_cache_key(self, request, view):
        partner_id = request.headers.get("x-partner-id", "")
        if partner_id and _PARTNER_ID.fullmatch(partner_id):
            ident = f"partner:{partner_id}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PartnerBatchView(APIView):
    schema = None  # not API v1
    authentication_classes = [PartnerSignatureAuthentication]
    permission_classes = [IsPartner]
    parser_classes = [NDJSONParser]
    throttle_classes = [PartnerRateThrottle]
    http_method_names = ["post"]

    def initial(self, request, *args, **kwargs):
        # Throttled before the signature is checked (which reads the whole body), so an
        # unsigned flood is slowed down as much as a signed one.
        self.check_throttles(request)
        self.throttle_classes = []
        super().initial(request, *args, **kwargs)

    def post(self, request):
        partner: Partner = request.auth
        now = timezone.now()
        result = inbound_batch_import(
            partner=partner,
            body=request.data if isinstance(request.data, bytes) else b"",
            now=now,
            file_name=f"{partner.name}-{now.strftime('%Y%m%dT%H%M%S.%fZ')}.jsonl",
            received_by="partner API",
        )
        report = result.report
        if result.outcome == "refused":
            error = report["row_errors"][0]
            body = {"code": result.code, "message": error["reason"], "fields": {}}
            return Response(
                {**body, "batch": report},
                status=REFUSAL_STATUS.get(result.code, status.HTTP_400_BAD_REQUEST),
            )
        created = result.outcome == "imported"
        return Response(report, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
