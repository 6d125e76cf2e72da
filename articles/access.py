"""Who may see which article on the editorial side: shared by the articles and evidence
editorial APIs (neither borrows from the other's module)."""

from django.db.models import F

from articles.models import Article
from ketasite.api import visible_or_404

VIEW_PERMISSION = "articles.view_article"


def get_visible_article(request, pk) -> Article:
    """Return article `pk` if the user may see it; 404 otherwise (unknown or not visible).

    Detail endpoints need only a signed-in user (IsAuthenticated) and answer 404, not 403, to
    one who may not see articles, so that an id reveals nothing; list endpoints answer 403
    (CanViewArticles)."""
    return visible_or_404(
        Article.objects.select_related("draft").annotate(live_slug=F("live__slug")), pk,
        allowed=request.user.has_perm(VIEW_PERMISSION), name="article",
    )
