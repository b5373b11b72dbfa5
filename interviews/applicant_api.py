"""Applicant API: the signed-in applicant's own applications and where each stands.

Another person's application is simply not found (404), as on the pages.
"""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.models import Appointment
from common.api import APPLICANT_ERRORS, error_responses
from common.shortcuts import found_or_404
from enrolment.models import Application
from enrolment.selectors import own_application
from interviews.standing import application_standing


class StandingSerializer(serializers.Serializer):
    sentence = serializers.CharField(help_text="Where it stands, in one sentence.")
    next_action = serializers.CharField(
        help_text="`book` when the next step is to book an interview, else empty."
    )
    notes = serializers.ListField(child=serializers.CharField())
    appointment = serializers.IntegerField(
        allow_null=True, help_text="The active appointment's id, if any."
    )


class ApplicationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    path_label = serializers.CharField(source="get_path_display", read_only=True)
    standing = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "number",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "path",
            "path_label",
            "submitted_at",
            "standing",
        ]

    @extend_schema_field(StandingSerializer)
    def get_standing(self, application: Application) -> dict:
        standing = application_standing(application, now=self.context.get("now"))
        return {
            "sentence": standing.sentence,
            "next_action": standing.next_action,
            "notes": list(standing.notes),
            "appointment": standing.appointment.pk if standing.appointment else None,
        }


_APPLICATION_EXAMPLE = {
    "number": "NX0000001234",
    "kind": "new",
    "kind_label": "New membership",
    "status": "conditionally_approved",
    "status_label": "Conditionally approved",
    "path": "airport",
    "path_label": "CBSA at a Canadian airport, then CBP at airport preclearance",
    "submitted_at": "2027-01-12T15:04:00Z",
    "standing": {
        "sentence": "Your CBSA interview is on Monday 1 March 2027 at 09:00 at "
        "Vancouver International Airport.",
        "next_action": "",
        "notes": [],
        "appointment": 41,
    },
}


def own_applications(user):
    appointments = Appointment.objects.select_related("slot__centre").order_by("created_at")
    return (
        Application.objects.filter(applicant__user=user, applicant__user__isnull=False)
        .select_related(
            "membership", "interview__cbsa_centre__counterpart", "interview__membership"
        )
        .prefetch_related(Prefetch("appointments", queryset=appointments))
        .order_by("-submitted_at")
    )


class ApplicationListView(APIView):
    @extend_schema(
        operation_id="applications_list",
        summary="My applications",
        description="The signed-in applicant's applications, newest first, each with the "
        "one sentence that says where it stands and what to do next (as on the dashboard).",
        responses={200: ApplicationSerializer(many=True), **error_responses(*APPLICANT_ERRORS)},
        examples=[OpenApiExample("Applications", value=[_APPLICATION_EXAMPLE], response_only=True)],
        tags=["applicant"],
    )
    def get(self, request):
        applications = own_applications(request.user)
        context = {"now": timezone.now()}
        return Response(ApplicationSerializer(applications, many=True, context=context).data)


class ApplicationDetailView(APIView):
    @extend_schema(
        operation_id="applications_retrieve",
        summary="One of my applications",
        description="One of the signed-in applicant's applications, by its number, with "
        "where it stands. Another person's application is not found (404).",
        responses={
            200: ApplicationSerializer,
            **error_responses(*APPLICANT_ERRORS, 404),
        },
        examples=[OpenApiExample("Application", value=_APPLICATION_EXAMPLE, response_only=True)],
        tags=["applicant"],
    )
    def get(self, request, number: str):
        found_or_404(own_application(request.user, number))  # the one ownership check
        application = own_applications(request.user).get(number=number)
        return Response(ApplicationSerializer(application, context={"now": timezone.now()}).data)
