"""Officer API: a centre's appointments on a day, an enrolment, and the workflow's moves.

The same operations as the officer consoles (``interviews.views``), through the same
scoped selectors and the same service functions, so the same rules hold:

* staff only, through a session that passed the sign-in code step: signed out is 401,
  an unverified staff session (or any staff token) 403, anyone who is not staff 404 — as
  the console pages answer a signed-in applicant;
* an object outside the officer's scope (another centre's, another agency's not yet
  shared) is 404, never revealed;
* the services refuse what the workflow forbids: an illegal move is 409 with the
  service's code, the other agency's move 403 (``wrong_agency``), bad input 400 — all in
  the one error shape of ``common.api``.
"""

from datetime import date

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.models import Appointment
from bookings.selectors import appointments_visible_to
from centres.models import Centre
from centres.selectors import centres_of_staff
from common.api import IsAuthenticatedVerified, error_responses
from common.permissions import is_staff_member
from interviews.models import Interview
from interviews.officer_serializers import (
    _APPOINTMENT_EXAMPLE,
    _CENTRE_EXAMPLE,
    _ENROLMENT_EXAMPLE,
    CentreDaySerializer,
    DayQuerySerializer,
    OfficerAppointmentSerializer,
    OfficerCentreSerializer,
    OfficerEnrolmentSerializer,
    OutcomeSerializer,
    ReviewSerializer,
)
from interviews.selectors import appointments_for_centre_day, enrolment_get_visible
from interviews.services import (
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    interview_record_outcome,
    review_decide,
)

READ_ERRORS = (401, 403, 404, 429)
ACTION_ERRORS = (401, 403, 404, 409, 429)
INPUT_ACTION_ERRORS = (400, *ACTION_ERRORS)


class IsStaffMember(BasePermission):
    """After ``IsAuthenticatedVerified``: anyone not staff gets a plain 404, as on the
    console pages (``common.permissions.staff_verified_required``)."""

    def has_permission(self, request, view) -> bool:
        if not is_staff_member(request.user):
            raise exceptions.NotFound()
        return True


class OfficerView(APIView):
    permission_classes = [IsAuthenticatedVerified, IsStaffMember]


def _centre_or_404(user, pk: int) -> Centre:
    centre = centres_of_staff(user).filter(pk=pk).first()
    if centre is None:
        raise Http404
    return centre


def _appointment_or_404(user, pk: int) -> Appointment:
    appointment = appointments_visible_to(user).filter(pk=pk).first()
    if appointment is None:
        raise Http404
    return appointment


def _enrolment_or_404(user, pk: int) -> Interview:
    enrolment = enrolment_get_visible(user=user, pk=pk)
    if enrolment is None:
        raise Http404
    return enrolment


def _appointment_row(pk: int) -> Appointment:
    """An appointment as the day list shows it, read again after a move."""
    return Appointment.objects.select_related(
        "slot__centre", "application__applicant__user", "application__interview"
    ).get(pk=pk)


def _enrolment_after(pk: int) -> Interview:
    """The enrolment after a move the service allowed (scope was checked by the service,
    under the lock; the answer shows what the officer just did)."""
    return Interview.objects.select_related(
        "application__applicant__user", "cbsa_centre", "membership"
    ).get(pk=pk)


# --- Serializers -----------------------------------------------------------------------


# Choice fields are plain strings here (values in the help text): the same choice sets
# already have enum components, and a second name for one breaks ``--fail-on-warn``.
_NOT_STAFF = (
    " Staff only, through a session that passed the sign-in code step (an unverified "
    "session or a token: 403); anyone else is not found (404)."
)


# --- Reads -----------------------------------------------------------------------------


class OfficerCentreListView(OfficerView):
    @extend_schema(
        operation_id="officer_centres_list",
        summary="My centres",
        description="The centres the signed-in officer works at (every active centre for a "
        "programme administrator), by name." + _NOT_STAFF,
        responses={200: OfficerCentreSerializer(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("Centres", value=[_CENTRE_EXAMPLE], response_only=True)],
        tags=["officer"],
    )
    def get(self, request):
        centres = centres_of_staff(request.user).order_by("name", "pk")
        return Response(OfficerCentreSerializer(centres, many=True).data)


class OfficerCentreAppointmentsView(OfficerView):
    @extend_schema(
        operation_id="officer_centre_appointments_list",
        summary="A centre's appointments on a day",
        description="The appointments (booked, checked in, interviewed or missed) at one of "
        "your centres that start on the centre's local `day` (default: today there), "
        "earliest first, each with the applicant, the application number and where the "
        "enrolment stands. Times are local to the centre with their UTC offset. A centre "
        "you do not work at is not found (404)." + _NOT_STAFF,
        parameters=[DayQuerySerializer],
        responses={200: CentreDaySerializer, **error_responses(400, *READ_ERRORS)},
        examples=[
            OpenApiExample(
                "Day list",
                value={
                    "centre": 3,
                    "time_zone": "America/Vancouver",
                    "day": "2027-03-01",
                    "appointments": [_APPOINTMENT_EXAMPLE],
                },
                response_only=True,
            )
        ],
        tags=["officer"],
    )
    def get(self, request, pk: int):
        centre = _centre_or_404(request.user, pk)
        query = DayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day: date = query.validated_data.get("day") or timezone.localdate(timezone=centre.tz)
        body = {
            "centre": centre.pk,
            "time_zone": centre.time_zone,
            "day": day,
            "appointments": appointments_for_centre_day(centre=centre, day=day).select_related(
                "slot__centre"
            ),
        }
        return Response(CentreDaySerializer(body).data)


class OfficerEnrolmentDetailView(OfficerView):
    @extend_schema(
        operation_id="officer_enrolments_retrieve",
        summary="One enrolment",
        description="An enrolment you have business with: where it stands, its interview "
        "path, its appointments and its history (every move: from, to, who, which agency, "
        "where, notes, when). One you may not see — another centre's, or for CBP one the "
        "CBSA side has not shared yet — is not found (404)." + _NOT_STAFF,
        responses={200: OfficerEnrolmentSerializer, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("Enrolment", value=_ENROLMENT_EXAMPLE, response_only=True)],
        tags=["officer"],
    )
    def get(self, request, pk: int):
        enrolment = _enrolment_or_404(request.user, pk)
        return Response(OfficerEnrolmentSerializer(enrolment).data)


# --- Moves -----------------------------------------------------------------------------


class OfficerCheckInView(OfficerView):
    @extend_schema(
        operation_id="officer_appointments_check_in",
        summary="Check an applicant in",
        description="Check the applicant in at their appointment at one of your centres, "
        "on its local day (CBSA officers for CBSA interviews; either agency at a joint "
        "one: else 403 `wrong_agency`). Refused with 409 when the appointment is not "
        "booked (`appointment_not_booked`) or not today (`not_appointment_day`)." + _NOT_STAFF,
        request=None,
        responses={
            200: OfficerAppointmentSerializer,
            **error_responses(
                *ACTION_ERRORS,
                conflict=(
                    "appointment_not_booked",
                    "This appointment cannot be checked in: it is cancelled.",
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Checked in",
                value={
                    **_APPOINTMENT_EXAMPLE,
                    "status": "checked_in",
                    "status_label": "Checked in",
                },
                response_only=True,
            )
        ],
        tags=["officer"],
    )
    def post(self, request, pk: int):
        appointment = _appointment_or_404(request.user, pk)
        appointment_check_in(appointment=appointment, officer=request.user)
        return Response(OfficerAppointmentSerializer(_appointment_row(appointment.pk)).data)


class OfficerNoShowView(OfficerView):
    @extend_schema(
        operation_id="officer_appointments_no_show",
        summary="Record a missed appointment",
        description="Record that the applicant did not come to their booked appointment "
        "whose time has come (else 409 `appointment_not_missed`); the enrolment moves to "
        "`no_show` and the applicant may book again. Written to the enrolment's history."
        + _NOT_STAFF,
        request=None,
        responses={
            200: OfficerAppointmentSerializer,
            **error_responses(
                *ACTION_ERRORS,
                conflict=(
                    "appointment_not_missed",
                    "Only a booked appointment whose time has come can be marked as missed.",
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Missed",
                value={
                    **_APPOINTMENT_EXAMPLE,
                    "status": "no_show",
                    "status_label": "Missed",
                    "enrolment_state": "no_show",
                },
                response_only=True,
            )
        ],
        tags=["officer"],
    )
    def post(self, request, pk: int):
        appointment = _appointment_or_404(request.user, pk)
        appointment_record_no_show(appointment=appointment, officer=request.user)
        return Response(OfficerAppointmentSerializer(_appointment_row(appointment.pk)).data)


class OfficerOutcomeView(OfficerView):
    @extend_schema(
        operation_id="officer_enrolments_outcome",
        summary="Record an interview outcome",
        description="Record your agency's outcome: `pass`, `refuse` or `refer` (for further "
        "review). A CBSA outcome, and a CBP outcome of a joint interview, is recorded on "
        "the checked-in appointment (409 `not_checked_in` before check-in). A CBP outcome "
        "off appointment needs `centre`: a preclearance area you work at for the airport "
        "path, the split site's US counterpart for the split-site path — and only after "
        "the CBSA side shared its part (409 `not_shared`). Any other illegal move is 409 "
        "`illegal_transition`; a centre not yours is 400 (`centre`) or 403 "
        "(`not_your_centre`). Completing the enrolment issues or renews the membership. "
        "Answers the enrolment, history included." + _NOT_STAFF,
        request=OutcomeSerializer,
        responses={
            200: OfficerEnrolmentSerializer,
            **error_responses(
                *INPUT_ACTION_ERRORS,
                conflict=("not_checked_in", "Check the applicant in at their appointment first."),
            ),
        },
        examples=[
            OpenApiExample(
                "Pass",
                value={"outcome": "pass", "centre": None, "notes": "Documents in order."},
                request_only=True,
            ),
            OpenApiExample(
                "CBP pass at preclearance",
                value={"outcome": "pass", "centre": 8, "notes": ""},
                request_only=True,
            ),
            OpenApiExample("Recorded", value=_ENROLMENT_EXAMPLE, response_only=True),
        ],
        tags=["officer"],
    )
    def post(self, request, pk: int):
        enrolment = _enrolment_or_404(request.user, pk)
        data = OutcomeSerializer(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        interview_record_outcome(
            application=enrolment.application,
            officer=request.user,
            outcome=data.validated_data["outcome"],
            centre=data.validated_data.get("centre"),
            notes=data.validated_data["notes"],
        )
        return Response(OfficerEnrolmentSerializer(_enrolment_after(enrolment.pk)).data)


class OfficerShareView(OfficerView):
    @extend_schema(
        operation_id="officer_enrolments_share",
        summary="Share the CBSA part with CBP",
        description="The CBSA side shares its interview information with CBP (airport and "
        "split-site paths, once the CBSA part passed): an explicit act, recorded in the "
        "history with who, when and which fields; CBP can then find and complete the "
        "enrolment. Only a CBSA officer of the centre where the CBSA part passed (else "
        "403 `wrong_agency` / `not_your_centre`); in any other state 409 "
        "`illegal_transition`." + _NOT_STAFF,
        request=None,
        responses={
            200: OfficerEnrolmentSerializer,
            **error_responses(
                *ACTION_ERRORS,
                conflict=(
                    "illegal_transition",
                    "This cannot be done now: the enrolment is at “Awaiting interview”.",
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Shared",
                value={
                    **_ENROLMENT_EXAMPLE,
                    "state": "shared_with_cbp",
                    "state_label": "CBSA part shared with CBP",
                    "shared_at": "2027-03-01T17:30:00Z",
                },
                response_only=True,
            )
        ],
        tags=["officer"],
    )
    def post(self, request, pk: int):
        enrolment = _enrolment_or_404(request.user, pk)
        cbsa_share_with_cbp(application=enrolment.application, officer=request.user)
        return Response(OfficerEnrolmentSerializer(_enrolment_after(enrolment.pk)).data)


class OfficerReviewView(OfficerView):
    @extend_schema(
        operation_id="officer_enrolments_review",
        summary="Decide a referral",
        description="The referring agency's decision on an enrolment under review: `clear` "
        "(its pass: the enrolment resumes, or completes) or `refuse`. Only the agency "
        "that referred decides (else 403 `wrong_agency`); an enrolment not under review "
        "is 409 `illegal_transition`." + _NOT_STAFF,
        request=ReviewSerializer,
        responses={
            200: OfficerEnrolmentSerializer,
            **error_responses(
                *INPUT_ACTION_ERRORS,
                conflict=(
                    "illegal_transition",
                    "This cannot be done now: the enrolment is at “CBSA part passed”.",
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Clear",
                value={"decision": "clear", "notes": "Checks complete."},
                request_only=True,
            ),
            OpenApiExample("Decided", value=_ENROLMENT_EXAMPLE, response_only=True),
        ],
        tags=["officer"],
    )
    def post(self, request, pk: int):
        enrolment = _enrolment_or_404(request.user, pk)
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review_decide(
            application=enrolment.application,
            officer=request.user,
            clear=data.validated_data["decision"] == "clear",
            notes=data.validated_data["notes"],
        )
        return Response(OfficerEnrolmentSerializer(_enrolment_after(enrolment.pk)).data)
