from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    """The claim registry: a claim rated once, reused wherever an article makes it."""

    name = "claims"
    verbose_name = "Claim registry"
    default_auto_field = "django.db.models.BigAutoField"
