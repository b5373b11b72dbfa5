from django.urls import path

from entry_exit import views

app_name = "entry_exit"
urlpatterns = [
    path("", views.home, name="home"),
    path("travellers/", views.look_up, name="look_up"),
    path("exchange/", views.exchange, name="exchange"),
    path("exchange/batches/<id:pk>/resend/", views.resend, name="resend"),
    path("access-log/", views.access_log, name="access_log"),
]
