from django.urls import path

from entry_exit import views

app_name = "entry_exit"
urlpatterns = [
    path("", views.home, name="home"),
    path("travellers/", views.look_up, name="look_up"),
    path("exchange/", views.exchange, name="exchange"),
    path("exchange/batches/<id:pk>/resend/", views.resend, name="resend"),
    path("access-log/", views.access_log, name="access_log"),
    path("legal-holds/", views.legal_holds, name="legal_holds"),
    path("legal-holds/new/", views.legal_hold_new, name="legal_hold_new"),
    path("legal-holds/<id:pk>/", views.legal_hold, name="legal_hold"),
    path("travellers/report/", views.traveller_report, name="traveller_report"),
]
