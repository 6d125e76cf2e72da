"""What an approval pins, and withdrawing it when the content changes.

Approval pins `approval_fingerprint(article)`: a sha256 of the draft revision's content, its
annotations and its citations, and of the article's tags and slug (the public sees those too:
topic pages and the address). Any later change withdraws the approval (`content_changed`) and
publishing checks the fingerprint again, so what was reviewed is exactly what gets published.

Both `articles.workflow` and `evidence.annotations` import this module; it imports neither.
"""

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from articles.audit import record_event
from articles.models import Article
from evidence.models import Annotation

State = Article.State


def _fingerprint_row(annotation: Annotation, source_ids: Iterable[int]) -> dict[str, Any]:
    return {
        "id": annotation.pk,
        "block_id": annotation.block_id,
        "start": annotation.start,
        "end": annotation.end,
        "exact": annotation.exact,
        "status": annotation.status,
        "certainty": annotation.certainty,
        "verdict": annotation.verdict,
        "note": annotation.note,
        "sources": sorted(source_ids),
    }


def annotation_fingerprint_data(
    annotations: Annotation | Iterable[Annotation],
) -> dict[str, Any] | list[dict[str, Any]]:
    """Return the stable data an approval fingerprint covers.

    Given one Annotation, return its dict (anchor, status, ratings, note, sorted source ids).
    Given a queryset or iterable of annotations, return the list of those dicts in reading
    order (block, start, id), fetching sources in one query.
    """
    if isinstance(annotations, Annotation):
        return _fingerprint_row(annotations, annotations.sources.values_list("pk", flat=True))
    if isinstance(annotations, QuerySet):
        annotations = annotations.prefetch_related("sources")
    rows = [
        _fingerprint_row(annotation, [source.pk for source in annotation.sources.all()])
        for annotation in annotations
    ]
    rows.sort(key=lambda row: (row["block_id"], row["start"], row["id"]))
    return rows


def approval_fingerprint(article: Article) -> str:
    """Return the sha256 of the draft's content, its annotations and its citations, and of
    the article's tags and slug.

    Tags and slug are frozen into the publication with the text: they put the article on
    topic pages and give its address, so a reviewer approves them with the rest.
    """
    revision = article.draft
    if revision is None:
        return ""
    citations = [
        [number, source_id]
        for number, source_id in revision.citations.order_by("number").values_list(
            "number", "source_id"
        )
    ]
    data = {
        "title": revision.title,
        "summary": revision.summary,
        "blocks": revision.blocks,
        "annotations": annotation_fingerprint_data(Annotation.objects.filter(revision=revision)),
        "citations": citations,
        "tags": sorted(article.tags.names()),
        "slug": article.slug,
    }
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def content_changed(article: Article, *, actor: Any, reason: str) -> Article:
    """Withdraw an approval that no longer matches the content, saying why.

    Call after any change to the draft's content, annotations or citations. An approved
    article whose fingerprint changed goes back to `in_review`; a published or unpublished
    one becomes a draft (a live publication stays up until the next publish).
    Returns the article, updated.
    """
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        from_state = locked.state
        if from_state not in (State.APPROVED, State.PUBLISHED, State.UNPUBLISHED):
            return article.copy_saved_state(locked)
        if from_state != State.UNPUBLISHED and (
            locked.approval_fingerprint == approval_fingerprint(locked)
        ):
            return article.copy_saved_state(locked)
        fields = ["state", "updated_at"]
        if from_state == State.APPROVED:
            locked.state = State.IN_REVIEW
            locked.publish_at = None
            locked.publish_scheduled_by = None
            fields += ["publish_at", "publish_scheduled_by"]
            comment = f"Approval withdrawn: {reason}"
            action = "approval_withdrawn"
        else:
            locked.state = State.DRAFT
            comment = f"New draft: {reason}"
            action = "edit"
        locked.save(update_fields=fields)
        record_event(locked, actor=actor, action=action, from_state=from_state, comment=comment)
    return article.copy_saved_state(locked)
