"""The API's own views: the offline Swagger UI. (Token sign-in lives in `accounts.api`.)"""

from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar (no CDN), its start-up script served as a
    separate file and without the stock inline style, so the CSP holds."""

    template_name = "api/swagger_ui.html"
