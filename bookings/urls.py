"""The applicant's booking pages, under ``/<lang>/my/`` beside the dashboard."""

from django.urls import path

from bookings import views, waitlist_views

app_name = "booking"
urlpatterns = [
    path("applications/<number:number>/book/", views.choose_centre, name="centres"),
    path("applications/<number:number>/book/<id:centre_pk>/", views.choose_time, name="time"),
    path("applications/<number:number>/hold/", views.hold, name="hold"),
    path("appointments/<id:pk>/", views.appointment_detail, name="appointment"),
    path("appointments/<id:pk>/print/", views.appointment_print, name="print"),
    path("appointments/<id:pk>/cancel/", views.appointment_cancel_view, name="cancel"),
    path("appointments/<id:pk>/calendar.ics", views.appointment_ics, name="calendar"),
    path(
        "applications/<number:number>/earlier-time/", waitlist_views.waitlist_new, name="waitlist"
    ),
    path("earlier-time/<id:pk>/stop/", waitlist_views.waitlist_stop, name="waitlist_stop"),
]
