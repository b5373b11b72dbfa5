"""Accounts, under the language prefix: ``/en/accounts/…`` and ``/fr/accounts/…``.

The health check is not here: it lives at ``/health/``, outside the language prefix
(see ``nexus_portal/urls.py``).
"""

from django.urls import path

from accounts import views

# The namespace these pages had in common/; kept so every URL name stays as it was.
app_name = "common"
urlpatterns = [
    # Signing in and out.
    path("sign-in/", views.sign_in, name="sign_in"),
    path("verify/", views.verify, name="verify"),
    path("sign-out/", views.sign_out, name="sign_out"),
    # Signing up, and confirming the address (the fixed paths before the link's).
    path("sign-up/", views.sign_up, name="sign_up"),
    path("sign-up/sent/", views.sign_up_sent, name="sign_up_sent"),
    path("confirm/resend/", views.confirm_resend, name="confirm_resend"),
    path("confirm/resend/sent/", views.confirm_resend_sent, name="confirm_resend_sent"),
    path("confirm/<uidb64>/<token>/", views.confirm, name="confirm"),
    # A forgotten password.
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The signed-in account.
    path("", views.account, name="account"),
    path("language/", views.language_change, name="language_change"),
    path("password/", views.password_change, name="password_change"),
    path("email/", views.email_change, name="email_change"),
    path("email/confirm/<str:token>/", views.email_confirm, name="email_confirm"),
]
