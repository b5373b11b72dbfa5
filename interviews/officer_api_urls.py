"""API v1, officers: a centre's day, an enrolment, and each workflow move as its own
POST endpoint (under ``api/v1/``)."""

from django.urls import path

from interviews import officer_api

app_name = "api_officer"

urlpatterns = [
    path("officer/centres/", officer_api.OfficerCentreListView.as_view(), name="centres"),
    path(
        "officer/centres/<id:pk>/appointments/",
        officer_api.OfficerCentreAppointmentsView.as_view(),
        name="centre_appointments",
    ),
    path(
        "officer/appointments/<id:pk>/check-in/",
        officer_api.OfficerCheckInView.as_view(),
        name="check_in",
    ),
    path(
        "officer/appointments/<id:pk>/no-show/",
        officer_api.OfficerNoShowView.as_view(),
        name="no_show",
    ),
    path(
        "officer/enrolments/<id:pk>/",
        officer_api.OfficerEnrolmentDetailView.as_view(),
        name="enrolment",
    ),
    path(
        "officer/enrolments/<id:pk>/outcome/",
        officer_api.OfficerOutcomeView.as_view(),
        name="outcome",
    ),
    path("officer/enrolments/<id:pk>/share/", officer_api.OfficerShareView.as_view(), name="share"),
    path(
        "officer/enrolments/<id:pk>/review/",
        officer_api.OfficerReviewView.as_view(),
        name="review",
    ),
]
