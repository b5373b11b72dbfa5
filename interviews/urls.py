from django.urls import path

from interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.day_list, name="day_list"),
    path("find/", views.find_traveller, name="find"),
    path("appointments/<id:pk>/check-in/", views.appointment_check_in_view, name="check_in"),
    path("appointments/<id:pk>/no-show/", views.appointment_no_show_view, name="no_show"),
    path("enrolments/<id:pk>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<id:pk>/outcome/", views.enrolment_outcome, name="outcome"),
    path("enrolments/<id:pk>/share/", views.enrolment_share, name="share"),
    path("enrolments/<id:pk>/review/", views.enrolment_review, name="review"),
    path("enrolments/<id:pk>/timeline/", views.enrolment_timeline_view, name="timeline"),
]
