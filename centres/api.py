"""Public API: the centres and their open interview times. Anyone may read them.

Times are ISO 8601 in the centre's own zone, with its UTC offset
(``2027-03-01T09:00:00-08:00``): what the centre's clock says, and still one instant.
"""

from datetime import date, datetime, time, timedelta
from typing import overload

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from centres.models import Centre, Slot
from centres.selectors import centres_with_soonest_slot
from common.api import PUBLIC_ERRORS, error_responses
from common.inputs import DateSerializerField, QuerySerializer

# The longest date range one slots request may ask for.
MAX_RANGE_DAYS = 31
DEFAULT_RANGE_DAYS = 14


@overload
def local_iso(moment: datetime, centre: Centre) -> str: ...
@overload
def local_iso(moment: datetime | None, centre: Centre) -> str | None: ...
def local_iso(moment: datetime | None, centre: Centre) -> str | None:
    """``moment`` in the centre's zone, ISO 8601 with its offset."""
    return moment.astimezone(centre.tz).isoformat() if moment else None


class CentreSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    full_address = serializers.CharField(read_only=True)
    zone_name = serializers.CharField(read_only=True)
    soonest_open_at = serializers.SerializerMethodField(
        help_text="The soonest open interview time, local with offset; null if none."
    )

    class Meta:
        model = Centre
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "kind_label",
            "country",
            "region",
            "city",
            "full_address",
            "postal_code",
            "phone",
            "time_zone",
            "zone_name",
            "takes_appointments",
            "has_cbsa",
            "has_cbp",
            "soonest_open_at",
        ]

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_soonest_open_at(self, centre: Centre) -> str | None:
        return local_iso(getattr(centre, "soonest_open_at", None), centre)


class CentreFilterSerializer(QuerySerializer):
    kind = serializers.ChoiceField(choices=Centre.Kind.choices, required=False)
    country = serializers.ChoiceField(choices=Centre.Country.choices, required=False)
    region = serializers.RegexField(
        r"^[A-Za-z]{2}$", required=False, help_text="Province or state, e.g. `BC`, `WA`."
    )


class SlotSerializer(serializers.ModelSerializer):
    starts_at = serializers.SerializerMethodField(help_text="Local start, ISO 8601 with offset.")
    ends_at = serializers.SerializerMethodField(help_text="Local end, ISO 8601 with offset.")
    free = serializers.IntegerField(read_only=True, help_text="Booths still free.")

    class Meta:
        model = Slot
        fields = ["id", "starts_at", "ends_at", "free"]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_starts_at(self, slot: Slot) -> str:
        return local_iso(slot.starts_at, slot.centre)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ends_at(self, slot: Slot) -> str:
        return local_iso(slot.ends_at, slot.centre)


class SlotRangeSerializer(QuerySerializer):
    from_date = DateSerializerField(
        required=False, help_text="First local day (default: today at the centre)."
    )
    to_date = DateSerializerField(
        required=False,
        help_text=f"Last local day, inclusive (default: {DEFAULT_RANGE_DAYS} days in all). "
        f"A longer range than {MAX_RANGE_DAYS} days is cut to that; the answer says "
        "which days it covers.",
    )

    def validate(self, data):
        first, last = data.get("from_date"), data.get("to_date")
        if first and last and last < first:
            raise serializers.ValidationError(
                {"to_date": [_("The last day must not be before the first.")]}
            )
        return data


class CentreSlotsSerializer(serializers.Serializer):
    centre = serializers.IntegerField()
    time_zone = serializers.CharField()
    from_date = serializers.DateField()
    to_date = serializers.DateField()
    slots = SlotSerializer(many=True)


_CENTRE_EXAMPLE = {
    "id": 3,
    "name": "Vancouver International Airport",
    "short_name": "YVR",
    "kind": "airport_enrolment",
    "kind_label": "Canadian airport enrolment centre",
    "country": "CA",
    "region": "BC",
    "city": "Richmond",
    "full_address": "3211 Grant McConachie Way, Richmond, BC",
    "postal_code": "V7B 0A4",
    "phone": "",
    "time_zone": "America/Vancouver",
    "zone_name": "Pacific time",
    "takes_appointments": True,
    "has_cbsa": True,
    "has_cbp": False,
    "soonest_open_at": "2027-03-01T09:00:00-08:00",
}


def _active_centre_or_404(pk: int) -> Centre:
    centre = centres_with_soonest_slot().filter(pk=pk).first()
    if centre is None:
        raise Http404
    return centre


class CentreListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="centres_list",
        summary="List centres",
        description="Active enrolment centres, by country, region and name, each with its "
        "soonest open interview time. Public.",
        parameters=[CentreFilterSerializer],
        responses={200: CentreSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        examples=[OpenApiExample("Centres", value=[_CENTRE_EXAMPLE], response_only=True)],
        tags=["centres"],
    )
    def get(self, request):
        filters = CentreFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        kind = filters.validated_data.get("kind")
        centres = centres_with_soonest_slot(
            kinds=[kind] if kind else None,
            country=filters.validated_data.get("country"),
            region=(filters.validated_data.get("region") or "").upper() or None,
        )
        return Response(CentreSerializer(centres, many=True).data)


class CentreDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="centres_retrieve",
        summary="One centre",
        description="An active centre with its soonest open interview time. Public.",
        responses={200: CentreSerializer, **error_responses(*PUBLIC_ERRORS)},
        examples=[OpenApiExample("Centre", value=_CENTRE_EXAMPLE, response_only=True)],
        tags=["centres"],
    )
    def get(self, request, pk: int):
        return Response(CentreSerializer(_active_centre_or_404(pk)).data)


class CentreSlotsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="centres_slots_list",
        summary="Open interview times of a centre",
        description="The centre's open times (a booth still free) that start between the "
        "local days `from_date` and `to_date` inclusive and have not started yet, "
        "soonest first. Times are local to the centre, ISO 8601 with the UTC offset of "
        "that day (it changes across daylight saving). Public.",
        parameters=[SlotRangeSerializer],
        responses={200: CentreSlotsSerializer, **error_responses(*PUBLIC_ERRORS)},
        examples=[
            OpenApiExample(
                "Open times",
                value={
                    "centre": 3,
                    "time_zone": "America/Vancouver",
                    "from_date": "2027-03-01",
                    "to_date": "2027-03-14",
                    "slots": [
                        {
                            "id": 812,
                            "starts_at": "2027-03-01T09:00:00-08:00",
                            "ends_at": "2027-03-01T09:20:00-08:00",
                            "free": 2,
                        }
                    ],
                },
                response_only=True,
            )
        ],
        tags=["centres"],
    )
    def get(self, request, pk: int):
        centre = _active_centre_or_404(pk)
        query = SlotRangeSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        first: date = query.validated_data.get("from_date") or timezone.localdate(now, centre.tz)
        last: date = query.validated_data.get("to_date") or first + timedelta(
            days=DEFAULT_RANGE_DAYS - 1
        )
        last = min(last, first + timedelta(days=MAX_RANGE_DAYS - 1))
        start = datetime.combine(first, time.min, tzinfo=centre.tz)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=centre.tz)
        slots = (
            Slot.objects.open()
            .filter(centre=centre, starts_at__gte=max(start, now), starts_at__lt=end)
            .select_related("centre")
            .order_by("starts_at")
        )
        body = {
            "centre": centre.pk,
            "time_zone": centre.time_zone,
            "from_date": first,
            "to_date": last,
            "slots": slots,
        }
        return Response(CentreSlotsSerializer(body).data)
