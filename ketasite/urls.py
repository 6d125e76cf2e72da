"""URL routes. The API lives with the app whose data it serves, under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.views import PasswordResetView

# Password reset for staff accounts. The answer never says whether an address is known, and
# takes as long for a known address as for an unknown one (accounts.views).
password_reset_view = PasswordResetView.as_view()
account_urls = [
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

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include(account_urls)),
    path("api/", include("ketasite.api_urls")),
    path("claims/", include("public.claim_urls")),
    path("", include("articles.urls")),
]

# Under /api/ these answer in the API's JSON error shape; elsewhere they are Django's own.
handler400 = "ketasite.api.bad_request"
handler403 = "ketasite.api.permission_denied"
handler404 = "ketasite.api.page_not_found"
# A database outage is a 503 wherever it is met; otherwise the API's 500 answer above.
handler500 = "ketasite.middleware.server_error"
