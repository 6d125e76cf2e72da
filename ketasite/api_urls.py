"""Routes under /api/: version 1 of the API, the OpenAPI schema and its offline docs.

Each app brings its own routes (by module name: this package imports no app), all in the
"api" namespace.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from ketasite.api_views import SwaggerDocsView

app_name = "api"

# Each app's routes directly under "v1/", not under one "v1/" include of them all: every
# level of includes is a resolver to pass (and a match to build) on each request. The public
# reads come first: they are the busiest routes, found without trying the others.
urlpatterns = [
    # Public: published content only.
    path("v1/", include("public.api_urls")),
    path("v1/", include("accounts.api_urls")),
    path("v1/", include("public.claim_api")),
    # Editorial: authenticated, any state the user may see.
    path("v1/", include("articles.api_urls")),
    path("v1/", include("evidence.api_urls")),
    path("v1/", include("spotting.urls")),
    path("v1/", include("claims.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
]
