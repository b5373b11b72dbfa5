from django.urls import path

from centres import views

app_name = "centres"
urlpatterns = [
    path("", views.centre_list, name="list"),
    path("centres/<id:pk>/", views.centre_detail, name="detail"),
]
