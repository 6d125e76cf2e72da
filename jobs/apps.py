from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        # Registers the kinds of job this site runs (see jobs.registry).
        from jobs import kinds  # noqa: F401
