"""The editorial workflow: every change of an article's state, and every edit of its content.

`draft → in_review → approved → published`, plus `changes_requested`, `unpublished` and
`archived`. Each transition is one function that checks the actor's permission, the state and
the rule, locks the article row, writes one WorkflowEvent and raises a `WorkflowError` whose
message names the rule. The admin, the API and the management commands call these functions
(usually through `perform`) and never repeat a rule.

Approval pins `approval_fingerprint(article)`: a sha256 of the draft revision's content, its
annotations and its citations, and of the article's tags and slug (the public sees those too:
topic pages and the address). Any later change withdraws the approval (`content_changed`) and
publishing checks the fingerprint again, so what was reviewed is exactly what gets published.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from articles.blocks import BlockError, clean_blocks
from articles.models import Article, Publication, ReviewAssignment, Revision, WorkflowEvent
from claims.gates import unconfirmed_link_failures
from pagecache.generation import purge_public_pages

State = Article.State

PERM_SUBMIT = "articles.submit_article"
PERM_REVIEW = "articles.review_article"
PERM_PUBLISH = "articles.publish_article"
PERM_EDIT = "articles.change_article"
PERM_ASSIGN = "articles.add_reviewassignment"


# Errors -------------------------------------------------------------------------------------


class WorkflowError(Exception):
    """A workflow rule refused the change. The message names the rule; nothing was changed."""

    code = "workflow_error"
    http_status = 409

    def __init__(self, message):
        self.message = message
        super().__init__(message)


class NotAllowed(WorkflowError):
    """The actor lacks the role or falls foul of a personal rule (four-eyes, authorship)."""

    code = "not_allowed"
    http_status = 403


class WrongState(WorkflowError):
    """The article's state does not allow this action."""

    code = "wrong_state"
    http_status = 409


class GateFailed(WorkflowError):
    """A gate found items to fix first; `failures` lists every one of them."""

    code = "gate_failed"
    http_status = 409

    def __init__(self, message, failures):
        self.failures = list(failures)
        super().__init__(f"{message}: " + "; ".join(self.failures))


class StaleRevision(WorkflowError):
    """The edit was based on an older revision; `current` is the newer one. Nothing was saved."""

    code = "stale_revision"
    http_status = 409

    def __init__(self, message, current):
        self.current = current
        super().__init__(message)


class InvalidInput(WorkflowError):
    """The input itself is wrong (empty title, a missing comment). `errors` maps field → list."""

    code = "invalid"
    http_status = 400

    def __init__(self, message, errors=None):
        self.errors = errors or {}
        super().__init__(message)


# Reading helpers ----------------------------------------------------------------------------


def _has_perm(user, perm):
    return bool(user and user.is_active and user.has_perm(perm))


def is_author(article, user):
    """True when `user` created the article, wrote any of its revisions or is its editor."""
    if user is None or not user.pk:
        return False
    if article.created_by_id == user.pk or article.assigned_editor_id == user.pk:
        return True
    return article.revisions.filter(author=user).exists()


def last_published_revision_number(article):
    """Return the revision number of the most recent publication, or 0 if never published."""
    publication = article.publications.order_by("-number").select_related("revision").first()
    return publication.revision.number if publication else 0


def wrote_revision_under_review(article, user):
    """True when `user` wrote any revision since the last publication (four-eyes)."""
    if user is None or not user.pk:
        return False
    since = last_published_revision_number(article)
    return article.revisions.filter(number__gt=since, author=user).exists()


def _annotations_of(revision):
    from evidence.models import Annotation

    return Annotation.objects.filter(revision=revision)


def approval_fingerprint(article):
    """Return the sha256 of the draft's content, its annotations and its citations, and of
    the article's tags and slug.

    Tags and slug are frozen into the publication with the text: they put the article on
    topic pages and give its address, so a reviewer approves them with the rest.
    """
    from evidence.annotations import annotation_fingerprint_data

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
        "annotations": annotation_fingerprint_data(_annotations_of(revision)),
        "citations": citations,
        "tags": sorted(article.tags.names()),
        "slug": article.slug,
    }
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


# Gates --------------------------------------------------------------------------------------


def submit_gate(article):
    """Return every reason the article cannot be submitted yet (empty: it can)."""
    failures = []
    if not article.review_assignments.exists():
        failures.append("assign at least one reviewer")
    revision = article.draft
    if revision is None:
        failures.append("the article has no content")
        return failures
    if revision.title_is_provisional:
        failures.append("confirm or replace the provisional title")
    if not revision.title.strip():
        failures.append("give the article a title")
    if not revision.summary.strip():
        failures.append("write a summary")
    return failures


def live_article_at(slug, *, exclude=None):
    """Return the other article whose live page is at /articles/`slug`/, or None.

    A publication keeps the address it was published at until its article is published
    again, so an article may hold an address its current slug no longer names.
    """
    publications = Publication.objects.live().filter(slug=slug).select_related("article")
    if exclude is not None and exclude.pk:
        publications = publications.exclude(article=exclude)
    publication = publications.first()
    return publication.article if publication else None


def approve_gate(article):
    """Return every reason the draft cannot be approved (or published) yet."""
    from evidence.models import Annotation, ReviewComment

    failures = []
    revision = article.draft
    if revision is None:
        return ["the article has no content"]
    holder = live_article_at(article.slug, exclude=article)
    if holder is not None:
        failures.append(
            f"the address /articles/{article.slug}/ is still the live page of “{holder}”; "
            "choose another slug"
        )
    annotations = _annotations_of(revision)
    for annotation in annotations.filter(status=Annotation.Status.OPEN):
        ratings = (("certainty", annotation.certainty), ("verdict", annotation.verdict))
        missing = [label for label, value in ratings if not value]
        if missing:
            failures.append(
                f"rate the {' and '.join(missing)} of annotation {annotation.pk} "
                f"“{annotation.exact[:60]}”"
            )
    # Orphans stay on the revision they lost their place in, so look across the article.
    orphans = Annotation.objects.filter(article=article, status=Annotation.Status.ORPHANED)
    for annotation in orphans.order_by("pk"):
        failures.append(
            f"re-anchor or resolve orphaned annotation {annotation.pk} “{annotation.exact[:60]}”"
        )
    unresolved = (
        ReviewComment.objects.unresolved()
        .filter(annotation__revision=revision)
        .select_related("annotation")
        .order_by("annotation_id", "pk")
    )
    for comment in unresolved:
        failures.append(
            f"resolve the review comment {comment.pk} on annotation {comment.annotation_id}"
        )
    # A passage linked to a registered claim counts as rated only once a reviewer confirmed
    # the claim's rating (or their own) for it.
    failures.extend(unconfirmed_link_failures(revision))
    return failures


# Transitions --------------------------------------------------------------------------------


def _after_lock(locked):
    """Do nothing. Called inside the locked section, right after the row lock is taken.

    A test hook and no more: the concurrency tests replace it to hold the race window open
    (the first caller waits here until the other is blocked on the lock or has got past it
    too), so that a missing lock fails the test on every run instead of on an unlucky one.
    """


def _lock(article):
    """Lock the article row for this transaction and return a fresh copy of it."""
    # No select_related("draft"): a caller that waited for the lock would get the draft row
    # joined from before the wait (PostgreSQL re-checks only the locked row), so it would
    # not see the revision the holder saved. The draft loads on first use, after the lock.
    locked = Article.objects.select_for_update().get(pk=article.pk)
    _after_lock(locked)
    return locked


def _record(article, *, actor, action, from_state, comment="", revision=None):
    return WorkflowEvent.objects.create(
        article=article,
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        from_state=from_state,
        to_state=article.state,
        revision=revision if revision is not None else article.draft,
        comment=comment,
    )


def record_event(article, *, actor, action, comment=""):
    """Write one row to the article's audit log for a change that is not a transition (the
    state stays as it is), such as a review thread resolved. Return the WorkflowEvent."""
    return _record(article, actor=actor, action=action, from_state=article.state,
                   comment=comment)


def _sync(target, source):
    """Copy the saved state of `source` onto the caller's object so it sees the change."""
    for field in Article._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    for cached in ("draft", "live", "approved_revision"):
        target._state.fields_cache.pop(cached, None)
    return target


def _require_perm(actor, perm, what):
    if not _has_perm(actor, perm):
        raise NotAllowed(f"Only {what} may do this.")


def _require_state(article, allowed, action):
    if article.state not in allowed:
        names = ", ".join(State(s).label.lower() for s in allowed)
        raise WrongState(
            f"Cannot {action.replace('_', ' ')} an article that is "
            f"{State(article.state).label.lower()}; it must be {names}."
        )


def _require_comment(comment, action):
    if not (comment or "").strip():
        raise InvalidInput(
            f"A comment is required to {action.replace('_', ' ')}.",
            {"comment": ["A comment is required."]},
        )


def _check_publish_at(publish_at):
    if publish_at is not None and timezone.is_naive(publish_at):
        raise InvalidInput(
            "The publication time needs a time zone.", {"publish_at": ["Give a time zone."]}
        )


def _on_commit(callback):
    transaction.on_commit(callback)


def _notify(name, article, **kwargs):
    from articles import notifications

    function = getattr(notifications, name)
    article_id = article.pk
    _on_commit(lambda: function(article_id=article_id, **kwargs))


def submit(article, *, actor, comment="", publish_at=None):
    """Send the draft to review. Editors who wrote it or are its assigned editor may."""
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_SUBMIT, "editors")
        _require_state(locked, [State.DRAFT, State.CHANGES_REQUESTED], "submit")
        if not actor.is_superuser and not is_author(locked, actor):
            raise NotAllowed(
                "Only an author of this article or its assigned editor may submit it."
            )
        failures = submit_gate(locked)
        if failures:
            raise GateFailed("The article is not ready for review", failures)
        from_state = locked.state
        locked.state = State.IN_REVIEW
        locked.save(update_fields=["state", "updated_at"])
        _record(locked, actor=actor, action="submit", from_state=from_state, comment=comment)
        _notify("notify_submitted", locked, actor_id=actor.pk, comment=comment)
    return _sync(article, locked)


def request_changes(article, *, actor, comment="", publish_at=None):
    """Send the article back to its editors with a comment saying what to change."""
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_REVIEW, "reviewers")
        _require_state(locked, [State.IN_REVIEW], "request_changes")
        _require_comment(comment, "request changes")
        from_state = locked.state
        locked.state = State.CHANGES_REQUESTED
        locked.save(update_fields=["state", "updated_at"])
        _record(locked, actor=actor, action="request_changes", from_state=from_state,
                comment=comment)
        _notify("notify_changes_requested", locked, actor_id=actor.pk, comment=comment)
    return _sync(article, locked)


def _check_four_eyes(article, actor):
    if actor.is_superuser and settings.KETASITE_ALLOW_SELF_APPROVAL:
        return
    if wrote_revision_under_review(article, actor):
        raise NotAllowed(
            "Four-eyes rule: you wrote a revision under review, so another reviewer must "
            "approve it."
        )


def approve(article, *, actor, comment="", publish_at=None):
    """Approve the draft and pin its fingerprint. `publish_at` proposes a publication time;
    it is scheduled when the approver may also publish."""
    _check_publish_at(publish_at)
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_REVIEW, "reviewers")
        _require_state(locked, [State.IN_REVIEW], "approve")
        _check_four_eyes(locked, actor)
        failures = approve_gate(locked)
        if failures:
            raise GateFailed("The draft cannot be approved yet", failures)
        from_state = locked.state
        locked.state = State.APPROVED
        locked.approved_revision = locked.draft
        locked.approval_fingerprint = approval_fingerprint(locked)
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.publish_at = publish_at
        locked.publish_scheduled_by = (
            actor if publish_at is not None and _has_perm(actor, PERM_PUBLISH) else None
        )
        locked.save(
            update_fields=[
                "state", "approved_revision", "approval_fingerprint", "approved_by",
                "approved_at", "publish_at", "publish_scheduled_by", "updated_at",
            ]
        )
        _record(locked, actor=actor, action="approve", from_state=from_state, comment=comment)
        _notify("notify_approved", locked, actor_id=actor.pk, comment=comment)
    return _sync(article, locked)


def _check_approval_holds(locked):
    if locked.approval_fingerprint != approval_fingerprint(locked):
        raise GateFailed(
            "The approval no longer holds",
            ["the content or its annotations changed after approval; review it again"],
        )


def _publish_now(locked, *, actor, comment, now):
    """Freeze the approved draft into a Publication and make it live. The row is locked."""
    from articles.publishing import PUBLISHED_STATUSES, freeze_publication
    from evidence.models import Annotation

    _check_approval_holds(locked)
    failures = approve_gate(locked)
    if failures:
        raise GateFailed("The draft cannot be published", failures)
    publication = freeze_publication(
        locked, actor=actor, published_at=now, change_note=comment
    )
    from_state = locked.state
    locked.live = publication
    locked.state = State.PUBLISHED
    locked.first_published_at = locked.first_published_at or now
    locked.last_published_at = now
    locked.review_due = (
        timezone.localdate(now) + timedelta(days=settings.KETASITE_REVIEW_INTERVAL_DAYS)
    )
    locked.publish_at = None
    locked.publish_scheduled_by = None
    locked.save(
        update_fields=[
            "live", "state", "first_published_at", "last_published_at", "review_due",
            "publish_at", "publish_scheduled_by", "updated_at",
        ]
    )
    # Every annotation the publication shows is now public: it can be resolved, not deleted.
    Annotation.objects.filter(
        revision=locked.draft, status__in=PUBLISHED_STATUSES, first_published_at__isnull=True
    ).update(first_published_at=now)
    _record(locked, actor=actor, action="publish", from_state=from_state, comment=comment)
    purge_public_pages()
    return publication


def publish(article, *, actor, comment="", publish_at=None):
    """Publish the approved draft now, or schedule it when `publish_at` is in the future."""
    _check_publish_at(publish_at)
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_PUBLISH, "publishers")
        _require_state(locked, [State.APPROVED], "publish")
        now = timezone.now()
        if publish_at is not None and publish_at > now:
            _check_approval_holds(locked)
            locked.publish_at = publish_at
            locked.publish_scheduled_by = actor
            locked.save(update_fields=["publish_at", "publish_scheduled_by", "updated_at"])
            when = timezone.localtime(publish_at).strftime("%Y-%m-%d %H:%M %Z")
            note = f"Scheduled for {when}." + (f" {comment}" if comment else "")
            _record(locked, actor=actor, action="schedule", from_state=locked.state,
                    comment=note)
        else:
            _publish_now(locked, actor=actor, comment=comment, now=now)
    return _sync(article, locked)


def _unpublish_now(locked, *, actor, comment, action="unpublish"):
    from_state = locked.state
    locked.live = None
    if locked.state == State.PUBLISHED:
        locked.state = State.UNPUBLISHED
    locked.unpublish_at = None
    locked.unpublish_scheduled_by = None
    locked.save(
        update_fields=["live", "state", "unpublish_at", "unpublish_scheduled_by", "updated_at"]
    )
    _record(locked, actor=actor, action=action, from_state=from_state, comment=comment)
    purge_public_pages()


def unpublish(article, *, actor, comment="", publish_at=None, unpublish_at=None):
    """Take the live publication down (the page answers 410), now or at `unpublish_at`.

    Allowed whenever the article has a live publication. A draft being worked on keeps its
    state; a published article becomes unpublished. For `perform`, `publish_at` is the time.
    """
    when = unpublish_at or publish_at
    _check_publish_at(when)
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_PUBLISH, "publishers")
        if locked.live_id is None:
            raise WrongState("Cannot unpublish an article that has no live publication.")
        _require_comment(comment, "unpublish")
        if when is not None and when > timezone.now():
            locked.unpublish_at = when
            locked.unpublish_scheduled_by = actor
            locked.save(update_fields=["unpublish_at", "unpublish_scheduled_by", "updated_at"])
            stamp = timezone.localtime(when).strftime("%Y-%m-%d %H:%M %Z")
            _record(locked, actor=actor, action="schedule_unpublish", from_state=locked.state,
                    comment=f"Take-down scheduled for {stamp}. {comment}")
        else:
            _unpublish_now(locked, actor=actor, comment=comment)
    return _sync(article, locked)


def archive(article, *, actor, comment="", publish_at=None):
    """Archive the article; a live publication is taken down with it."""
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_PUBLISH, "publishers")
        if locked.state in (State.IN_REVIEW, State.ARCHIVED):
            raise WrongState(
                f"Cannot archive an article that is {State(locked.state).label.lower()}; "
                "finish or withdraw the review first."
                if locked.state == State.IN_REVIEW
                else "The article is already archived."
            )
        from_state = locked.state
        had_live = locked.live_id is not None
        locked.state = State.ARCHIVED
        locked.live = None
        locked.publish_at = None
        locked.publish_scheduled_by = None
        locked.unpublish_at = None
        locked.unpublish_scheduled_by = None
        locked.save(
            update_fields=[
                "state", "live", "publish_at", "publish_scheduled_by", "unpublish_at",
                "unpublish_scheduled_by", "updated_at",
            ]
        )
        _record(locked, actor=actor, action="archive", from_state=from_state, comment=comment)
        if had_live:
            purge_public_pages()
    return _sync(article, locked)


def restore(article, *, actor, comment="", publish_at=None):
    """Bring an archived article back as a draft (not public until published again)."""
    with transaction.atomic():
        locked = _lock(article)
        _require_perm(actor, PERM_PUBLISH, "publishers")
        _require_state(locked, [State.ARCHIVED], "restore")
        from_state = locked.state
        locked.state = State.DRAFT
        locked.save(update_fields=["state", "updated_at"])
        _record(locked, actor=actor, action="restore", from_state=from_state, comment=comment)
    return _sync(article, locked)


ACTIONS = {
    "submit": submit,
    "request_changes": request_changes,
    "approve": approve,
    "publish": publish,
    "unpublish": unpublish,
    "archive": archive,
    "restore": restore,
}

ACTION_LABELS = {
    "submit": "Submit for review",
    "request_changes": "Request changes",
    "approve": "Approve",
    "publish": "Publish",
    "unpublish": "Unpublish",
    "archive": "Archive",
    "restore": "Restore",
}


def perform(article, *, action, actor, comment="", publish_at=None):
    """Run the transition called `action`; unknown names raise InvalidInput."""
    function = ACTIONS.get(action)
    if function is None:
        raise InvalidInput(
            f"Unknown action {str(action)[:40]!r}; use one of {', '.join(ACTIONS)}.",
            {"action": [f"Use one of {', '.join(ACTIONS)}."]},
        )
    return function(article, actor=actor, comment=comment, publish_at=publish_at)


def allowed_actions(article, user):
    """Return the actions `user` may try on `article` now, by role, state and personal rules.

    Gates (missing ratings, no reviewer) are not checked here: the action reports them.
    """
    if user is None or not user.is_active:
        return []
    state = article.state
    actions = []
    if (
        state in (State.DRAFT, State.CHANGES_REQUESTED)
        and _has_perm(user, PERM_SUBMIT)
        and (user.is_superuser or is_author(article, user))
    ):
        actions.append("submit")
    if state == State.IN_REVIEW and _has_perm(user, PERM_REVIEW):
        actions.append("request_changes")
        four_eyes_ok = (
            user.is_superuser and settings.KETASITE_ALLOW_SELF_APPROVAL
        ) or not wrote_revision_under_review(article, user)
        if four_eyes_ok:
            actions.append("approve")
    if _has_perm(user, PERM_PUBLISH):
        if state == State.APPROVED:
            actions.append("publish")
        if article.live_id is not None:
            actions.append("unpublish")
        if state not in (State.IN_REVIEW, State.ARCHIVED):
            actions.append("archive")
        if state == State.ARCHIVED:
            actions.append("restore")
    return actions


# Content changes ----------------------------------------------------------------------------


def content_changed(article, *, actor, reason):
    """Withdraw an approval that no longer matches the content, saying why.

    Call after any change to the draft's content, annotations or citations. An approved
    article whose fingerprint changed goes back to `in_review`; a published or unpublished
    one becomes a draft (a live publication stays up until the next publish).
    Returns the article, updated.
    """
    with transaction.atomic():
        locked = _lock(article)
        from_state = locked.state
        if from_state not in (State.APPROVED, State.PUBLISHED, State.UNPUBLISHED):
            return _sync(article, locked)
        if from_state != State.UNPUBLISHED and (
            locked.approval_fingerprint == approval_fingerprint(locked)
        ):
            return _sync(article, locked)
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
        _record(locked, actor=actor, action=action, from_state=from_state, comment=comment)
    return _sync(article, locked)


def _clean_title(title, errors):
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ["A title is required."]
        return ""
    title = " ".join(title.split())
    if len(title) > 300:
        errors["title"] = ["A title has at most 300 characters."]
    return title


def save_revision(
    article, *, actor, base_number, title=None, summary=None, blocks=None, tags=None,
    message="", title_is_provisional=None,
):
    """Save an edit as a new revision based on revision `base_number`.

    Never overwrites: if someone saved a newer revision in between, raises StaleRevision with
    it and saves nothing. Open annotations and citations are carried forward to the new
    revision. Returns the new revision, or the current one when only tags (or nothing)
    changed. Tags are part of what is approved: a change of tags alone withdraws an approval
    like a change of text (`content_changed`). `actor=None` is the system (imports from the
    command line). A person who saves a title confirms it (`title_is_provisional` False)
    unless told otherwise.
    """
    if actor is not None and not _has_perm(actor, PERM_EDIT):
        raise NotAllowed("Only editors may edit an article's content.")
    errors = {}
    if title is not None:
        title = _clean_title(title, errors)
    if summary is not None and not isinstance(summary, str):
        errors["summary"] = ["The summary must be text."]
    if blocks is not None:
        try:
            blocks = clean_blocks(blocks)
        except BlockError as error:
            errors["blocks"] = error.errors
    if tags is not None and (
        isinstance(tags, str) or not all(isinstance(t, str) and t.strip() for t in tags)
    ):
        errors["tags"] = ["Tags must be a list of non-empty names."]
    if errors:
        raise InvalidInput("The edit was not saved: " + " ".join(
            message for messages in errors.values() for message in messages
        ), errors)

    with transaction.atomic():
        locked = _lock(article)
        if locked.state == State.ARCHIVED:
            raise WrongState("An archived article cannot be edited; restore it first.")
        current = locked.draft
        current_number = current.number if current else 0
        if base_number != current_number:
            raise StaleRevision(
                f"Someone saved revision {current_number} after revision {base_number} you "
                "edited; compare your text with theirs and save again.",
                current,
            )
        tags_changed = False
        if tags is not None:
            old_tags = sorted(locked.tags.names())
            locked.tags.set([t.strip()[:100] for t in tags])
            tags_changed = sorted(locked.tags.names()) != old_tags
        new_title = title if title is not None else (current.title if current else "")
        new_summary = summary if summary is not None else (current.summary if current else "")
        new_blocks = blocks if blocks is not None else (current.blocks if current else [])
        inherited = bool(current and current.title_is_provisional)
        if title_is_provisional is not None:
            provisional = bool(title_is_provisional)
        elif title is None or (actor is None and current and new_title == current.title):
            provisional = inherited
        else:
            # A person who saves the title has confirmed it.
            provisional = False
        if current is not None and (
            new_title == current.title
            and new_summary == current.summary
            and new_blocks == current.blocks
            and provisional == current.title_is_provisional
        ):
            if tags_changed:
                content_changed(article, actor=actor, reason="tags changed")
            return current
        revision = Revision.objects.create(
            article=locked,
            number=current_number + 1,
            parent=current,
            title=new_title,
            title_is_provisional=provisional,
            summary=new_summary,
            blocks=new_blocks,
            author=actor,
            message=(message or "")[:500],
        )
        locked.draft = revision
        locked.save(update_fields=["draft", "updated_at"])
        if current is not None:
            _carry_forward(current, revision)
        _sync(article, locked)
        content_changed(article, actor=actor, reason=f"revision {revision.number} saved")
    return revision


def _carry_forward(old_revision, new_revision):
    from evidence.anchoring import carry_forward_annotations
    from evidence.sources import copy_citations

    carry_forward_annotations(old_revision=old_revision, new_revision=new_revision)
    copy_citations(old_revision=old_revision, new_revision=new_revision)


def restore_revision(article, *, actor, number):
    """Save the content of revision `number` as a new draft revision."""
    old = article.revisions.filter(number=number).first()
    if old is None:
        raise InvalidInput(f"There is no revision {number} of this article.",
                           {"number": ["No such revision."]})
    current_number = article.draft.number if article.draft_id else 0
    return save_revision(
        article, actor=actor, base_number=current_number, title=old.title,
        summary=old.summary, blocks=old.blocks, message=f"Restored revision {number}.",
    )


# Review management --------------------------------------------------------------------------


def assign_reviewers(article, *, actor, reviewers, due=None):
    """Make `reviewers` (users or usernames, all Reviewers) the article's reviewers.

    Replaces the previous set; keeps the assignment time of those who stay. Newly assigned
    reviewers of an article already in review are notified. Returns the assignments.
    """
    _require_perm(actor, PERM_ASSIGN, "editors and publishers")
    User = get_user_model()
    if isinstance(reviewers, (str, User)):
        reviewers = [reviewers]
    users, errors = [], []
    for item in reviewers or ():
        user = item if isinstance(item, User) else User.objects.filter(
            username=str(item)[:150]
        ).first()
        if user is None:
            errors.append(f"There is no user {str(item)[:150]!r}.")
        elif not _has_perm(user, PERM_REVIEW):
            errors.append(f"{user.get_username()} is not a reviewer.")
        elif user not in users:
            users.append(user)
    if not users and not errors:
        errors.append("Assign at least one reviewer.")
    if errors:
        raise InvalidInput(" ".join(errors), {"reviewers": errors})
    with transaction.atomic():
        locked = _lock(article)
        if locked.state == State.ARCHIVED:
            raise WrongState("An archived article cannot be assigned reviewers.")
        existing = {a.reviewer_id: a for a in locked.review_assignments.all()}
        locked.review_assignments.exclude(reviewer__in=users).delete()
        added = []
        for user in users:
            assignment = existing.get(user.pk)
            if assignment is None:
                ReviewAssignment.objects.create(
                    article=locked, reviewer=user, due=due, assigned_by=actor
                )
                added.append(user.pk)
            elif assignment.due != due:
                assignment.due = due
                assignment.save(update_fields=["due"])
        names = ", ".join(u.get_username() for u in users)
        due_text = f", due {due:%Y-%m-%d}" if due else ""
        _record(locked, actor=actor, action="assign_reviewers", from_state=locked.state,
                comment=f"Reviewers: {names}{due_text}.")
        if added and locked.state == State.IN_REVIEW:
            _notify("notify_submitted", locked, actor_id=actor.pk, comment="",
                    reviewer_ids=added)
    return list(article.review_assignments.select_related("reviewer"))


# Scheduling ---------------------------------------------------------------------------------


def _due_ids(queryset):
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def _lock_if_free(pk):
    """Lock article `pk`, skipping it if another worker holds it (PostgreSQL)."""
    queryset = Article.objects.select_related("draft")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    else:
        queryset = queryset.select_for_update(of=("self",))
    locked = queryset.filter(pk=pk).first()
    if locked is not None:
        _after_lock(locked)
    return locked


def publish_due(*, now=None):
    """Publish what is scheduled and due, and take down what is due to go.

    Idempotent and safe to run concurrently: each article is handled in its own transaction,
    its row locked (skipping rows another run holds) and its schedule checked again under
    the lock. Returns `{"published": [...], "unpublished": [...], "failed": [(article, msg)]}`.
    """
    now = now or timezone.now()
    report = {"published": [], "unpublished": [], "failed": []}
    for pk in _due_ids(Article.objects.due_for_publication(now)):
        try:
            with transaction.atomic():
                locked = _lock_if_free(pk)
                if locked is None or not Article.objects.due_for_publication(now).filter(
                    pk=pk
                ).exists():
                    continue
                actor = locked.publish_scheduled_by
                if not _has_perm(actor, PERM_PUBLISH):
                    raise NotAllowed("The publisher who scheduled it may no longer publish.")
                _publish_now(locked, actor=actor, comment="Scheduled publication.", now=now)
                report["published"].append(locked)
        except WorkflowError as error:
            report["failed"].append((Article.objects.get(pk=pk), error.message))
    for pk in _due_ids(Article.objects.due_for_unpublication(now)):
        with transaction.atomic():
            locked = _lock_if_free(pk)
            if locked is None or not Article.objects.due_for_unpublication(now).filter(
                pk=pk
            ).exists():
                continue
            _unpublish_now(
                locked, actor=locked.unpublish_scheduled_by, comment="Scheduled take-down.",
            )
            report["unpublished"].append(locked)
    return report
