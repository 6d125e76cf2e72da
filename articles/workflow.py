"""The editorial workflow: every change of an article's state, and every edit of its content.

`draft → in_review → approved → published`, plus `changes_requested`, `unpublished` and
`archived`. Each transition is one function that checks the actor's permission, the state and
the rule, locks the article row, writes one WorkflowEvent and raises a `WorkflowError` whose
message names the rule. The admin, the API and the management commands call these functions
(usually through `perform`) and never repeat a rule.

Who may do what is asked of one `check_<action>(article, user)` per action (each raises the
refusal) and its `can_<action>(article, user)`: the transition calls the check under the row
lock, `allowed_actions` asks `can_<action>`, so no rule is written twice.

Approval pins `approval_fingerprint(article)` (`articles/approval.py`); any later change
withdraws the approval (`content_changed`) and publishing checks the fingerprint again, so what
was reviewed is exactly what gets published.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Field, QuerySet
from django.utils import timezone

# `publishing` and `anchoring` by module, so a test replacing one of their functions (fault
# injection) replaces it here too.
from articles import notifications, publishing, reviewdates
from articles.approval import approval_fingerprint, content_changed
from articles.audit import record_event
from articles.blocks import BlockError, clean_blocks
from articles.changelog import CHANGE_NOTE_MAX_CHARS
from articles.errors import (  # noqa: F401 - re-exported: callers catch workflow.<Error>
    GateFailed,
    InvalidInput,
    NotAllowed,
    StaleRevision,
    WorkflowError,
    WrongState,
)
from articles.models import Article, Publication, ReviewAssignment, Revision, WorkflowEvent
from articles.permissions import (
    PERM_ADD,
    PERM_ASSIGN,
    PERM_EDIT,
    PERM_PUBLISH,
    PERM_REVIEW,
    PERM_SUBMIT,
    has_permission,
    is_reviewer,
)
from claims.gates import unconfirmed_link_failures
from evidence import anchoring
from evidence.dualreview import dual_review_gate
from evidence.models import Annotation, ReviewComment
from evidence.sources import copy_citations
from pagecache.generation import purge_public_pages

State = Article.State


# Errors -------------------------------------------------------------------------------------


# The refusals live in articles/errors.py, so services that the workflow itself calls
# (review dates, say) can raise them too; they are part of this module's interface.


# Reading helpers ----------------------------------------------------------------------------


def is_author(article: Article, user: Any) -> bool:
    """True when `user` created the article, wrote any of its revisions or is its editor."""
    if user is None or not user.pk:
        return False
    if article.created_by_id == user.pk or article.assigned_editor_id == user.pk:
        return True
    return article.revisions.filter(author=user).exists()


def last_published_revision_number(article: Article) -> int:
    """Return the revision number of the most recent publication, or 0 if never published."""
    publication = article.publications.order_by("-number").select_related("revision").first()
    return publication.revision.number if publication else 0


def wrote_revision_under_review(article: Article, user: Any, *, since: int | None = None
                                ) -> bool:
    """True when `user` wrote any revision since the last publication (four-eyes), or since
    revision number `since` when given."""
    if user is None or not user.pk:
        return False
    if since is None:
        since = last_published_revision_number(article)
    return article.revisions.filter(number__gt=since, author=user).exists()


# Gates --------------------------------------------------------------------------------------


def submit_gate(article: Article) -> list[str]:
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


def live_article_at(slug: str, *, exclude: Article | None = None) -> Article | None:
    """Return the other article whose live page is at /articles/`slug`/, or None.

    A publication keeps the address it was published at until its article is published
    again, so an article may hold an address its current slug no longer names.
    """
    publications = Publication.objects.live().filter(slug=slug).select_related("article")
    if exclude is not None and exclude.pk:
        publications = publications.exclude(article=exclude)
    publication = publications.first()
    return publication.article if publication else None


def approve_gate(article: Article) -> list[str]:
    """Return every reason the draft cannot be approved (or published) yet."""
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
    annotations = Annotation.objects.filter(revision=revision)
    # In dual review, missing ratings and consensuses are listed by the dual review gate.
    dual_failures = dual_review_gate(article)
    single_rated = annotations.none() if dual_failures else annotations
    for annotation in single_rated.filter(status=Annotation.Status.OPEN):
        ratings = (("certainty", annotation.certainty), ("verdict", annotation.verdict))
        missing = [label for label, value in ratings if not value]
        if missing:
            failures.append(
                f"rate the {' and '.join(missing)} of annotation {annotation.pk} "
                f"“{annotation.exact[:60]}”"
            )
    failures += dual_failures
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


def _after_lock(locked: Article) -> None:
    """Do nothing. Called inside the locked section, right after the row lock is taken.

    A test hook and no more: the concurrency tests replace it to hold the race window open
    (the first caller waits here until the other is blocked on the lock or has got past it
    too), so that a missing lock fails the test on every run instead of on an unlucky one.
    """


def _lock(article: Article) -> Article:
    """Lock the article row for this transaction and return a fresh copy of it."""
    # No select_related("draft"): a caller that waited for the lock would get the draft row
    # joined from before the wait (PostgreSQL re-checks only the locked row), so it would
    # not see the revision the holder saved. The draft loads on first use, after the lock.
    locked = Article.objects.select_for_update().get(pk=article.pk)
    _after_lock(locked)
    return locked


def _record(
    article: Article, *, actor: Any, action: str, from_state: str, comment: str = "",
    revision: Revision | None = None,
) -> WorkflowEvent:
    return record_event(article, actor=actor, action=action, from_state=from_state,
                        comment=comment, revision=revision)


def _sync(target: Article, source: Article) -> Article:
    """Copy the saved state of `source` onto the caller's object so it sees the change."""
    return target.copy_saved_state(source)


def _require_perm(actor: Any, perm: str, what: str) -> None:
    if not has_permission(actor, perm):
        raise NotAllowed(f"Only {what} may do this.")


def _require_state(article: Article, allowed: list[str], action: str) -> None:
    if article.state not in allowed:
        names = ", ".join(State(s).label.lower() for s in allowed)
        raise WrongState(
            f"Cannot {action.replace('_', ' ')} an article that is "
            f"{State(article.state).label.lower()}; it must be {names}."
        )


def _require_comment(comment: str, action: str) -> None:
    if not (comment or "").strip():
        raise InvalidInput(
            f"A comment is required to {action.replace('_', ' ')}.",
            {"comment": ["A comment is required."]},
        )


def _check_publish_at(when: datetime | None, field: str = "publish_at") -> None:
    if when is not None and timezone.is_naive(when):
        raise InvalidInput(
            "The publication time needs a time zone.", {field: ["Give a time zone."]}
        )


def _change_note(article: Article, comment: str) -> str:
    """Return the changelog line a publication of `article` will carry.

    Readers see one dated line per publication, written by the editor: required when the
    article was published before (a republication must say what changed), at most
    CHANGE_NOTE_MAX_CHARS characters. Blank for a first publication ("First published.").
    """
    note = " ".join((comment or "").split())
    if len(note) > CHANGE_NOTE_MAX_CHARS:
        raise InvalidInput(
            f"The changelog line has at most {CHANGE_NOTE_MAX_CHARS} characters.",
            {"comment": [f"At most {CHANGE_NOTE_MAX_CHARS} characters."]},
        )
    if not note and article.publications.exists():
        raise InvalidInput(
            "Republishing needs a changelog line: say in the comment what changed for readers.",
            {"comment": ["Write the changelog line readers will see."]},
        )
    return note


def _on_commit(callback: Callable[[], Any]) -> None:
    transaction.on_commit(callback)


def _notify(name: str, article: Article, **kwargs: Any) -> None:
    # A job row now, in this transaction; a worker sends the mail after the commit.
    notifications.send_later(name, article_id=article.pk, **kwargs)


# Permissions: one check per action ----------------------------------------------------------
#
# Each `check_<action>` raises the refusal the transition reports (NotAllowed for the role or a
# personal rule, WrongState for the state), in that order. Transitions call it on the locked
# row; `allowed_actions` asks `can_<action>`. Gates (missing ratings, no reviewer) and input
# (a required comment) are not permission: the transition reports them.


def check_four_eyes(article: Article, user: Any, *, since: int | None = None) -> None:
    """Refuse an approval by someone who wrote a revision under review (the four-eyes rule):
    since the last publication, or since revision number `since` when given.

    A superuser is exempt only when KETASITE_ALLOW_SELF_APPROVAL is on.
    """
    if user.is_superuser and settings.KETASITE_ALLOW_SELF_APPROVAL:
        return
    if wrote_revision_under_review(article, user, since=since):
        raise NotAllowed(
            "Four-eyes rule: you wrote a revision under review, so another reviewer must "
            "approve it."
        )


def check_submit(article: Article, user: Any) -> None:
    """Editors who wrote the article or are its assigned editor may submit a draft."""
    _require_perm(user, PERM_SUBMIT, "editors")
    _require_state(article, [State.DRAFT, State.CHANGES_REQUESTED], "submit")
    if not user.is_superuser and not is_author(article, user):
        raise NotAllowed("Only an author of this article or its assigned editor may submit it.")


def check_request_changes(article: Article, user: Any) -> None:
    """Reviewers may send an article in review back to its editors."""
    _require_perm(user, PERM_REVIEW, "reviewers")
    _require_state(article, [State.IN_REVIEW], "request_changes")


def check_approve(article: Article, user: Any) -> None:
    """Reviewers may approve an article in review, within the four-eyes rule."""
    _require_perm(user, PERM_REVIEW, "reviewers")
    _require_state(article, [State.IN_REVIEW], "approve")
    check_four_eyes(article, user)


def check_publish(article: Article, user: Any) -> None:
    """Publishers may publish an approved article."""
    _require_perm(user, PERM_PUBLISH, "publishers")
    _require_state(article, [State.APPROVED], "publish")


def check_unpublish(article: Article, user: Any) -> None:
    """Publishers may take down an article's live publication, whatever its state."""
    _require_perm(user, PERM_PUBLISH, "publishers")
    if article.live_id is None:
        raise WrongState("Cannot unpublish an article that has no live publication.")


def check_archive(article: Article, user: Any) -> None:
    """Publishers may archive an article that is not in review or archived already."""
    _require_perm(user, PERM_PUBLISH, "publishers")
    if article.state == State.IN_REVIEW:
        raise WrongState(
            f"Cannot archive an article that is {State(article.state).label.lower()}; "
            "finish or withdraw the review first."
        )
    if article.state == State.ARCHIVED:
        raise WrongState("The article is already archived.")


def check_restore(article: Article, user: Any) -> None:
    """Publishers may bring an archived article back as a draft."""
    _require_perm(user, PERM_PUBLISH, "publishers")
    _require_state(article, [State.ARCHIVED], "restore")


def _passes(check: Callable[[Article, Any], None], article: Article, user: Any) -> bool:
    try:
        check(article, user)
    except WorkflowError:
        return False
    return True


DRAFT_DIFFERS_FROM_LIVE = (
    "Cannot confirm the article unchanged: its draft differs from the live page. "
    "Send the draft to review instead."
)


def check_reviewed_no_change(article: Article, user: Any) -> None:
    """Reviewers may confirm a live article unchanged, under four-eyes applied to the live
    content: not one who wrote a revision of it since the content published before it."""
    _require_perm(user, PERM_REVIEW, "reviewers")
    if article.live_id and article.state in (
        State.DRAFT, State.CHANGES_REQUESTED, State.IN_REVIEW, State.APPROVED
    ):
        raise WrongState(DRAFT_DIFFERS_FROM_LIVE)
    _require_state(article, [State.PUBLISHED], "confirm_as_unchanged")
    live = article.live
    earlier = (
        article.publications.exclude(revision_id=live.revision_id)
        .order_by("-number").select_related("revision").first()
        if live is not None else None
    )
    check_four_eyes(article, user, since=earlier.revision.number if earlier else 0)


def can_submit(article: Article, user: Any) -> bool:
    return _passes(check_submit, article, user)


def can_request_changes(article: Article, user: Any) -> bool:
    return _passes(check_request_changes, article, user)


def can_approve(article: Article, user: Any) -> bool:
    return _passes(check_approve, article, user)


def can_publish(article: Article, user: Any) -> bool:
    return _passes(check_publish, article, user)


def can_unpublish(article: Article, user: Any) -> bool:
    return _passes(check_unpublish, article, user)


def can_archive(article: Article, user: Any) -> bool:
    return _passes(check_archive, article, user)


def can_reviewed_no_change(article: Article, user: Any) -> bool:
    return _passes(check_reviewed_no_change, article, user)


def can_restore(article: Article, user: Any) -> bool:
    return _passes(check_restore, article, user)


# Transitions --------------------------------------------------------------------------------


def submit(article: Article, *, actor: Any, comment: str = "") -> Article:
    """Send the draft to review. Editors who wrote it or are its assigned editor may."""
    with transaction.atomic():
        locked = _lock(article)
        check_submit(locked, actor)
        failures = submit_gate(locked)
        if failures:
            raise GateFailed("The article is not ready for review", failures)
        from_state = locked.state
        locked.state = State.IN_REVIEW
        locked.save(update_fields=["state", "updated_at"])
        _record(locked, actor=actor, action="submit", from_state=from_state, comment=comment)
        _notify("notify_submitted", locked, actor_id=actor.pk, comment=comment)
    return _sync(article, locked)


def request_changes(article: Article, *, actor: Any, comment: str = "") -> Article:
    """Send the article back to its editors with a comment saying what to change."""
    with transaction.atomic():
        locked = _lock(article)
        check_request_changes(locked, actor)
        _require_comment(comment, "request changes")
        from_state = locked.state
        locked.state = State.CHANGES_REQUESTED
        locked.save(update_fields=["state", "updated_at"])
        _record(locked, actor=actor, action="request_changes", from_state=from_state,
                comment=comment)
        _notify("notify_changes_requested", locked, actor_id=actor.pk, comment=comment)
    return _sync(article, locked)


def approve(
    article: Article, *, actor: Any, comment: str = "", publish_at: datetime | None = None,
) -> Article:
    """Approve the draft and pin its fingerprint. `publish_at` proposes a publication time;
    it is scheduled when the approver may also publish."""
    _check_publish_at(publish_at)
    with transaction.atomic():
        locked = _lock(article)
        check_approve(locked, actor)
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
            actor if publish_at is not None and has_permission(actor, PERM_PUBLISH) else None
        )
        # A publication scheduled here carries the approver's comment as its changelog line.
        locked.scheduled_change_note = (
            _change_note(locked, comment) if locked.publish_scheduled_by else ""
        )
        locked.save(
            update_fields=[
                "state", "approved_revision", "approval_fingerprint", "approved_by",
                "approved_at", "publish_at", "publish_scheduled_by", "scheduled_change_note",
                "updated_at",
            ]
        )
        _record(locked, actor=actor, action="approve", from_state=from_state, comment=comment)
        _notify("notify_approved", locked, actor_id=actor.pk, comment=comment)
    return _sync(article, locked)


def _check_approval_holds(locked: Article) -> None:
    if locked.approval_fingerprint != approval_fingerprint(locked):
        raise GateFailed(
            "The approval no longer holds",
            ["the content or its annotations changed after approval; review it again"],
        )


def _publish_now(
    locked: Article, *, actor: Any, comment: str, now: datetime, change_note: str,
    action: str = "publish",
) -> Publication:
    """Freeze the approved draft into a Publication and make it live. The row is locked.

    Each publish is a review: "last reviewed" and "next review due" move (reviewdates).
    """
    _check_approval_holds(locked)
    failures = approve_gate(locked)
    if failures:
        raise GateFailed("The draft cannot be published", failures)
    review_fields = reviewdates.mark_reviewed(
        locked, reviewer=locked.approved_by, on=timezone.localdate(now)
    )
    publication = publishing.freeze_publication(
        locked, actor=actor, published_at=now,
        change_note=_change_note(locked, change_note),
    )
    from_state = locked.state
    locked.live = publication
    locked.state = State.PUBLISHED
    locked.first_published_at = locked.first_published_at or now
    locked.last_published_at = now
    locked.publish_at = None
    locked.publish_scheduled_by = None
    locked.scheduled_change_note = ""
    locked.save(
        update_fields=[
            "live", "state", "first_published_at", "last_published_at", *review_fields,
            "publish_at", "publish_scheduled_by", "scheduled_change_note", "updated_at",
        ]
    )
    # Every annotation the publication shows is now public: it can be resolved, not deleted.
    Annotation.objects.filter(
        revision=locked.draft, status__in=publishing.PUBLISHED_STATUSES,
        first_published_at__isnull=True,
    ).update(first_published_at=now)
    _record(locked, actor=actor, action=action, from_state=from_state, comment=comment)
    purge_public_pages()
    return publication


def publish(
    article: Article, *, actor: Any, comment: str = "", publish_at: datetime | None = None,
) -> Article:
    """Publish the approved draft now, or schedule it when `publish_at` is in the future."""
    _check_publish_at(publish_at)
    with transaction.atomic():
        locked = _lock(article)
        check_publish(locked, actor)
        now = timezone.now()
        if publish_at is not None and publish_at > now:
            _check_approval_holds(locked)
            locked.publish_at = publish_at
            locked.publish_scheduled_by = actor
            locked.scheduled_change_note = _change_note(locked, comment)
            locked.save(update_fields=[
                "publish_at", "publish_scheduled_by", "scheduled_change_note", "updated_at",
            ])
            when = timezone.localtime(publish_at).strftime("%Y-%m-%d %H:%M %Z")
            note = f"Scheduled for {when}." + (f" {comment}" if comment else "")
            _record(locked, actor=actor, action="schedule", from_state=locked.state,
                    comment=note)
        else:
            _publish_now(locked, actor=actor, comment=comment, now=now, change_note=comment)
    return _sync(article, locked)


REVIEWED_NO_CHANGE_NOTE = "Reviewed, no change."


def reviewed_no_change(article: Article, *, actor: Any, comment: str = "") -> Article:
    """Confirm that the live article is still accurate, without editing it.

    Reviewers may, under the four-eyes rule of an approval, applied to the live content: not
    one who wrote a revision of it since the content before it. The draft must be exactly
    what is live (published, the approval still matching); otherwise it must go through
    review (WrongState, 409). Republishes the same content with the changelog line
    "Reviewed, no change." and the reviewer credited, which moves "last reviewed" and "next
    review due"; the event is `reviewed_no_change`.
    """
    with transaction.atomic():
        locked = _lock(article)
        check_reviewed_no_change(locked, actor)
        live = locked.live
        if live is None or locked.draft_id != live.revision_id or (
            locked.approval_fingerprint != approval_fingerprint(locked)
        ):
            raise WrongState(DRAFT_DIFFERS_FROM_LIVE)
        now = timezone.now()
        locked.approved_revision = locked.draft
        locked.approved_by = actor
        locked.approved_at = now
        locked.save(update_fields=["approved_revision", "approved_by", "approved_at"])
        _publish_now(
            locked, actor=actor, comment=comment, now=now, action="reviewed_no_change",
            change_note=REVIEWED_NO_CHANGE_NOTE,
        )
    return _sync(article, locked)


def _unpublish_now(
    locked: Article, *, actor: Any, comment: str, action: str = "unpublish",
) -> None:
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


def unpublish(
    article: Article, *, actor: Any, comment: str = "", unpublish_at: datetime | None = None,
) -> Article:
    """Take the live publication down (the page answers 410), now or at `unpublish_at`.

    Allowed whenever the article has a live publication. A draft being worked on keeps its
    state; a published article becomes unpublished.
    """
    _check_publish_at(unpublish_at, "unpublish_at")
    with transaction.atomic():
        locked = _lock(article)
        check_unpublish(locked, actor)
        _require_comment(comment, "unpublish")
        if unpublish_at is not None and unpublish_at > timezone.now():
            locked.unpublish_at = unpublish_at
            locked.unpublish_scheduled_by = actor
            locked.save(update_fields=["unpublish_at", "unpublish_scheduled_by", "updated_at"])
            stamp = timezone.localtime(unpublish_at).strftime("%Y-%m-%d %H:%M %Z")
            _record(locked, actor=actor, action="schedule_unpublish", from_state=locked.state,
                    comment=f"Take-down scheduled for {stamp}. {comment}")
        else:
            _unpublish_now(locked, actor=actor, comment=comment)
    return _sync(article, locked)


def archive(article: Article, *, actor: Any, comment: str = "") -> Article:
    """Archive the article; a live publication is taken down with it."""
    with transaction.atomic():
        locked = _lock(article)
        check_archive(locked, actor)
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


def restore(article: Article, *, actor: Any, comment: str = "") -> Article:
    """Bring an archived article back as a draft (not public until published again)."""
    with transaction.atomic():
        locked = _lock(article)
        check_restore(locked, actor)
        from_state = locked.state
        locked.state = State.DRAFT
        locked.save(update_fields=["state", "updated_at"])
        _record(locked, actor=actor, action="restore", from_state=from_state, comment=comment)
    return _sync(article, locked)


ACTIONS: dict[str, Callable[..., Article]] = {
    "submit": submit,
    "request_changes": request_changes,
    "approve": approve,
    "publish": publish,
    "unpublish": unpublish,
    "archive": archive,
    "restore": restore,
    "reviewed_no_change": reviewed_no_change,
}

PERMISSION_CHECKS: dict[str, Callable[[Article, Any], bool]] = {
    "submit": can_submit,
    "request_changes": can_request_changes,
    "approve": can_approve,
    "publish": can_publish,
    "unpublish": can_unpublish,
    "archive": can_archive,
    "restore": can_restore,
    "reviewed_no_change": can_reviewed_no_change,
}

# The one time an action takes, by the name of its own argument.
TIME_ARGUMENTS = {"approve": "publish_at", "publish": "publish_at", "unpublish": "unpublish_at"}

ACTION_LABELS = {
    "submit": "Submit for review",
    "request_changes": "Request changes",
    "approve": "Approve",
    "publish": "Publish",
    "unpublish": "Unpublish",
    "archive": "Archive",
    "restore": "Restore",
    "reviewed_no_change": "Reviewed, no change",
}


def perform(
    article: Article, *, action: str, actor: Any, comment: str = "",
    when: datetime | None = None,
) -> Article:
    """Run the transition called `action`; unknown names raise InvalidInput.

    `when` is the time the action takes, passed as that action's own argument: `publish_at`
    for approve (a proposal) and publish, `unpublish_at` for unpublish. The other actions
    take no time and are not given one (the API's contract has always let a client send a
    time with any action).
    """
    function = ACTIONS.get(action)
    if function is None:
        raise InvalidInput(
            f"Unknown action {str(action)[:40]!r}; use one of {', '.join(ACTIONS)}.",
            {"action": [f"Use one of {', '.join(ACTIONS)}."]},
        )
    arguments: dict[str, Any] = {"actor": actor, "comment": comment}
    time_argument = TIME_ARGUMENTS.get(action)
    if time_argument is not None:
        arguments[time_argument] = when
    return function(article, **arguments)


def allowed_actions(article: Article, user: Any) -> list[str]:
    """Return the actions `user` may try on `article` now, by role, state and personal rules.

    Gates (missing ratings, no reviewer) are not checked here: the action reports them.
    """
    if user is None or not user.is_active:
        return []
    return [name for name, allowed in PERMISSION_CHECKS.items() if allowed(article, user)]


# Content changes ----------------------------------------------------------------------------


def _clean_title(title: Any, errors: dict[str, list[str]]) -> str:
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ["A title is required."]
        return ""
    title = " ".join(title.split())
    if len(title) > 300:
        errors["title"] = ["A title has at most 300 characters."]
    return title


def save_revision(
    article: Article, *, actor: Any, base_number: int, title: str | None = None,
    summary: str | None = None, blocks: list[dict[str, Any]] | None = None,
    tags: Iterable[str] | None = None, message: str = "",
    title_is_provisional: bool | None = None,
) -> Revision:
    """Save an edit as a new revision based on revision `base_number`.

    Never overwrites: if someone saved a newer revision in between, raises StaleRevision with
    it and saves nothing. Open annotations and citations are carried forward to the new
    revision. Returns the new revision, or the current one when only tags (or nothing)
    changed. Tags are part of what is approved: a change of tags alone withdraws an approval
    like a change of text (`content_changed`). `actor=None` is the system (imports from the
    command line). A person who saves a title confirms it (`title_is_provisional` False)
    unless told otherwise.
    """
    if actor is not None and not has_permission(actor, PERM_EDIT):
        raise NotAllowed("Only editors may edit an article's content.")
    errors: dict[str, Any] = {}
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


def _carry_forward(old_revision: Revision, new_revision: Revision) -> None:
    anchoring.carry_forward_annotations(old_revision=old_revision, new_revision=new_revision)
    copy_citations(old_revision=old_revision, new_revision=new_revision)


def restore_revision(article: Article, *, actor: Any, number: int) -> Revision:
    """Save the content of revision `number` as a new draft revision."""
    old = article.revisions.filter(number=number).first()
    if old is None:
        raise InvalidInput(f"There is no revision {number} of this article.",
                           {"number": ["No such revision."]})
    draft = article.draft
    current_number = draft.number if draft is not None else 0
    return save_revision(
        article, actor=actor, base_number=current_number, title=old.title,
        summary=old.summary, blocks=old.blocks, message=f"Restored revision {number}.",
    )


# The article's own fields ----------------------------------------------------------------

# What an editor sets on the article itself (not its content, which is revisions).
ARTICLE_DETAIL_FIELDS = (
    "slug", "assigned_editor", "review_due", "source_url", "site_name", "original_filename",
    "original_published_on", "is_promotional",
)


def _column(name: str) -> str:
    """Return the attribute holding the stored value of field `name` (`x_id` for a key)."""
    field = Article._meta.get_field(name)
    return field.attname if isinstance(field, Field) else name


def _detail_value(article: Article, name: str) -> Any:
    return getattr(article, _column(name))


def _stored_value(name: str, value: Any) -> Any:
    field = Article._meta.get_field(name)
    return getattr(value, "pk", value) if field.is_relation else value


def _check_details(details: dict[str, Any]) -> None:
    unknown = sorted(set(details) - set(ARTICLE_DETAIL_FIELDS))
    if unknown:
        raise InvalidInput(
            f"These are not an article's details: {', '.join(unknown)}.",
            {name: ["This field cannot be set here."] for name in unknown},
        )


def create_article(
    *, actor: Any, tags: Iterable[str] | None = None, **details: Any,
) -> Article:
    """Create an article without content (its first revision is saved next, through
    `save_revision`), with `actor` as its creator and a `create` event in its log."""
    _check_details(details)
    if not has_permission(actor, PERM_ADD):
        raise NotAllowed("Only editors may create articles.")
    with transaction.atomic():
        article = Article.objects.create(
            created_by=actor,
            **{_column(name): _stored_value(name, value) for name, value in details.items()},
        )
        if tags:
            article.tags.set([tag.strip()[:100] for tag in tags if tag.strip()])
        record_event(article, actor=actor, action="create", from_state="",
                     comment="Article created in the admin.")
    return article


def update_article_details(
    article: Article, *, actor: Any, tags: Iterable[str] | None = None, **details: Any,
) -> Article:
    """Change the article's own fields (`ARTICLE_DETAIL_FIELDS`: slug, assigned editor,
    review date, origin) and its tags, atomically; return the article, updated.

    A value equal to the stored one is not a change. Any change writes one
    `details_changed` event naming the fields. Slug and tags are approved with the text (the
    publication freezes them), so a change of either also withdraws an approval
    (`content_changed`). The caller validates the values themselves (a form, a serializer).
    """
    _check_details(details)
    if not has_permission(actor, PERM_EDIT):
        raise NotAllowed("Only editors may change an article's details.")
    with transaction.atomic():
        locked = _lock(article)
        changed = [
            name for name, value in details.items()
            if _detail_value(locked, name) != _stored_value(name, value)
        ]
        for name in changed:
            setattr(locked, _column(name), _stored_value(name, details[name]))
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if tags is not None:
            before = sorted(locked.tags.names())
            locked.tags.set([tag.strip()[:100] for tag in tags if tag.strip()])
            if sorted(locked.tags.names()) != before:
                changed.append("tags")
        if not changed:
            return _sync(article, locked)
        _record(locked, actor=actor, action="details_changed", from_state=locked.state,
                comment=f"Changed {', '.join(changed)}.")
        if "slug" in changed:
            reason = f"the address changes to /articles/{locked.slug}/ at the next publish"
            if "tags" in changed:
                reason = f"tags changed, and {reason}"
        elif "tags" in changed:
            reason = "tags changed"
        else:
            return _sync(article, locked)
        content_changed(locked, actor=actor, reason=reason)
    return _sync(article, locked)


# Review management --------------------------------------------------------------------------


def assign_reviewers(
    article: Article, *, actor: Any, reviewers: Any, due: date | None = None,
) -> list[ReviewAssignment]:
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
        elif not is_reviewer(user):
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


def _due_ids(queryset: QuerySet[Article]) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def _lock_if_free(pk: int) -> Article | None:
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


def publish_due(*, now: datetime | None = None) -> dict[str, list[Any]]:
    """Publish what is scheduled and due, and take down what is due to go.

    Idempotent and safe to run concurrently: each article is handled in its own transaction,
    its row locked (skipping rows another run holds) and its schedule checked again under
    the lock. Returns `{"published": [...], "unpublished": [...], "failed": [(article, msg)]}`.
    """
    now = now or timezone.now()
    report: dict[str, list[Any]] = {"published": [], "unpublished": [], "failed": []}
    for pk in _due_ids(Article.objects.due_for_publication(now)):
        try:
            with transaction.atomic():
                locked = _lock_if_free(pk)
                if locked is None or not Article.objects.due_for_publication(now).filter(
                    pk=pk
                ).exists():
                    continue
                actor = locked.publish_scheduled_by
                if not has_permission(actor, PERM_PUBLISH):
                    raise NotAllowed("The publisher who scheduled it may no longer publish.")
                _publish_now(locked, actor=actor, comment="Scheduled publication.", now=now,
                             change_note=locked.scheduled_change_note)
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
