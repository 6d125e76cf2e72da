"""Routes under /api/: the OpenAPI schema, its offline docs, and version 1 of the API.

Each app brings its own routes (by module name: this package imports no app), all in the
"api" namespace.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from ketasite.api_views import SwaggerDocsView

app_name = "api"

v1 = [
    path("", include("accounts.api_urls")),
    # Public: published content only.
    path("", include("public.api_urls")),
    path("", include("public.claim_api")),
    # Editorial: authenticated, any state the user may see.
    path("", include("articles.api_urls")),
    path("", include("evidence.api_urls")),
    path("", include("spotting.urls")),
    path("", include("claims.urls")),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include(v1)),
]
