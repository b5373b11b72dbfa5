"""API v1, public: centres and their open times (included under ``api/v1/``)."""

from django.urls import path

from centres import api

app_name = "api_centres"

urlpatterns = [
    path("centres/", api.CentreListView.as_view(), name="list"),
    path("centres/<id:pk>/", api.CentreDetailView.as_view(), name="detail"),
    path("centres/<id:pk>/slots/", api.CentreSlotsView.as_view(), name="slots"),
]
