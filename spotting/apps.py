from django.apps import AppConfig


class SpottingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spotting"
    verbose_name = "Claim spotting"
