from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Everything an anonymous reader gets: read-only, no models, imported by nothing."""

    name = "public"
    verbose_name = "Public site"

    def ready(self):
        # Imported here, not at the top: these modules use models, which exist only once the
        # app registry is ready (Django's rule for AppConfig modules, not an import cycle).
        from articles.backup import register_annotation_form
        from public.w3c import stored_annotation_w3c

        # A site export writes each annotation's W3C form beside its row, for readers of the
        # file; the form is this app's, so it is handed to the exporter here.
        register_annotation_form("w3c", stored_annotation_w3c)
