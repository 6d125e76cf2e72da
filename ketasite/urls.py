"""URL routes. The API lives with the app whose data it serves, under /api/v1/."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("ketasite.api_urls")),
    path("", include("articles.urls")),
]

# Under /api/ these answer in the API's JSON error shape; elsewhere they are Django's own.
handler400 = "ketasite.api.bad_request"
handler403 = "ketasite.api.permission_denied"
handler404 = "ketasite.api.page_not_found"
handler500 = "ketasite.api.server_error"
