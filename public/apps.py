from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Everything an anonymous reader gets: read-only, no models, imported by nothing."""

    name = "public"
    verbose_name = "Public site"
