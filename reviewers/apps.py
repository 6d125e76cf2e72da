from django.apps import AppConfig


class ReviewersConfig(AppConfig):
    """Reviewers' public profiles (credentials, disclosures) and the editorial policy."""

    name = "reviewers"
    verbose_name = "Reviewers and policy"
