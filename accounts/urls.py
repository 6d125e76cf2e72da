"""Password reset for staff accounts, under /accounts/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import PasswordResetView

# Password reset for staff accounts. The answer never says whether an address is known, and
# takes as long for a known address as for an unknown one (accounts.views).
password_reset_view = PasswordResetView.as_view()
urlpatterns = [
    path("password-reset/", password_reset_view, name="password_reset"),
    # The admin's login page links to "Forgotten your password?" when this name exists.
    path("password-reset/", password_reset_view, name="admin_password_reset"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

