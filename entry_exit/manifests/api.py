"""The carriers' endpoint: ``POST /api/carrier/entry-exit/manifests/``, one PAXLST
interchange per request, signed with the carrier's own secret (``ENTRY_EXIT_CARRIERS``).

The same signature scheme, replay check, size bound and throttling as the partner endpoint
(``entry_exit.partner_api``), with other credentials: a carrier's id and secret are not a
partner's, and a partner's are refused here.

1. Throttle per carrier (per address for a request that names none).
2. Check the signature (``X-Partner-Id`` names the carrier), the timestamp, the size and
   the replay, as for the partner.
3. Import the interchange: 201 with its report; 200 with the first import's report for
   the same file delivered again; 400 with the report for an interchange refused whole
   (409 for a control reference reused with other contents); 409 while another delivery
   of it is being imported.
"""

from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from entry_exit.manifests.carriers import PARTNER_PREFIX, carrier_get
from entry_exit.manifests.services import manifest_interchange_import
from entry_exit.partner_api import (
    IsPartner,
    NDJSONParser,
    PartnerRateThrottle,
    PartnerSignatureAuthentication,
)
from entry_exit.partners import Partner

MEDIA_TYPE = "application/edifact"  # RFC 1767
REFUSAL_STATUS = {"batch_id_reused": status.HTTP_409_CONFLICT}


class EDIFACTParser(NDJSONParser):
    """The raw bytes of an EDIFACT body, at most ``ENTRY_EXIT_MAX_BATCH_BYTES``."""

    media_type = MEDIA_TYPE


class CarrierSignatureAuthentication(PartnerSignatureAuthentication):
    """Signed by a carrier declared in ``ENTRY_EXIT_CARRIERS``: ``request.auth`` is the
    partner the carrier imports as (``Carrier.partner``)."""

    realm = "entry-exit-carrier"

    def lookup(self, name: str) -> Partner | None:
        carrier = carrier_get(name)
        return carrier.partner if carrier else None


class CarrierRateThrottle(PartnerRateThrottle):
    scope = "entry_exit_carrier"


class CarrierManifestView(APIView):
    schema = None  # not API v1
    authentication_classes = [CarrierSignatureAuthentication]
    permission_classes = [IsPartner]
    parser_classes = [EDIFACTParser]
    throttle_classes = [CarrierRateThrottle]
    http_method_names = ["post"]

    def initial(self, request, *args, **kwargs):
        # Throttled before the signature is checked (which reads the whole body).
        self.check_throttles(request)
        self.throttle_classes = []
        super().initial(request, *args, **kwargs)

    def post(self, request):
        partner: Partner = request.auth
        carrier = carrier_get(partner.name.removeprefix(PARTNER_PREFIX))
        assert carrier is not None  # the signature was checked against this carrier
        now = timezone.now()
        result = manifest_interchange_import(
            carrier=carrier,
            body=request.data if isinstance(request.data, bytes) else b"",
            now=now,
            file_name=f"{carrier.name}-{now.strftime('%Y%m%dT%H%M%S.%fZ')}.edi",
            received_by="carrier API",
        )
        report = result.report
        if result.outcome == "refused":
            error = report["errors"][0]
            body = {"code": result.code, "message": error["reason"], "fields": {}}
            return Response(
                {**body, "interchange": report},
                status=REFUSAL_STATUS.get(result.code, status.HTTP_400_BAD_REQUEST),
            )
        created = result.outcome == "imported"
        return Response(report, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
