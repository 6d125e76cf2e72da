"""What readers see of a claim: reads that public views and the public API share.

Every read starts from `Claim.objects.public()` (claims a live publication shows, or whose
page a publisher published), and appearances are the rows publishing froze
(`PublishedAppearance`) of live publications only: never draft links. A page of claims, or
one claim, costs the same handful of queries however many appearances it has.
"""

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from articles.models import Publication
from articles.rendering import certainty_label, verdict_label
from claims.models import Claim, ClaimRating, PublishedAppearance
from claims.services import resolve_slug
from evidence.models import Source

SOURCE_FIELDS = ("pk", "title", "authors", "journal", "year", "pmid", "doi", "url", "design")


def live_appearances():
    return (
        PublishedAppearance.objects.filter(publication__in=Publication.objects.live())
        .select_related("publication")
        .only("claim_id", "annotation_id", "exact", "verdict", "certainty",
              "publication__slug", "publication__title", "publication__published_at")
        .order_by("-publication__published_at", "annotation_id")
    )


def public_claims(*, verdict="", tag=""):
    """The public claims, with their sources, history and live appearances prefetched."""
    claims = (
        Claim.objects.public()
        .select_related("rated_by")
        .prefetch_related(
            Prefetch("sources", queryset=Source.objects.only(*SOURCE_FIELDS)),
            Prefetch("ratings", queryset=ClaimRating.objects.order_by("created_at", "pk")),
            Prefetch("appearances", queryset=live_appearances(), to_attr="live_appearances"),
        )
        .order_by("statement", "pk")
    )
    if verdict:
        claims = claims.filter(verdict=verdict)
    if tag:
        tagged = Publication.objects.live().with_tag_slug(tag).values("pk")
        claims = claims.filter(
            pk__in=PublishedAppearance.objects.filter(publication__in=tagged).values("claim_id")
        )
    return claims


def find_public_claim(slug):
    """Return (claim, moved_to_slug): the public claim at `slug`, or where a merged one went.

    (None, None) when no public claim is there.
    """
    claim = Claim.objects.filter(slug=slug).only("pk", "slug", "merged_into").first()
    if claim is None:
        return None, None
    if claim.merged_into_id is not None:
        target = resolve_slug(slug)
        if target is not None and Claim.objects.public().filter(pk=target.pk).exists():
            return None, target.slug
        return None, None
    found = public_claims().filter(pk=claim.pk).first()
    return found, None


def claim_url(slug):
    return settings.SITE_URL + reverse("claims:detail", kwargs={"slug": slug})


def article_url(slug):
    return settings.SITE_URL + reverse("articles:detail", kwargs={"slug": slug})


def _person(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def public_claim_item(claim):
    """One claim as readers get it (prefetched by `public_claims`)."""
    return {
        "slug": claim.slug,
        "statement": claim.statement,
        "verdict": claim.verdict,
        "verdict_label": verdict_label(claim.verdict),
        "certainty": claim.certainty,
        "certainty_label": certainty_label(claim.certainty),
        "note": claim.note,
        "note_html": claim.note_html,
        "reviewed_by": _person(claim.rated_by),
        "reviewed_at": claim.rated_at.isoformat() if claim.rated_at else None,
        "sources": [
            {"id": s.pk, "title": s.title, "authors": s.authors, "journal": s.journal,
             "year": s.year, "pmid": s.pmid, "doi": s.doi, "url": s.url, "design": s.design}
            for s in claim.sources.all()
        ],
        "history": [
            {"verdict": r.verdict, "certainty": r.certainty, "note": r.note,
             "date": r.created_at.isoformat()}
            for r in claim.ratings.all()
        ],
        "appearances": [
            {"title": a.publication.title, "url": article_url(a.publication.slug),
             "exact": a.exact, "verdict": a.verdict, "certainty": a.certainty,
             "published_at": a.publication.published_at.isoformat()}
            for a in claim.live_appearances
        ],
        "url": claim_url(claim.slug),
    }


def claim_review(claim, *, site_name):
    """Return schema.org ClaimReview JSON-LD for a public claim item."""
    item = claim if isinstance(claim, dict) else public_claim_item(claim)
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": item["url"],
        "claimReviewed": item["statement"],
        "author": {"@type": "Organization", "name": site_name},
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [
                {"@type": "CreativeWork", "url": a["url"], "headline": a["title"]}
                for a in item["appearances"]
            ],
        },
    }
    if item["reviewed_at"]:
        review["datePublished"] = item["reviewed_at"]
    if item["verdict"]:
        review["reviewRating"] = {
            "@type": "Rating",
            "alternateName": item["verdict_label"],
            "ratingExplanation": item["certainty_label"],
        }
    return review
