"""URL routes. Each app brings its own, included by module name: this package imports no app.
The API lives with the app whose data it serves, under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

# The API first: its cached public answers are the busiest requests, and each route tried
# before the one that matches is a resolver entered on every request.
urlpatterns = [
    path("api/", include("ketasite.api_urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("reviewers/", include("public.reviewer_urls")),
    path("claims/", include("public.claim_urls")),
    path("", include("public.urls")),
]

# Under /api/ these answer in the API's JSON error shape; elsewhere they are Django's own.
handler400 = "ketasite.api.bad_request"
handler403 = "ketasite.api.permission_denied"
handler404 = "ketasite.api.page_not_found"
# A database outage is a 503 wherever it is met; otherwise the API's 500 answer above.
handler500 = "ketasite.middleware.server_error"
