"""API v1, applicant: my appointments and earlier-time requests (under ``api/v1/``).

Each transition is its own POST endpoint.
"""

from django.urls import path

from bookings import api

app_name = "api_interviews"

urlpatterns = [
    path("appointments/", api.AppointmentListView.as_view(), name="appointments"),
    path("appointments/book/", api.AppointmentBookView.as_view(), name="book"),
    path(
        "appointments/<id:pk>/reschedule/",
        api.AppointmentRescheduleView.as_view(),
        name="reschedule",
    ),
    path("appointments/<id:pk>/cancel/", api.AppointmentCancelView.as_view(), name="cancel"),
    path("waitlist-requests/", api.WaitlistRequestListView.as_view(), name="waitlist"),
    path(
        "waitlist-requests/<id:pk>/cancel/",
        api.WaitlistRequestCancelView.as_view(),
        name="waitlist_cancel",
    ),
]
