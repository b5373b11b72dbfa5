"""What the officer API reads and answers: its serializers and their schema examples
(the views are in ``interviews/officer_api.py``)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from bookings.models import Appointment
from centres.api import local_iso
from centres.models import Centre
from centres.selectors import centres_of_staff
from common.actors import Actor
from common.inputs import DateSerializerField, IdRelatedField, QuerySerializer
from interviews.models import EnrolmentEvent, Interview
from interviews.selectors import enrolment_timeline
from interviews.services.workflow import OUTCOMES


def _choice(help_text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text=help_text, **kwargs)


class OfficerCentreSerializer(serializers.ModelSerializer):
    kind = _choice("`airport_enrolment`, `preclearance`, `land_border` or `split_site`.")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

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
            "time_zone",
            "takes_appointments",
            "has_cbsa",
            "has_cbp",
        ]


class OfficerAppointmentSerializer(serializers.ModelSerializer):
    application = serializers.CharField(source="application.number", read_only=True)
    applicant_name = serializers.CharField(source="application.applicant.full_name", read_only=True)
    step = _choice("`cbsa` or `joint`.")
    step_label = serializers.CharField(source="get_step_display", read_only=True)
    status = _choice("`booked`, `checked_in`, `attended`, `no_show`, `cancelled`, `rescheduled`.")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    centre = serializers.IntegerField(source="slot.centre_id", read_only=True)
    starts_at = serializers.SerializerMethodField(help_text="Local start, ISO 8601 with offset.")
    ends_at = serializers.SerializerMethodField(help_text="Local end, ISO 8601 with offset.")
    enrolment = serializers.SerializerMethodField(help_text="The enrolment's id, if any.")
    enrolment_state = serializers.SerializerMethodField(
        help_text="Where the enrolment stands (`awaiting_interview`, `cbsa_passed`, …)."
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "application",
            "applicant_name",
            "step",
            "step_label",
            "status",
            "status_label",
            "centre",
            "starts_at",
            "ends_at",
            "enrolment",
            "enrolment_state",
        ]

    @staticmethod
    def _enrolment(appointment: Appointment) -> Interview | None:
        try:
            return appointment.application.interview
        except Interview.DoesNotExist:
            return None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_starts_at(self, appointment: Appointment) -> str:
        return local_iso(appointment.slot.starts_at, appointment.slot.centre)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_ends_at(self, appointment: Appointment) -> str:
        return local_iso(appointment.slot.ends_at, appointment.slot.centre)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_enrolment(self, appointment: Appointment) -> int | None:
        enrolment = self._enrolment(appointment)
        return enrolment.pk if enrolment else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_enrolment_state(self, appointment: Appointment) -> str | None:
        enrolment = self._enrolment(appointment)
        return enrolment.state if enrolment else None


class DayQuerySerializer(QuerySerializer):
    day = DateSerializerField(
        required=False, help_text="The centre's local day, YYYY-MM-DD (default: today there)."
    )


class CentreDaySerializer(serializers.Serializer):
    centre = serializers.IntegerField()
    time_zone = serializers.CharField()
    day = serializers.DateField()
    appointments = OfficerAppointmentSerializer(many=True)


class OfficerEventSerializer(serializers.ModelSerializer):
    from_state = _choice("The enrolment's state before the move.")
    to_state = _choice("The enrolment's state after the move.")
    agency = _choice("`cbsa`, `cbp`, or empty (the system).")
    actor = serializers.SerializerMethodField(help_text="Who made the move; null: the system.")
    centre_name = serializers.CharField(
        source="centre.name", read_only=True, default=None, allow_null=True
    )
    notes = serializers.CharField(source="reason", read_only=True)

    class Meta:
        model = EnrolmentEvent
        fields = [
            "id",
            "action",
            "from_state",
            "to_state",
            "agency",
            "actor",
            "centre",
            "centre_name",
            "appointment",
            "notes",
            "details",
            "created_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: EnrolmentEvent) -> str | None:
        if event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.get_username()


class OfficerEnrolmentSerializer(serializers.ModelSerializer):
    application = serializers.CharField(source="application.number", read_only=True)
    applicant_name = serializers.CharField(source="application.applicant.full_name", read_only=True)
    date_of_birth = serializers.DateField(
        source="application.applicant.date_of_birth", read_only=True
    )
    kind = _choice("`new` or `renewal`.", source="application.kind")
    path = _choice("`airport`, `joint` or `split_site`.", source="application.path")
    path_label = serializers.CharField(source="application.get_path_display", read_only=True)
    state = _choice(
        "`awaiting_interview`, `cbsa_passed`, `shared_with_cbp`, `cbp_passed`, "
        "`under_review`, `no_show`, `refused`, `expired` or `enrolled`."
    )
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    review_agency = _choice("While under review, the referring agency: `cbsa` or `cbp`.")
    membership = serializers.CharField(
        source="membership.number",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="The membership (PASSID) number once enrolled, else null.",
    )
    appointments = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = [
            "id",
            "application",
            "applicant_name",
            "date_of_birth",
            "kind",
            "path",
            "path_label",
            "state",
            "state_label",
            "cbsa_centre",
            "review_agency",
            "shared_at",
            "completed_at",
            "membership",
            "appointments",
            "history",
        ]

    @extend_schema_field(OfficerAppointmentSerializer(many=True))
    def get_appointments(self, enrolment: Interview) -> list[dict[str, Any]]:
        appointments = enrolment.application.appointments.select_related(
            "slot__centre", "application__applicant__user", "application__interview"
        ).order_by("slot__starts_at", "pk")
        # The stubs type ``data`` as a serializer's ReturnDict, not the ReturnList of many=True.
        return OfficerAppointmentSerializer(appointments, many=True).data  # type: ignore[return-value]

    @extend_schema_field(OfficerEventSerializer(many=True))
    def get_history(self, enrolment: Interview) -> list[dict[str, Any]]:
        history = OfficerEventSerializer(enrolment_timeline(enrolment=enrolment), many=True)
        # The stubs type ``data`` as a serializer's ReturnDict, not the ReturnList of many=True.
        return history.data  # type: ignore[return-value]


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=list(OUTCOMES), help_text="The acting officer's agency's outcome."
    )
    centre = IdRelatedField(
        queryset=Centre.objects.none(),
        required=False,
        allow_null=True,
        help_text="Where the interview took place: one of your centres. Needed for a walk-in "
        "CBP interview at a preclearance area; otherwise the appointment's centre.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def __init__(self, *args: Any, user: Actor = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:
            centre = self.fields["centre"]
            assert isinstance(centre, IdRelatedField)  # declared above
            # django-stubs reads an attribute typed ``QuerySet | Manager`` as the manager's
            # descriptor on assignment (typeddjango/django-stubs#3666).
            centre.queryset = centres_of_staff(user)  # type: ignore[arg-type]


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["clear", "refuse"], help_text="`clear`: the referring agency's pass."
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


# --- Examples --------------------------------------------------------------------------

_CENTRE_EXAMPLE = {
    "id": 3,
    "name": "Vancouver International Airport",
    "short_name": "YVR",
    "kind": "airport_enrolment",
    "kind_label": "Canadian airport enrolment centre",
    "country": "CA",
    "region": "BC",
    "city": "Richmond",
    "time_zone": "America/Vancouver",
    "takes_appointments": True,
    "has_cbsa": True,
    "has_cbp": False,
}
_APPOINTMENT_EXAMPLE = {
    "id": 41,
    "application": "NX0000001234",
    "applicant_name": "Marie Tremblay",
    "step": "cbsa",
    "step_label": "CBSA interview",
    "status": "booked",
    "status_label": "Booked",
    "centre": 3,
    "starts_at": "2027-03-01T09:00:00-08:00",
    "ends_at": "2027-03-01T09:20:00-08:00",
    "enrolment": 17,
    "enrolment_state": "awaiting_interview",
}
_ENROLMENT_EXAMPLE = {
    "id": 17,
    "application": "NX0000001234",
    "applicant_name": "Marie Tremblay",
    "date_of_birth": "1985-06-15",
    "kind": "new",
    "path": "airport",
    "path_label": "CBSA at a Canadian airport, then CBP at airport preclearance",
    "state": "cbsa_passed",
    "state_label": "CBSA part passed",
    "cbsa_centre": 3,
    "review_agency": "",
    "shared_at": None,
    "completed_at": None,
    "membership": None,
    "appointments": [{**_APPOINTMENT_EXAMPLE, "status": "attended", "status_label": "Interviewed"}],
    "history": [
        {
            "id": 90,
            "action": "cbsa_pass",
            "from_state": "awaiting_interview",
            "to_state": "cbsa_passed",
            "agency": "cbsa",
            "actor": "Jean Officer",
            "centre": 3,
            "centre_name": "Vancouver International Airport",
            "appointment": 41,
            "notes": "Documents in order.",
            "details": {"outcome": "pass"},
            "created_at": "2027-03-01T17:25:00Z",
        }
    ],
}
