"""What a publication freezes of the claim registry.

`articles.publishing` calls these: `frozen_claims` when it freezes the annotations (each
rated passage then links to its claim page, as it was at publish), and
`record_published_appearances` once the publication is saved (public claim pages read those
rows, never draft links).
"""

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from articles.models import Publication
from claims.models import Claim, ClaimLink, PublishedAppearance, ReReview


def claim_page_path(slug: str) -> str:
    return reverse("claims:detail", kwargs={"slug": slug})


def frozen_claims(annotation_ids: Iterable[int]) -> dict[int, dict]:
    """Return {annotation id: {"id", "slug", "statement", "url"}} for confirmed links, as a
    publication freezes them (the claim page each rated passage links to)."""
    links = (
        ClaimLink.objects.filter(annotation_id__in=list(annotation_ids), confirmed_at__isnull=False)
        .select_related("claim")
    )
    return {
        link.annotation_id: {
            "id": link.claim_id,
            "slug": link.claim.slug,
            "statement": link.claim.statement,
            "url": claim_page_path(link.claim.slug),
        }
        for link in links
    }


def record_published_appearances(publication: Publication) -> list[PublishedAppearance]:
    """Store the claims `publication` shows (from its frozen annotations) and close the
    re-review rows of its article: it was reviewed and published again."""
    rows = []
    claim_ids = {
        annotation["claim"]["id"] for annotation in publication.annotations
        if annotation.get("claim")
    }
    origins = dict(
        ClaimLink.objects.filter(
            annotation_id__in=[a["id"] for a in publication.annotations if a.get("claim")]
        ).values_list("annotation_id", "origin_id")
    )
    known = set(Claim.objects.filter(pk__in=claim_ids).values_list("pk", flat=True))
    for annotation in publication.annotations:
        claim = annotation.get("claim")
        if not claim or claim["id"] not in known:
            continue
        rows.append(PublishedAppearance(
            publication=publication, claim_id=claim["id"],
            origin_id=origins.get(annotation["id"], claim["id"]),
            annotation_id=annotation["id"], exact=annotation.get("exact", ""),
            verdict=annotation.get("verdict", ""), certainty=annotation.get("certainty", ""),
        ))
    PublishedAppearance.objects.bulk_create(rows)
    ReReview.objects.filter(article_id=publication.article_id, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
    return rows
