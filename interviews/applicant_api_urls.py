"""API v1, applicant: my applications (included under ``api/v1/``)."""

from django.urls import path

from interviews import applicant_api as api

app_name = "api_applications"

urlpatterns = [
    path("applications/", api.ApplicationListView.as_view(), name="applications"),
    path("applications/<number:number>/", api.ApplicationDetailView.as_view(), name="application"),
]
