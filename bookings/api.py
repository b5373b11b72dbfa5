"""Applicant API: my appointments (book, move, cancel) and my earlier-time requests.

Thin views: validate the input, find the applicant's own object (another person's is a
404, never revealed), call the one service, serialize. The services refuse what the
state forbids with an ``BookingError`` that ``common.api.exception_handler`` turns into
the one error shape (a full slot: 409 ``slot_full``). The API books directly, with no
hold: the booking itself is the one atomic step.
"""

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from bookings.models import Appointment, WaitlistRequest
from bookings.selectors import appointments_visible_to, own_appointment
from bookings.services import appointment_book, appointment_cancel, appointment_reschedule
from bookings.services.waitlist import waitlist_request_cancel, waitlist_request_create
from centres.api import local_iso
from centres.models import Centre, Slot
from common.api import APPLICANT_ERRORS, BookingRateThrottle, error_responses
from common.inputs import MAX_LIST_ITEMS, DateSerializerField, IdReferenceField, IdRelatedField
from common.shortcuts import found_or_404
from enrolment.selectors import own_application

ACTION_ERRORS = (*APPLICANT_ERRORS, 400, 404, 409)


# The mixin goes before APIView, whose method it extends: its base for the type checker,
# none at run time.
if TYPE_CHECKING:
    _APIViewBase = APIView
else:
    _APIViewBase = object


class _ThrottledAction(_APIViewBase):
    """POST actions that take or free a booth: the ``booking`` rate per user too."""

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), BookingRateThrottle()]


# --- Serializers -----------------------------------------------------------------------


class AppointmentCentreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Centre
        fields = ["id", "name", "city", "region", "time_zone"]


class AppointmentSerializer(serializers.ModelSerializer):
    application = serializers.CharField(source="application.number", read_only=True)
    step_label = serializers.CharField(source="get_step_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    centre = AppointmentCentreSerializer(source="slot.centre", read_only=True)
    starts_at = serializers.SerializerMethodField(help_text="Local start, ISO 8601 with offset.")
    ends_at = serializers.SerializerMethodField(help_text="Local end, ISO 8601 with offset.")

    class Meta:
        model = Appointment
        fields = [
            "id",
            "application",
            "step",
            "step_label",
            "status",
            "status_label",
            "slot",
            "centre",
            "starts_at",
            "ends_at",
            "rescheduled_from",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_starts_at(self, appointment: Appointment) -> str:
        return local_iso(appointment.slot.starts_at, appointment.slot.centre)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ends_at(self, appointment: Appointment) -> str:
        return local_iso(appointment.slot.ends_at, appointment.slot.centre)


class BookSerializer(serializers.Serializer):
    application = serializers.CharField(max_length=12, help_text="Your application number.")
    # Not looked up here: the booking reads the slot in its transaction (one query less).
    slot = IdReferenceField(
        queryset=Slot.objects.all(), help_text="An open time's id (centres' `slots`)."
    )


class RescheduleSerializer(serializers.Serializer):
    slot = IdRelatedField(queryset=Slot.objects.all(), help_text="The open time to move to.")


class WaitlistRequestSerializer(serializers.ModelSerializer):
    application = serializers.CharField(source="application.number", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = WaitlistRequest
        fields = [
            "id",
            "application",
            "status",
            "status_label",
            "centres",
            "earliest",
            "latest",
            "mornings",
            "afternoons",
            "evenings",
            "auto_rebook",
            "appointment",
            "created_at",
        ]
        read_only_fields = fields


class WaitlistCreateSerializer(serializers.Serializer):
    application = serializers.CharField(max_length=12, help_text="Your application number.")
    centres = IdRelatedField(
        queryset=Centre.objects.filter(is_active=True),
        many=True,
        allow_empty=False,
        help_text=f"Centres of your interview path where you could go (at most {MAX_LIST_ITEMS}).",
    )
    earliest = DateSerializerField(help_text="First local day you could come.")
    latest = DateSerializerField(help_text="Last local day you could come.")
    mornings = serializers.BooleanField(default=True, help_text="Before noon.")
    afternoons = serializers.BooleanField(default=True, help_text="Noon to 5 p.m.")
    evenings = serializers.BooleanField(default=True, help_text="From 5 p.m.")
    auto_rebook = serializers.BooleanField(
        default=False,
        help_text="Book (or move to) the first fitting time at once instead of holding it "
        "for you to accept.",
    )


_APPOINTMENT_EXAMPLE = {
    "id": 41,
    "application": "NX0000001234",
    "step": "cbsa",
    "step_label": "CBSA interview",
    "status": "booked",
    "status_label": "Booked",
    "slot": 812,
    "centre": {
        "id": 3,
        "name": "Vancouver International Airport",
        "city": "Richmond",
        "region": "BC",
        "time_zone": "America/Vancouver",
    },
    "starts_at": "2027-03-01T09:00:00-08:00",
    "ends_at": "2027-03-01T09:20:00-08:00",
    "rescheduled_from": None,
    "created_at": "2027-02-20T18:31:07Z",
}
_WAITLIST_EXAMPLE = {
    "id": 7,
    "application": "NX0000001234",
    "status": "active",
    "status_label": "Looking for an earlier time",
    "centres": [3],
    "earliest": "2027-02-22",
    "latest": "2027-02-28",
    "mornings": True,
    "afternoons": True,
    "evenings": False,
    "auto_rebook": False,
    "appointment": 41,
    "created_at": "2027-02-20T18:35:00Z",
}


# --- Appointments ----------------------------------------------------------------------


class AppointmentListView(APIView):
    @extend_schema(
        operation_id="appointments_list",
        summary="My appointments",
        description="The signed-in applicant's appointments, newest first, in every status "
        "(booked, checked in, interviewed, missed, cancelled, moved). Times are local to the "
        "centre, with their UTC offset.",
        responses={200: AppointmentSerializer(many=True), **error_responses(*APPLICANT_ERRORS)},
        examples=[OpenApiExample("Appointments", value=[_APPOINTMENT_EXAMPLE], response_only=True)],
        tags=["applicant"],
    )
    def get(self, request):
        appointments = (
            appointments_visible_to(request.user)
            .filter(application__applicant__user=request.user)
            .order_by("-created_at", "-pk")
        )
        return Response(AppointmentSerializer(appointments, many=True).data)


class AppointmentBookView(_ThrottledAction, APIView):
    @extend_schema(
        operation_id="appointments_book",
        summary="Book an interview",
        description="Book the open time `slot` for your application `application`, at "
        "once (no hold). Refused with 409 when the state forbids it: `slot_full`, "
        "`slot_closed`, `already_booked`, `not_approved`, `wrong_path`, `slot_in_past`, "
        "… Another person's application is not found (404).",
        request=BookSerializer,
        responses={201: AppointmentSerializer, **error_responses(*ACTION_ERRORS)},
        examples=[
            OpenApiExample(
                "Book",
                value={"application": "NX0000001234", "slot": 812},
                request_only=True,
            ),
            OpenApiExample("Booked", value=_APPOINTMENT_EXAMPLE, response_only=True),
        ],
        tags=["applicant"],
    )
    def post(self, request):
        data = BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = found_or_404(
            own_application(request.user, data.validated_data["application"])
        )
        slot = data.validated_data["slot"]
        try:
            appointment = appointment_book(application=application, slot=slot, actor=request.user)
        except Slot.DoesNotExist:
            raise IdReferenceField.missing("slot", slot.pk) from None
        # The service's own appointment (its slot, centre and application read in the
        # booking's transaction) answers: no second read.
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


class AppointmentRescheduleView(_ThrottledAction, APIView):
    @extend_schema(
        operation_id="appointments_reschedule",
        summary="Move an appointment",
        description="Move your booked appointment to the open time `slot`. The new time is "
        "taken before the old one is freed: if it is full (409 `slot_full`) the "
        "appointment stays as it was. Answers the new appointment; the old one becomes "
        "`rescheduled`.",
        request=RescheduleSerializer,
        responses={201: AppointmentSerializer, **error_responses(*ACTION_ERRORS)},
        examples=[
            OpenApiExample("Move", value={"slot": 815}, request_only=True),
            OpenApiExample(
                "Moved",
                value={**_APPOINTMENT_EXAMPLE, "id": 42, "slot": 815, "rescheduled_from": 41},
                response_only=True,
            ),
        ],
        tags=["applicant"],
    )
    def post(self, request, pk: int):
        appointment = found_or_404(own_appointment(request.user, pk))
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = appointment_reschedule(
            appointment=appointment, slot=data.validated_data["slot"], actor=request.user
        )
        new = found_or_404(own_appointment(request.user, new.pk))
        return Response(AppointmentSerializer(new).data, status=status.HTTP_201_CREATED)


class AppointmentCancelView(_ThrottledAction, APIView):
    @extend_schema(
        operation_id="appointments_cancel",
        summary="Cancel an appointment",
        description="Cancel your booked appointment and free its time. An appointment no "
        "longer booked (409 `appointment_not_active`) or already started (409 "
        "`appointment_started`) cannot be cancelled.",
        request=None,
        responses={
            200: AppointmentSerializer,
            **error_responses(
                *APPLICANT_ERRORS,
                404,
                409,
                conflict=(
                    "appointment_not_active",
                    "This appointment is no longer active (Cancelled).",
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Cancelled",
                value={**_APPOINTMENT_EXAMPLE, "status": "cancelled", "status_label": "Cancelled"},
                response_only=True,
            )
        ],
        tags=["applicant"],
    )
    def post(self, request, pk: int):
        appointment = found_or_404(own_appointment(request.user, pk))
        appointment = appointment_cancel(appointment=appointment, actor=request.user)
        appointment = found_or_404(own_appointment(request.user, appointment.pk))
        return Response(AppointmentSerializer(appointment).data)


# --- Earlier-time requests (the waitlist) ----------------------------------------------


def _own_waitlist_requests(user):
    return (
        WaitlistRequest.objects.filter(
            application__applicant__user=user, application__applicant__user__isnull=False
        )
        .select_related("application")
        .prefetch_related("centres")
    )


class WaitlistRequestListView(_ThrottledAction, APIView):
    @extend_schema(
        operation_id="waitlist_requests_list",
        summary="My earlier-time requests",
        description="The signed-in applicant's requests for an earlier interview time, "
        "newest first, active or not.",
        responses={
            200: WaitlistRequestSerializer(many=True),
            **error_responses(*APPLICANT_ERRORS),
        },
        examples=[OpenApiExample("Requests", value=[_WAITLIST_EXAMPLE], response_only=True)],
        tags=["applicant"],
    )
    def get(self, request):
        requests = _own_waitlist_requests(request.user).order_by("-created_at", "-pk")
        return Response(WaitlistRequestSerializer(requests, many=True).data)

    @extend_schema(
        operation_id="waitlist_requests_create",
        summary="Ask for an earlier time",
        description="Put your application on the waitlist: when a booth frees up at one "
        "of `centres`, on a local day from `earliest` to `latest`, at a wanted time of "
        "day, it is held for you to accept (or, with `auto_rebook`, booked at once). One "
        "active request per application (409 `waitlist_exists`); a wrong choice is 400 "
        "(`wrong_centre`, `no_time_of_day`, `bad_window`, `window_not_earlier`).",
        request=WaitlistCreateSerializer,
        responses={
            201: WaitlistRequestSerializer,
            **error_responses(
                *ACTION_ERRORS,
                conflict=(
                    "waitlist_exists",
                    "You are already waiting for an earlier time. Stop looking first to change it.",
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Ask",
                value={
                    "application": "NX0000001234",
                    "centres": [3],
                    "earliest": "2027-02-22",
                    "latest": "2027-02-28",
                    "mornings": True,
                    "afternoons": True,
                    "evenings": False,
                    "auto_rebook": False,
                },
                request_only=True,
            ),
            OpenApiExample("Waiting", value=_WAITLIST_EXAMPLE, response_only=True),
        ],
        tags=["applicant"],
    )
    def post(self, request):
        data = WaitlistCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wish = data.validated_data
        application = found_or_404(own_application(request.user, wish["application"]))
        waiting = waitlist_request_create(
            application=application,
            actor=request.user,
            centres=list(wish["centres"]),
            earliest=wish["earliest"],
            latest=wish["latest"],
            mornings=wish["mornings"],
            afternoons=wish["afternoons"],
            evenings=wish["evenings"],
            auto_rebook=wish["auto_rebook"],
            now=timezone.now(),
        )
        waiting = _own_waitlist_requests(request.user).get(pk=waiting.pk)
        return Response(WaitlistRequestSerializer(waiting).data, status=status.HTTP_201_CREATED)


class WaitlistRequestCancelView(_ThrottledAction, APIView):
    @extend_schema(
        operation_id="waitlist_requests_cancel",
        summary="Stop looking for an earlier time",
        description="Cancel your earlier-time request; a time held for you by an offer is "
        "let go too. Cancelling twice changes nothing.",
        request=None,
        responses={
            200: WaitlistRequestSerializer,
            **error_responses(*APPLICANT_ERRORS, 404),
        },
        examples=[
            OpenApiExample(
                "Stopped",
                value={
                    **_WAITLIST_EXAMPLE,
                    "status": "cancelled",
                    "status_label": "Stopped looking",
                },
                response_only=True,
            )
        ],
        tags=["applicant"],
    )
    def post(self, request, pk: int):
        waiting = _own_waitlist_requests(request.user).filter(pk=pk).first()
        if waiting is None:
            raise Http404
        waitlist_request_cancel(waitlist_request=waiting, actor=request.user)
        waiting = _own_waitlist_requests(request.user).get(pk=pk)
        return Response(WaitlistRequestSerializer(waiting).data)
