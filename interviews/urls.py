from django.urls import path

from interviews import views

app_name = "interviews"
urlpatterns = [
    path("", views.day_list, name="day_list"),
    path("find/", views.find_traveller, name="find"),
    path("appointments/<int:pk>/check-in/", views.appointment_check_in_view, name="check_in"),
    path("appointments/<int:pk>/no-show/", views.appointment_no_show_view, name="no_show"),
    path("enrolments/<int:pk>/", views.enrolment_detail, name="enrolment"),
    path("enrolments/<int:pk>/outcome/", views.enrolment_outcome, name="outcome"),
    path("enrolments/<int:pk>/share/", views.enrolment_share, name="share"),
    path("enrolments/<int:pk>/review/", views.enrolment_review, name="review"),
    path("enrolments/<int:pk>/timeline/", views.enrolment_timeline_view, name="timeline"),
]
