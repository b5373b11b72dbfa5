"""Signing in and out, under the language prefix: ``/en/accounts/…`` and ``/fr/accounts/…``.

The health check is not here: it lives at ``/health/``, outside the language prefix
(see ``nexus_portal/urls.py``).
"""

from django.urls import path

from common import views

app_name = "common"
urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("verify/", views.verify, name="verify"),
    path("sign-out/", views.sign_out, name="sign_out"),
]
