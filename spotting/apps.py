from django.apps import AppConfig


class SpottingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spotting"
    verbose_name = "Claim spotting"

    def ready(self):
        # The one link from the import and edit paths to the spotter: articles runs the
        # functions registered here after it saves a revision (articles/hooks.py), and never
        # imports this app.
        from articles.hooks import register_revision_hook
        from spotting.suggestions import refresh_suggestions_for_revision

        register_revision_hook(refresh_suggestions_for_revision)
