"""The applicant's dashboard and history, under ``/<lang>/my/`` in the ``enrolment``
namespace with linking an application (``nexus_portal/urls.py`` puts them together)."""

from django.urls import path

from interviews import applicant_views as views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("applications/<number:number>/history/", views.history, name="history"),
]
