"""A snapshot of every row a write could touch, to prove a refused request changed nothing."""

from django.apps import apps

# Every model of the project's apps, plus tags: compared whole (articles, annotations,
# revisions, review comments) or by count (the rest).
WHOLE = ("articles.Article", "evidence.Annotation", "articles.Revision", "evidence.ReviewComment")


def snapshot():
    """Return the rows of articles, annotations and revisions, and the count of every table."""
    data = {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in WHOLE}
    counts = {}
    for app_label in ("articles", "evidence", "taggit", "authtoken"):
        for model in apps.get_app_config(app_label).get_models():
            counts[model._meta.label] = model.objects.count()
    data["counts"] = counts
    return data


def assert_unchanged(before, where=""):
    after = snapshot()
    for key in before:
        assert after[key] == before[key], f"{where}: {key} changed"
