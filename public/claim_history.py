"""The public rating history of one claim: what each publication of the article said of it.

Read from the publications' frozen annotations only (never a draft, never the rating history
of the editorial side), of an article that is live now: a taken-down article shows nothing.
Two queries whatever the number of publications or claims.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles.changelog import claim_history
from articles.models import Publication
from public.caching import cached_public_page

HISTORY_FIELDS = ("number", "published_at", "annotations", "reviewed_by")


@require_safe
@cached_public_page
def claim_history_view(request, slug, annotation_id):
    """The ratings a claim of the live article at `slug` was published with, oldest first."""
    live = Publication.objects.live().filter(slug=slug).only("article_id", "title").first()
    if live is None:
        raise Http404("No live article at this address.")
    publications = Publication.objects.filter(article_id=live.article_id).only(*HISTORY_FIELDS)
    history = claim_history(publications, annotation_id)
    if not history:
        raise Http404("This article has published no rating of this claim.")
    return render(request, "articles/claim_history.html", {
        "article_title": live.title,
        "slug": slug,
        "annotation_id": annotation_id,
        "claim": history[-1]["claim"],
        "history": list(reversed(history)),
    })
