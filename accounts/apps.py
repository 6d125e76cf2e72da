from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Staff accounts' credentials: API tokens and the password reset."""

    name = "accounts"
    verbose_name = "Accounts"
