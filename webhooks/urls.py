"""The programme administrator's webhook pages, under ``/<lang>/programme/webhooks/``."""

from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscriptions, name="subscriptions"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/action/", views.act, name="act"),
]
