"""The programme figures, under ``/<lang>/programme/figures/``."""

from django.urls import path

from figures import views

app_name = "figures"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<slug:table>.csv", views.table_csv, name="csv"),
]
