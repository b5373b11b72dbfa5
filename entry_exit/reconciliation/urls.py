from django.urls import path

from entry_exit.reconciliation import views

app_name = "entry_exit_reconciliation"
urlpatterns = [
    path("", views.figures, name="figures"),
    path("figures.csv", views.figures_csv, name="figures_csv"),
    path("review/", views.queue, name="queue"),
    path("review/<id:pk>/", views.review, name="review"),
    path("review/<id:pk>/confirm/", views.confirm, name="confirm"),
    path("review/<id:pk>/reject/", views.reject, name="reject"),
    path("overstays/", views.overstays, name="overstays"),
]
