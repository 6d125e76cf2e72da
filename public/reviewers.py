"""Public pages of reviewers (/reviewers/): published profiles only, cached like every public
page. The profiles themselves, and their rules, are the reviewers app's."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from articles.models import Publication
from articles.rendering import verdict_label
from public.caching import cached_public_page
from reviewers.models import ReviewerProfile


def published_profiles():
    return ReviewerProfile.objects.published().only(
        "public_slug", "published", "published_at", "user_id"
    )


@require_safe
@cached_public_page
def reviewer_list(request):
    profiles = sorted(published_profiles(), key=lambda p: p.published.get("name", "").lower())
    return render(request, "reviewers/list.html", {"profiles": profiles})


@require_safe
@cached_public_page
def reviewer_detail(request, slug):
    """A published profile and the live articles it reviewed, with the claims rated in them."""
    profile = published_profiles().filter(public_slug=slug).first()
    if profile is None:
        raise Http404("No published reviewer profile here.")
    publications = (
        Publication.objects.live().filter(reviewer_id=profile.user_id)
        .only("slug", "title", "annotations", "published_at").order_by("title", "pk")
    )
    articles = [
        {
            "slug": publication.slug,
            "title": publication.title,
            "claims": [
                {"id": a["id"], "exact": a.get("exact", ""), "verdict": verdict_label(a["verdict"])}
                for a in publication.annotations if a.get("verdict")
            ],
        }
        for publication in publications
    ]
    expertise = [
        area.strip() for area in profile.published.get("expertise", "").split(",") if area.strip()
    ]
    return render(
        request, "reviewers/detail.html",
        {"profile": profile, "data": profile.published, "expertise": expertise,
         "articles": articles},
    )
