"""Who may see which article on the editorial side: shared by the articles and evidence
editorial APIs (neither borrows from the other's module)."""

from django.db.models import F
from rest_framework import exceptions

from articles.models import Article

VIEW_PERMISSION = "articles.view_article"


def get_visible_article(request, pk) -> Article:
    """Return article `pk` if the user may see it; 404 otherwise (unknown or not visible)."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise exceptions.NotFound("No article with this id is visible to you.")
    try:
        return (
            Article.objects.select_related("draft").annotate(live_slug=F("live__slug")).get(pk=pk)
        )
    except Article.DoesNotExist:
        raise exceptions.NotFound("No article with this id is visible to you.")
