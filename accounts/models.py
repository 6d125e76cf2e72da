from django.contrib.auth.models import User


class ApiTokenHolder(User):
    """A user who holds an API token, as the admin lists them: one row per token (a user
    has at most one), named by its user, never showing the key itself."""

    class Meta:
        proxy = True
        verbose_name = "API token"
        verbose_name_plural = "API tokens"
