"""The applicant's own pages, under ``/<lang>/my/``: where they stand, linking their
application, and its history. Booking pages are in ``interviews/urls_booking.py``."""

from django.urls import path

from enrolment import views

app_name = "enrolment"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("link/", views.link_application, name="link"),
    path("applications/<number:number>/history/", views.history, name="history"),
]
