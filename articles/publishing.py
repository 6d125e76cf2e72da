"""Freeze an article's draft into a Publication: what the public site and public API serve.

`freeze_publication` builds the row (rendered body, frozen annotations and numbered sources,
evidence summary, the API document, search text, changelog), the responses served from it as
they are (`articles.frozen`) and its stored search vector (`articles.search`); the workflow's
`publish` decides when and sets `article.live`.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.text import slugify

from articles import reviewdates
from articles.blocks import block_starts, block_text, plain_text, with_text
from articles.changelog import changelog_entry
from articles.frozen import freeze_responses, page_context
from articles.models import Article, Publication, Revision
from articles.rendering import json_ld_script, render_body, structured_data
from articles.search import store_search_vectors
from claims.freezing import frozen_claims, record_published_appearances
from evidence.dualreview import publishes_two_ratings
from evidence.models import Annotation, Citation, Source
from evidence.references import parse_reference
from evidence.summary import evidence_summary
from reviewers.credits import reviewer_credit

PUBLISHED_STATUSES = (Annotation.Status.OPEN, Annotation.Status.RESOLVED)


def _iso(value):
    return value.isoformat() if value else None


def claim_history_base(slug: str) -> str:
    """The path under which the claims of the article at `slug` have their rating history."""
    return reverse("articles:detail", kwargs={"slug": slug}) + "claims/"


def display_name(user: Any) -> str:
    """Return the name readers see for a reviewer: full name, else username."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _sentence(text):
    text = " ".join(str(text or "").split())
    return text if not text or text.endswith((".", "?", "!")) else f"{text}."


def reference_text(source: Source) -> str:
    """Return the reference as readers see it: "Authors. Title. Journal. Year."

    Built from the source's fields; a source with none of authors, title or journal (a bare
    link in the imported list) falls back to the reference as the import read it, without
    its number, link, PMID or DOI, which are shown beside it as links. "" when nothing but
    a link is known.
    """
    parts = [source.authors, source.title, source.journal]
    if any(str(part or "").strip() for part in parts):
        parts.append(source.year or "")
        return " ".join(_sentence(part) for part in parts if str(part or "").strip())
    if source.citation_text:
        return _sentence(parse_reference(source.citation_text)["title"])
    return ""


def source_reference(source: Source, number: int) -> dict[str, Any]:
    """Return a numbered reference dict for a Source, as the publication freezes it."""
    return {
        "number": number,
        "id": source.pk,
        "title": source.title,
        "authors": source.authors,
        "journal": source.journal,
        "year": source.year,
        "pmid": source.pmid,
        "doi": source.doi,
        "url": source.url,
        "design": source.design,
        "text": reference_text(source),
    }


def public_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the blocks as the public API shows them: id, type, text, level?, items?."""
    shown = []
    for block in blocks:
        item = {"id": block["id"], "type": block["type"], "text": block_text(block)}
        if block["type"] == "heading":
            item["level"] = block.get("level", 2)
        if block["type"] == "list":
            item["items"] = block.get("items", [])
        shown.append(item)
    return shown


def frozen_annotations(
    revision: Revision, blocks: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Return the revision's publishable annotations as dicts, in reading order.

    Open and resolved annotations are published; orphaned ones, and any whose block or
    offsets no longer fit the revision, are left out.
    """
    starts = block_starts(blocks)
    lengths = {block["id"]: len(block_text(block)) for block in blocks}
    rows = (
        Annotation.objects.filter(revision=revision, status__in=PUBLISHED_STATUSES)
        .prefetch_related("sources")
        .order_by("pk")
    )
    rows = list(rows)
    claims = frozen_claims(row.pk for row in rows)
    frozen = []
    for row in rows:
        if row.block_id not in starts or not 0 <= row.start < row.end <= lengths[row.block_id]:
            continue
        offset = starts[row.block_id]
        frozen.append(
            {
                "id": row.pk,
                "block": row.block_id,
                "start": row.start,
                "end": row.end,
                "exact": row.exact,
                "prefix": row.prefix,
                "suffix": row.suffix,
                "position": {"start": offset + row.start, "end": offset + row.end},
                "certainty": row.certainty,
                "verdict": row.verdict,
                "note": row.note,
                "note_html": row.note_html,
                "sources": sorted(source.pk for source in row.sources.all()),
                "created": _iso(row.created_at),
                "modified": _iso(row.modified_at),
                # The registered claim the passage makes, when a reviewer confirmed it.
                **({"claim": claims[row.pk]} if row.pk in claims else {}),
                # Kept for ordering only; removed below.
                "_sources": list(row.sources.all()),
            }
        )
    frozen.sort(key=lambda a: (a["position"]["start"], a["position"]["end"], a["id"]))
    return frozen


def numbered_sources(
    revision: Revision, annotations: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Return the references: the revision's citations by number, then uncited annotation
    sources with the following numbers."""
    references = []
    seen = set()
    citations = Citation.objects.filter(revision=revision).select_related("source")
    for citation in citations.order_by("number", "pk"):
        references.append(source_reference(citation.source, citation.number))
        seen.add(citation.source_id)
    next_number = max((r["number"] for r in references), default=0) + 1
    for annotation in annotations:
        for source in sorted(annotation["_sources"], key=lambda s: s.pk):
            if source.pk not in seen:
                seen.add(source.pk)
                references.append(source_reference(source, next_number))
                next_number += 1
    return references


def origin_data(article):
    """Return where the article's text first appeared, as the import recorded it: the
    source's address, its site's name and its own date (each may be empty)."""
    day = article.original_published_on
    return {
        "url": article.source_url or "",
        "site_name": article.site_name or "",
        "date": day.isoformat() if day else None,
    }


def trust_data(article, reviewer):
    """Return the trust signals a publication freezes: review dates, the reviewer's credit
    (`reviewers.credits`) and the text's origin."""
    return {
        **reviewdates.review_dates_data(article),
        "reviewer": reviewer_credit(reviewer),
        "origin": origin_data(article),
    }


def page_url(slug: str) -> str:
    """The absolute address of the public page of the article published at `slug`."""
    return settings.SITE_URL + reverse("articles:detail", kwargs={"slug": slug})


def _freeze_page_and_api(publication, *, url):
    """Fill the publication's stored page parts and API bytes (`articles.frozen`)."""
    freeze_responses(
        publication,
        page_context=page_context(
            publication, url=url,
            structured_data_script=json_ld_script(
                structured_data(publication, url=url, site_name=settings.SITE_NAME)
            ),
        ),
    )


def freeze_publication(
    article: Article, *, actor: Any, published_at: datetime, change_note: str = "",
    save: bool = True,
) -> Publication:
    """Return a Publication of `article.draft` as it stands, saved unless `save=False`.

    The body is rendered with the revision's open and resolved annotations and its
    citations; the approval (`approved_by`, `approved_at`) becomes "reviewed by"; the
    changelog continues the previous publication's. Does not change the article: the
    workflow's `publish` points `article.live` at the result. An unsaved one (a preview) is
    not given the stored page parts and API bytes, which only a saved row serves.
    """
    revision = article.draft
    if revision is None:
        raise ValueError("The article has no revision to publish.")
    blocks = [with_text(block) for block in revision.blocks]
    annotations = frozen_annotations(revision, blocks)
    sources = numbered_sources(revision, annotations)
    for annotation in annotations:
        del annotation["_sources"]
    # A preview (not saved) has no public address for its claims' history yet.
    history_base = claim_history_base(article.slug) if save else ""
    body_html = render_body(blocks, annotations, sources, history_base=history_base)
    summary = evidence_summary(annotations)

    previous = article.publications.order_by("-number").first()
    number = (previous.number if previous else 0) + 1
    first_published_at = (
        article.first_published_at
        or (previous.first_published_at if previous else None)
        or published_at
    )
    if not change_note:
        change_note = "First published." if number == 1 else "Updated."
    changelog = list(previous.changelog if previous else []) + [
        changelog_entry(
            number=number, date=published_at.date().isoformat(), note=change_note,
            previous_annotations=previous.annotations if previous else [],
            annotations=annotations,
        )
    ]
    rated_ids = [a["id"] for a in annotations if a["verdict"] and a["certainty"]]
    rated_independently = bool(rated_ids) and (
        publishes_two_ratings(rated_ids) == set(rated_ids)
    )
    reviewed_by = [display_name(article.approved_by)] if article.approved_by_id else []
    reviewer = article.approved_by if article.approved_by_id else None
    trust = trust_data(article, reviewer)
    notice_from = reviewdates.overdue_notice_from(article.review_due, trust["interval_months"])
    reviewed_at = article.approved_at
    tags = sorted(article.tags.names())
    url = page_url(article.slug)
    plain = plain_text(blocks)

    public_json = {
        "slug": article.slug,
        "title": revision.title,
        "summary": revision.summary,
        "tags": tags,
        "published_at": _iso(published_at),
        "last_reviewed_at": _iso(reviewed_at),
        "evidence_summary": summary,
        "url": url,
        "revision": revision.number,
        "blocks": public_blocks(blocks),
        "body_html": body_html,
        "annotations": annotations,
        "sources": sources,
        "reviewed_by": reviewed_by,
        "rated_independently": rated_independently,
    }
    publication = Publication(
        article=article,
        revision=revision,
        number=number,
        slug=article.slug,
        title=revision.title,
        summary=revision.summary,
        tags=tags,
        tag_slugs=[slugify(tag) for tag in tags],
        blocks=blocks,
        body_html=body_html,
        annotations=annotations,
        sources=sources,
        evidence_summary=summary,
        public_json=public_json,
        search_text="\n\n".join(part for part in (revision.title, revision.summary, plain) if part),
        change_note=change_note,
        changelog=changelog,
        rating_changed=changelog[-1]["rating_changed"],
        reviewed_by=reviewed_by,
        reviewed_at=reviewed_at,
        published_by=actor if getattr(actor, "pk", None) else None,
        published_at=published_at,
        first_published_at=first_published_at,
        reviewer=reviewer,
        trust=trust,
        overdue_notice_from=notice_from,
    )
    publication.shows_overdue_notice = reviewdates.shows_overdue(publication)
    if save:
        _freeze_page_and_api(publication, url=url)
        publication.save()
        store_search_vectors(Publication.objects.filter(pk=publication.pk))
        record_published_appearances(publication)
    return publication


def fill_missing_addresses(*, using: str = "default") -> int:
    """Give publications frozen before addresses were (restored from an older export) the
    address and tag addresses they were served at then: their article's slug and the slugs
    of their frozen tags. Publications that have an address keep it. Returns how many."""
    missing = Publication.objects.using(using).filter(slug="").select_related("article")
    count = 0
    for publication in missing.only("tags", "article__slug"):
        publication.slug = publication.article.slug
        publication.tag_slugs = [slugify(tag) for tag in publication.tags or ()]
        publication.save(using=using, update_fields=["slug", "tag_slugs"])
        count += 1
    return count


def moved_address(slug: str) -> str | None:
    """Return the slug at which the article last published at `slug` is live now, when it
    has moved; else None (never published there, taken down, or still live there).

    An address stays with the article that last published at it: old links to a renamed
    article are redirected to its current page.
    """
    article_id = (
        Publication.objects.filter(slug=slug)
        .order_by("-published_at", "-pk")
        .values_list("article_id", flat=True)
        .first()
    )
    if article_id is None:
        return None
    current = (
        Publication.objects.live().filter(article_id=article_id)
        .values_list("slug", flat=True).first()
    )
    return current if current and current != slug else None


def rerender_publication(publication: Publication) -> Publication:
    """Render `publication` again from its own frozen content, with today's templates.

    Only the presentation changes (body HTML, page parts, API bytes, and the search vector,
    with today's `KETASITE_SEARCH_CONFIG`); the text, address, tags, annotations, sources and
    dates are the ones frozen at publish, so what a reviewer approved is still exactly what is
    shown. Saves the row and returns it.
    """
    url = page_url(publication.slug)
    publication.body_html = render_body(
        publication.blocks, publication.annotations, publication.sources,
        history_base=claim_history_base(publication.slug),
    )
    publication.public_json = dict(publication.public_json, body_html=publication.body_html)
    _freeze_page_and_api(publication, url=url)
    publication.save(update_fields=[
        "body_html", "public_json", "page_head_html", "page_main_html", "page_head_deflate",
        "page_main_deflate", "page_checksums", "page_digest", "api_detail_json",
        "api_detail_gzip", "api_detail_etag", "api_item_json",
    ])
    # Derived from the frozen text too: stored again (with today's search configuration).
    store_search_vectors(Publication.objects.filter(pk=publication.pk))
    return publication
