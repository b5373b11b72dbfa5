"""Linking an application, under ``/<lang>/my/`` in the ``enrolment`` namespace beside
the dashboard and the history (``interviews/applicant_urls.py``): ``nexus_portal/urls.py``
puts them together. Booking pages are in ``bookings/urls.py``."""

from django.urls import path

from enrolment import views

urlpatterns = [
    path("link/", views.link_application, name="link"),
]
