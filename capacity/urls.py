"""The capacity console, under ``/<lang>/capacity/``."""

from django.urls import path

from capacity import views

app_name = "capacity"
urlpatterns = [
    path("", views.centres, name="centres"),
    path("<id:pk>/", views.week, name="week"),
    path("<id:pk>/change/<slug:kind>/", views.change, name="change"),
    path("<id:pk>/change/<slug:kind>/<id:obj>/", views.change, name="edit"),
    path("<id:pk>/remove/<slug:kind>/<id:obj>/", views.remove, name="remove"),
]
