"""Annotations: creating, rating, editing, resolving and deleting marked passages.

Every change goes through these functions, so the admin, the API and any command apply the
same rules:

- editors (`evidence.add_annotation`) create annotations and move their anchors;
- only reviewers (`articles.review_article`) set certainty and verdict;
- only an annotation's author or a reviewer edits its note;
- editors and reviewers comment and reply; a reviewer or the comment's author resolves or
  reopens its thread;
- annotations change only on the article's draft revision (or, for an orphaned one, by
  re-anchoring it onto the draft), never while the article is archived;
- a change names the `version` it was based on; a stale one changes nothing;
- a published annotation cannot be deleted, only resolved.

Each change to a draft's annotations calls `articles.approval.content_changed`, so an
approval of different content is withdrawn. Review comments, resolved and reopened threads
write to the article's audit log (`articles.audit.record_event`); rating changes keep their
own log as well (`RatingChange`).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from articles.approval import content_changed
from articles.audit import record_event
from articles.blocks import block_text
from articles.models import Article, Revision
from articles.permissions import has_permission, is_reviewer
from evidence.anchoring import quote_context
from evidence.models import (
    Annotation,
    DualReviewPolicy,
    RatingChange,
    ReviewComment,
    Source,
)
from ketasite.errors import Refusal, StaleVersion
from ketasite.sanitize import render_markdown

PERM_ANNOTATE = "evidence.add_annotation"
PERM_CHANGE = "evidence.change_annotation"
PERM_DELETE = "evidence.delete_annotation"
PERM_COMMENT = "evidence.add_reviewcomment"
MAX_NOTE_CHARS = 20_000
MAX_COMMENT_CHARS = 10_000
RATED_FIELDS = ("certainty", "verdict", "note")
ANCHOR_FIELDS = ("block_id", "start", "end", "exact")
# Derived fields, left out of the change reason recorded in the audit log.
INTERNAL_FIELDS = {"note_html", "prefix", "suffix", "revision_id"}
CHANGEABLE_FIELDS = {*ANCHOR_FIELDS, "certainty", "verdict", "note", "sources"}


class AnnotationError(Refusal, ValueError):
    """Input that cannot be saved. `errors` maps each field to readable messages."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors):
        errors = {field: list(messages) for field, messages in errors.items()}
        super().__init__(
            " ".join(message for messages in errors.values() for message in messages),
            errors=errors,
        )


class AnnotationNotAllowed(Refusal, PermissionError):
    """The actor may not make this change, or the article's state does not allow it."""

    code = "not_allowed"
    http_status = 403


class StaleAnnotation(StaleVersion):
    """The change was based on an older version. `current` is the annotation as it is now."""

    def __init__(self, current):
        super().__init__(
            f"Someone else changed this annotation (it is now version {current.version}); "
            "reload it and make your change again.",
            current=current,
        )


# Rules -------------------------------------------------------------------------------------


def _has(actor: Any, permission: str) -> bool:
    return has_permission(actor, permission)


def can_annotate(actor: Any) -> bool:
    """Return whether `actor` may mark passages (and so decide on suggested ones)."""
    return _has(actor, PERM_ANNOTATE)


def can_review(actor: Any) -> bool:
    """Return whether `actor` may set certainty and verdict (a reviewer)."""
    return is_reviewer(actor)


def _is_author(actor: Any, annotation: Annotation | ReviewComment) -> bool:
    return bool(actor and actor.pk and annotation.author_id == actor.pk)


def _check_article(article: Article, annotation: Annotation | None = None) -> None:
    """Refuse changes on an archived article or to an annotation off the draft revision."""
    if article.state == Article.State.ARCHIVED:
        raise AnnotationNotAllowed(
            "The article is archived; restore it before changing its annotations.",
            http_status=409,
        )
    if article.draft_id is None:
        raise AnnotationNotAllowed("The article has no draft to annotate.", http_status=409)
    if (
        annotation is not None
        and annotation.revision_id != article.draft_id
        and annotation.status != Annotation.Status.ORPHANED
    ):
        raise AnnotationNotAllowed(
            "This annotation belongs to an older revision; only the draft's annotations can "
            "be changed.",
            http_status=409,
        )


def _refuse_direct_rating(article: Article) -> None:
    """In dual review the rating comes from two reviewers (evidence/dualreview.py): 409."""
    if DualReviewPolicy.objects.requires_two_ratings(article):
        raise AnnotationNotAllowed(
            "This article needs two independent ratings: each assigned reviewer records their "
            "own rating, and a conflict is settled by a consensus.",
            http_status=409,
        )


def _lock_article(article_id: int) -> Article:
    return Article.objects.select_for_update().get(pk=article_id)


def _content_changed(article: Article, *, actor: Any, reason: str) -> None:
    content_changed(article, actor=actor, reason=reason)


# Validation --------------------------------------------------------------------------------


def _whole_number(value: Any, field: str, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        errors.setdefault(field, []).append(f"{field} must be a whole number, 0 or more.")
        return None
    return value


def compute_anchor(
    blocks: list[dict[str, Any]], *, block_id: Any, start: Any, end: Any,
    exact: str | None = None,
) -> tuple[str, int, int, str, str, str]:
    """Return (block_id, start, end, exact, prefix, suffix) for a range of the given blocks.

    Raises AnnotationError when the block is unknown, the range is empty or outside the
    block, or `exact` (when given) is not the text of the range.
    """
    errors = {}
    block = None
    if not isinstance(block_id, str) or not block_id:
        errors["block"] = ["Name the block the passage is in."]
    else:
        block = next((b for b in blocks if b.get("id") == block_id), None)
        if block is None:
            errors["block"] = [f"The draft has no block {block_id!r}."]
    start = _whole_number(start, "start", errors)
    end = _whole_number(end, "end", errors)
    if errors:
        raise AnnotationError(errors)
    text = block_text(block)
    if end <= start:
        errors["end"] = ["The passage is empty: end must be after start."]
    elif end > len(text):
        errors["end"] = [f"The passage runs past the end of the block ({len(text)} characters)."]
    elif not text[start:end].strip():
        errors["end"] = ["The passage holds only white space; mark some words."]
    if errors:
        raise AnnotationError(errors)
    quote, prefix, suffix = quote_context(text, start, end)
    if exact is not None and exact != quote:
        shown = quote if len(quote) <= 80 else quote[:77] + "…"
        errors["exact"] = [
            f"The quote does not match the draft's text at {start}–{end}, which reads “{shown}”."
        ]
        raise AnnotationError(errors)
    return block_id, start, end, quote, prefix, suffix


def _clean_choice(value: Any, choices: Any, field: str, errors: dict[str, list[str]]) -> str:
    value = "" if value is None else value
    if value not in ("", *choices.values):
        errors[field] = [
            f"{field.capitalize()} must be one of {', '.join(choices.values)}, or blank."
        ]
    return value


def _clean_note(value: Any, errors: dict[str, list[str]]) -> str:
    value = "" if value is None else value
    if not isinstance(value, str):
        errors["note"] = ["The note must be text."]
        return ""
    if len(value) > MAX_NOTE_CHARS:
        errors["note"] = [f"The note is longer than {MAX_NOTE_CHARS} characters."]
    return value.replace("\x00", "")


def _clean_sources(values: Any, errors: dict[str, list[str]]) -> list[int]:
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        errors["sources"] = ["Sources must be a list of source ids."]
        return []
    ids = []
    for value in values:
        source_id = value.pk if isinstance(value, Source) else value
        if isinstance(source_id, str) and source_id.strip().isdigit():
            source_id = int(source_id)
        if not isinstance(source_id, int) or isinstance(source_id, bool):
            errors["sources"] = ["Sources must be a list of source ids."]
            return []
        ids.append(source_id)
    ids = sorted(set(ids))
    found = set(Source.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        errors["sources"] = [f"No source with id {', '.join(missing)}."]
    return ids


def _record_changes(
    annotation: Annotation, *, actor: Any, old: dict[str, str], new: dict[str, str],
) -> None:
    RatingChange.objects.bulk_create(
        [
            RatingChange(
                annotation=annotation,
                actor=actor if actor and actor.pk else None,
                field=name,
                old_value=old.get(name, ""),
                new_value=new[name],
            )
            for name in RATED_FIELDS
            if name in new and new[name] != old.get(name, "")
        ]
    )


# Annotations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _NewAnnotation:
    """A checked creation: the cleaned input, before the anchor is computed on the draft."""

    certainty: str
    verdict: str
    note: str
    source_ids: list[int]


def _check_new_input(
    actor: Any, *, certainty: Any, verdict: Any, note: Any, sources: Any,
) -> _NewAnnotation:
    if not can_annotate(actor):
        raise AnnotationNotAllowed("Only editors and reviewers may mark passages.")
    errors: dict[str, list[str]] = {}
    certainty = _clean_choice(certainty, Annotation.Certainty, "certainty", errors)
    verdict = _clean_choice(verdict, Annotation.Verdict, "verdict", errors)
    note = _clean_note(note, errors)
    source_ids = _clean_sources(sources, errors)
    if errors:
        raise AnnotationError(errors)
    if (certainty or verdict) and not can_review(actor):
        raise AnnotationNotAllowed("Only reviewers may set the certainty and the verdict.")
    return _NewAnnotation(certainty, verdict, note, source_ids)


def _draft_of(article: Article) -> Revision:
    draft = article.draft
    if draft is None:
        raise AnnotationNotAllowed("The article has no draft to annotate.", http_status=409)
    return draft


def _anchor_on_draft(
    article: Article, *, block_id: Any, start: Any, end: Any, exact: str | None,
) -> tuple[str, int, int, str, str, str]:
    _check_article(article)
    return compute_anchor(_draft_of(article).blocks, block_id=block_id, start=start, end=end,
                          exact=exact)


def check_new_annotation(
    *, article: Article, actor: Any, block_id: Any, start: Any, end: Any,
    exact: str | None = None, certainty: Any = "", verdict: Any = "", note: Any = "",
    sources: Any = (),
) -> None:
    """Raise what `create_annotation` would raise for this input, and write nothing.

    For forms, which show a refusal next to the fields; the service checks again when it
    saves, under the lock.
    """
    _check_new_input(actor, certainty=certainty, verdict=verdict, note=note, sources=sources)
    fresh = Article.objects.select_related("draft").get(pk=article.pk)
    _anchor_on_draft(fresh, block_id=block_id, start=start, end=end, exact=exact)


def create_annotation(
    *, article: Article, actor: Any, block_id: Any, start: Any, end: Any,
    exact: str | None = None, certainty: Any = "", verdict: Any = "", note: Any = "",
    sources: Any = (),
) -> Annotation:
    """Mark a passage of the article's draft and return the new Annotation.

    The quote, prefix and suffix are computed from the draft's block text; `exact`, when
    given, must match. Certainty and verdict may be set only by a reviewer. The initial
    ratings and note are written to the rating history.
    """
    checked = _check_new_input(
        actor, certainty=certainty, verdict=verdict, note=note, sources=sources
    )
    with transaction.atomic():
        locked = _lock_article(article.pk)
        _check_article(locked)
        if certainty or verdict:
            _refuse_direct_rating(locked)
        block_id, start, end, exact, prefix, suffix = _anchor_on_draft(
            locked, block_id=block_id, start=start, end=end, exact=exact
        )
        annotation = Annotation.objects.create(
            article=locked,
            revision=_draft_of(locked),
            block_id=block_id,
            start=start,
            end=end,
            exact=exact,
            prefix=prefix,
            suffix=suffix,
            certainty=checked.certainty,
            verdict=checked.verdict,
            note=checked.note,
            note_html=render_markdown(checked.note),
            author=actor,
        )
        if checked.source_ids:
            annotation.sources.set(checked.source_ids)
        _record_changes(
            annotation, actor=actor, old={},
            new={"certainty": checked.certainty, "verdict": checked.verdict,
                 "note": checked.note},
        )
        _content_changed(locked, actor=actor, reason=f"passage “{_short(exact)}” marked")
    return annotation


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expected(expected_version: Any) -> int:
    if isinstance(expected_version, str) and expected_version.strip().isdigit():
        expected_version = int(expected_version)
    if not isinstance(expected_version, int) or isinstance(expected_version, bool):
        raise AnnotationError(
            {"version": ["Send the version of the annotation your change is based on."]}
        )
    return expected_version


def _lock_annotation(annotation: Annotation, expected_version: int) -> Annotation:
    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if current.version != expected_version:
        raise StaleAnnotation(current)
    return current


def _save_versioned(current: Annotation, expected_version: int, values: dict[str, Any]) -> int:
    """Write `values` only if nobody saved a newer version meanwhile; return the new version."""
    updated = Annotation.objects.filter(pk=current.pk, version=expected_version).update(
        **values, version=F("version") + 1, modified_at=timezone.now()
    )
    if not updated:
        raise StaleAnnotation(Annotation.objects.get(pk=current.pk))
    return expected_version + 1


STATUS_VERBS: dict[str, str] = {
    Annotation.Status.RESOLVED: "resolve", Annotation.Status.OPEN: "reopen",
}


@dataclass
class _PlannedUpdate:
    """What an update will write: column values, new source ids (None: unchanged)."""

    values: dict[str, Any]
    new_sources: list[int] | None


def _check_update_input(changes: dict[str, Any], status: Any) -> None:
    unknown = sorted(set(changes) - CHANGEABLE_FIELDS)
    if unknown:
        raise AnnotationError({name: ["This field cannot be changed."] for name in unknown})
    if status is not None and status not in STATUS_VERBS:
        raise AnnotationError({"status": ["Status must be open or resolved."]})


def _check_status_change(
    article: Article, current: Annotation, *, actor: Any, status: str, after: str,
) -> None:
    """Refuse a resolve or reopen the actor may not make; `after` is the status the other
    changes of the same update leave."""
    verb = STATUS_VERBS[status]
    if not (can_review(actor) or (_is_author(actor, current) and _has(actor, PERM_ANNOTATE))):
        raise AnnotationNotAllowed(f"Only a reviewer or the annotation's author may {verb} it.")
    _check_article(article, current)
    if after == Annotation.Status.ORPHANED:
        raise AnnotationNotAllowed(
            "This annotation is orphaned: place it on the draft's text first.",
            http_status=409,
        )


def _plan_update(
    article: Article, current: Annotation, *, actor: Any, changes: dict[str, Any],
    status: str | None,
) -> _PlannedUpdate:
    """Check an update of `current` (read under the caller's locks, or fresh for a form)
    and return what it writes. Raises the refusal; writes nothing."""
    values: dict[str, Any] = {}
    new_sources = None
    if changes:
        _check_article(article, current)
        errors: dict[str, list[str]] = {}
        if "certainty" in changes:
            value = _clean_choice(changes["certainty"], Annotation.Certainty, "certainty", errors)
            if value != current.certainty:
                values["certainty"] = value
        if "verdict" in changes:
            value = _clean_choice(changes["verdict"], Annotation.Verdict, "verdict", errors)
            if value != current.verdict:
                values["verdict"] = value
        if "note" in changes:
            value = _clean_note(changes["note"], errors)
            if value != current.note:
                values["note"] = value
                values["note_html"] = render_markdown(value)
        if "sources" in changes:
            new_sources = _clean_sources(changes["sources"], errors)
            if new_sources == sorted(current.sources.values_list("pk", flat=True)):
                new_sources = None
        if errors:
            raise AnnotationError(errors)
        anchor_changes = {name: changes[name] for name in ANCHOR_FIELDS if name in changes}
        # Re-computed when the range, the revision or the quote would differ from now.
        anchor_differs = (
            current.revision_id != article.draft_id
            or any(changes[name] != getattr(current, name) for name in anchor_changes)
        )
        if anchor_changes and anchor_differs:
            block_id, start, end, exact, prefix, suffix = compute_anchor(
                _draft_of(article).blocks,
                block_id=anchor_changes.get("block_id", current.block_id),
                start=anchor_changes.get("start", current.start),
                end=anchor_changes.get("end", current.end),
                exact=anchor_changes.get("exact"),
            )
            anchor = {
                "revision_id": article.draft_id, "block_id": block_id, "start": start,
                "end": end, "exact": exact, "prefix": prefix, "suffix": suffix,
            }
            if any(getattr(current, name) != value for name, value in anchor.items()):
                values.update(anchor)
            if current.status == Annotation.Status.ORPHANED:
                values["status"] = Annotation.Status.OPEN
        elif current.status == Annotation.Status.ORPHANED and (values or new_sources is not None):
            raise AnnotationNotAllowed(
                "This annotation is orphaned: place it on the draft's text (block, start, end) "
                "before changing it.",
                http_status=409,
            )

        if "block_id" in values and not _has(actor, PERM_ANNOTATE):
            raise AnnotationNotAllowed("Only editors may move an annotation's passage.")
        if ("certainty" in values or "verdict" in values) and not can_review(actor):
            raise AnnotationNotAllowed("Only reviewers may set the certainty and the verdict.")
        if "certainty" in values or "verdict" in values:
            _refuse_direct_rating(article)
        if "note" in values and not (_is_author(actor, current) or can_review(actor)):
            raise AnnotationNotAllowed(
                "Only the annotation's author or a reviewer may edit its note."
            )
        if new_sources is not None and not _has(actor, PERM_CHANGE):
            raise AnnotationNotAllowed("Only editors and reviewers may change the sources.")
    if status is not None:
        after = values.get("status", current.status)
        _check_status_change(article, current, actor=actor, status=status, after=after)
        if status != after:
            values["status"] = status
    return _PlannedUpdate(values, new_sources)


def _prepare_update(
    changes: dict[str, Any], *, actor: Any, expected_version: Any, status: Any,
) -> int:
    """Check what needs no database: field names, the version, the general permission."""
    if "block" in changes:
        changes.setdefault("block_id", changes.pop("block"))
    _check_update_input(changes, status)
    expected_version = _expected(expected_version)
    if (changes or status is None) and not (_has(actor, PERM_CHANGE)
                                            or _has(actor, PERM_ANNOTATE)):
        raise AnnotationNotAllowed("Only editors and reviewers may change annotations.")
    return expected_version


def check_annotation_update(
    annotation: Annotation, *, actor: Any, expected_version: Any, status: str | None = None,
    **changes: Any,
) -> None:
    """Raise what `update_annotation` would raise for this change, and write nothing.

    For forms, which show a refusal next to the fields; the service checks again when it
    saves, under the locks.
    """
    expected_version = _prepare_update(
        changes, actor=actor, expected_version=expected_version, status=status
    )
    article = Article.objects.select_related("draft").get(pk=annotation.article_id)
    current = Annotation.objects.get(pk=annotation.pk)
    if current.version != expected_version:
        raise StaleAnnotation(current)
    _plan_update(article, current, actor=actor, changes=changes, status=status)


def update_annotation(
    annotation: Annotation, *, actor: Any, expected_version: Any, status: str | None = None,
    **changes: Any,
) -> Annotation:
    """Change an annotation's anchor, ratings, note, sources or status and return it,
    refreshed. One transaction, one new version.

    `changes` may hold block_id (or block), start, end, exact, certainty, verdict, note and
    sources (ids). Fields sent with their current value are not changes. Moving the anchor
    re-computes the quote on the draft (an orphaned annotation is re-attached this way).
    `status` ("open" or "resolved") reopens or resolves it, after the other changes: a
    reviewer or the annotation's author may. Raises StaleAnnotation when `expected_version`
    is not the current version, and any refusal before anything is written.
    """
    expected_version = _prepare_update(
        changes, actor=actor, expected_version=expected_version, status=status
    )
    with transaction.atomic():
        article = _lock_article(annotation.article_id)
        current = _lock_annotation(annotation, expected_version)
        plan = _plan_update(article, current, actor=actor, changes=changes, status=status)
        values, new_sources = plan.values, plan.new_sources
        if not values and new_sources is None:
            return current
        _save_versioned(current, expected_version, values)
        if new_sources is not None:
            current.sources.set(new_sources)
        _record_changes(
            current, actor=actor, old={name: getattr(current, name) for name in RATED_FIELDS},
            new={name: values[name] for name in RATED_FIELDS if name in values},
        )
        changed = {name for name in values if name not in INTERNAL_FIELDS}
        if new_sources is not None:
            changed.add("sources")
        if changed == {"status"} and status is not None and not changes:
            reason = f"annotation “{_short(current.exact)}” {STATUS_VERBS[status]}d"
        else:
            reason = (f"annotation “{_short(current.exact)}” changed "
                      f"({', '.join(sorted(changed))})")
        _content_changed(article, actor=actor, reason=reason)
    return Annotation.objects.get(pk=current.pk)


def resolve_annotation(
    annotation: Annotation, *, actor: Any, expected_version: Any,
) -> Annotation:
    """Mark an annotation resolved (a reviewer or its author) and return it."""
    return update_annotation(
        annotation, actor=actor, expected_version=expected_version,
        status=Annotation.Status.RESOLVED,
    )


def reopen_annotation(
    annotation: Annotation, *, actor: Any, expected_version: Any,
) -> Annotation:
    """Open a resolved annotation again (a reviewer or its author) and return it."""
    return update_annotation(
        annotation, actor=actor, expected_version=expected_version,
        status=Annotation.Status.OPEN,
    )


def delete_annotation(
    annotation: Annotation, *, actor: Any, expected_version: Any = None,
) -> None:
    """Delete an annotation that has never been published.

    Editors may delete any unpublished annotation, others only their own. A published one is
    refused: resolve it instead, so readers' links and the record stay intact. With
    `expected_version`, a newer version (someone changed it since) raises StaleAnnotation,
    checked under the lock, and nothing is deleted.
    """
    expected = None if expected_version is None else _expected(expected_version)
    with transaction.atomic():
        article = _lock_article(annotation.article_id)
        current = (
            Annotation.objects.select_for_update().get(pk=annotation.pk)
            if expected is None else _lock_annotation(annotation, expected)
        )
        if not (_has(actor, PERM_DELETE) or (_is_author(actor, current)
                                             and _has(actor, PERM_ANNOTATE))):
            raise AnnotationNotAllowed("Only editors or the annotation's author may delete it.")
        if current.first_published_at is not None:
            raise AnnotationNotAllowed(
                "This annotation has been published and cannot be deleted; resolve it instead.",
                http_status=409,
            )
        _check_article(article, current)
        exact = current.exact
        current.delete()
        _content_changed(article, actor=actor, reason=f"annotation “{_short(exact)}” deleted")


# Review comments ---------------------------------------------------------------------------


def can_comment(actor: Any) -> bool:
    """Return whether `actor` may start a review thread or reply in one."""
    return _has(actor, PERM_COMMENT)


def can_resolve_comment(actor: Any, comment: ReviewComment) -> bool:
    """Return whether `actor` may resolve or reopen the thread `comment` starts.

    Any reviewer may, and so may the comment's author while they may still comment.
    """
    return can_review(actor) or (
        can_comment(actor) and comment.author_id is not None
        and comment.author_id == actor.pk
    )


def _clean_body(body: Any) -> str:
    if not isinstance(body, str) or not body.replace("\x00", "").strip():
        raise AnnotationError({"body": ["Write a comment."]})
    if len(body) > MAX_COMMENT_CHARS:
        raise AnnotationError({"body": [f"A comment has at most {MAX_COMMENT_CHARS} characters."]})
    return body.replace("\x00", "").strip()


def _check_commentable(article: Article, verb: str) -> None:
    if article.state == Article.State.ARCHIVED:
        raise AnnotationNotAllowed(
            f"The article is archived; restore it before {verb}.", http_status=409
        )


def _thread_root(annotation: Annotation, reply_to: Any) -> ReviewComment:
    """Return the locked first comment of the thread `reply_to` (a comment or its id) is in."""
    reply_to_id = getattr(reply_to, "pk", reply_to)
    target = (
        ReviewComment.objects.select_for_update()
        .filter(pk=reply_to_id, annotation_id=annotation.pk)
        .first()
        if isinstance(reply_to_id, int) and not isinstance(reply_to_id, bool)
        else None
    )
    if target is None:
        raise AnnotationError(
            {"reply_to": ["Reply to a comment of this annotation's review thread."]}
        )
    if target.parent_id is None:
        return target
    return ReviewComment.objects.select_for_update().get(pk=target.parent_id)


def add_comment(
    annotation: Annotation, *, actor: Any, body: Any, reply_to: Any = None,
) -> ReviewComment:
    """Add an internal review comment under the annotation and return it. Never public.

    Without `reply_to` the comment starts a thread, which holds back approval until it is
    resolved. With `reply_to` (a comment of the same annotation, or its id) it is a reply in
    that comment's thread; a resolved thread takes no reply until it is reopened.
    """
    if not can_comment(actor):
        raise AnnotationNotAllowed("Only editors and reviewers may comment.")
    body = _clean_body(body)
    with transaction.atomic():
        article = _lock_article(annotation.article_id)
        _check_commentable(article, "commenting")
        parent = None
        if reply_to is not None:
            parent = _thread_root(annotation, reply_to)
            if parent.resolved_at is not None:
                raise AnnotationNotAllowed(
                    f"Comment {parent.pk}'s thread is resolved; reopen it to reply.",
                    http_status=409,
                )
        comment = ReviewComment.objects.create(
            annotation=annotation, parent=parent, author=actor, body=body
        )
        where = f"on annotation {annotation.pk} “{_short(annotation.exact)}”"
        _record_event(
            article, actor=actor, action="review_comment_added",
            comment=f"Review comment {comment.pk} {where}"
            + (f", a reply in comment {parent.pk}'s thread." if parent else ", a new thread."),
        )
    return comment


def _change_thread(comment: ReviewComment, *, actor: Any, resolve: bool) -> ReviewComment:
    verb, verbing, done = (
        ("resolve", "resolving", "resolved") if resolve else ("reopen", "reopening", "reopened")
    )
    with transaction.atomic():
        article = _lock_article(comment.annotation.article_id)
        # `of=("self",)`: PostgreSQL cannot lock the nullable side of the join to resolved_by.
        current = (
            ReviewComment.objects.select_for_update(of=("self",))
            .select_related("annotation", "resolved_by")
            .get(pk=comment.pk)
        )
        if current.parent_id is not None:
            raise AnnotationNotAllowed(
                f"This is a reply; {verb} its thread (comment {current.parent_id}) instead.",
                http_status=409,
            )
        if not can_resolve_comment(actor, current):
            raise AnnotationNotAllowed(
                f"Only a reviewer or the comment's author may {verb} it."
            )
        _check_commentable(article, f"{verbing} review comments")
        if resolve and current.resolved_at is not None:
            who = current.resolved_by.get_username() if current.resolved_by else "someone"
            raise AnnotationNotAllowed(
                f"Comment {current.pk} was already resolved by {who}.", http_status=409
            )
        if not resolve and current.resolved_at is None:
            raise AnnotationNotAllowed(f"Comment {current.pk} is not resolved.", http_status=409)
        current.resolved_at = timezone.now() if resolve else None
        current.resolved_by = actor if resolve else None
        current.save(update_fields=["resolved_at", "resolved_by"])
        _record_event(
            article, actor=actor, action=f"comment_{done}",
            comment=f"Review comment {current.pk} on annotation {current.annotation_id} "
            f"“{_short(current.annotation.exact)}” {done}.",
        )
    return current


def _record_event(article: Article, *, actor: Any, action: str, comment: str) -> None:
    record_event(article, actor=actor, action=action, comment=comment)


def resolve_comment(comment: ReviewComment, *, actor: Any) -> ReviewComment:
    """Resolve the thread `comment` starts and return it.

    A reviewer or the comment's author may; a reply is refused (its thread is resolved as a
    whole), and so is a thread already resolved. Writes `comment_resolved` to the article's
    audit log. The thread stays in the history, marked resolved.
    """
    return _change_thread(comment, actor=actor, resolve=True)


def reopen_comment(comment: ReviewComment, *, actor: Any) -> ReviewComment:
    """Open a resolved thread again and return its first comment.

    The same people as for resolving may (a reviewer or the comment's author). Writes
    `comment_reopened` to the article's audit log; the thread then holds back approval again.
    """
    return _change_thread(comment, actor=actor, resolve=False)


def comment_html(comment: ReviewComment) -> str:
    """Return a review comment's body as safe HTML (Markdown, sanitised)."""
    return render_markdown(comment.body)


@dataclass
class ReviewThread:
    """A thread as the admin and the annotator show it: its first comment, the replies, each
    with its safe HTML, and whether the viewer may resolve or reopen it."""

    comment: ReviewComment
    html: str
    can_change: bool
    replies: list[tuple[ReviewComment, str]] = field(default_factory=list)

    @property
    def is_resolved(self) -> bool:
        return self.comment.resolved_at is not None


def review_threads(
    annotation_ids: Iterable[int], *, viewer: Any,
) -> dict[int, list["ReviewThread"]]:
    """Return {annotation id: [ReviewThread]} for the given annotations, in one query.

    Resolved threads are included (the history stays readable); threads are oldest first,
    replies oldest first under their thread.
    """
    threads: dict[int, list[ReviewThread]] = {}
    by_id: dict[int, ReviewThread] = {}
    comments = (
        ReviewComment.objects.filter(annotation_id__in=list(annotation_ids))
        .select_related("author", "resolved_by")
        .in_thread_order()
    )
    for comment in comments:
        if comment.parent_id is None:
            thread = ReviewThread(
                comment=comment, html=comment_html(comment),
                can_change=can_resolve_comment(viewer, comment),
            )
            by_id[comment.pk] = thread
            threads.setdefault(comment.annotation_id, []).append(thread)
        elif comment.parent_id in by_id:
            by_id[comment.parent_id].replies.append((comment, comment_html(comment)))
    return threads
