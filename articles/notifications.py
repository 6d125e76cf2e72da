"""Workflow emails to the people who must act next.

`articles/workflow.py` calls `send_later`, which starts a background job (jobs app) in the
change's transaction: the mail goes from a worker after the commit, never inside the request,
and nothing is sent for a change that was rolled back. Each function takes ids (not rows) and
reads what it needs when the job runs. A user who turned notifications off
(NotificationPreference) gets nothing; the actor never gets an email about their own action.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse

from articles.models import Article, ReviewAssignment, Revision
from jobs.services import start_job

logger = logging.getLogger("ketasite.notifications")


def send_later(name: str, **kwargs: Any) -> Any:
    """Send the mail `name` (e.g. "notify_submitted") with `kwargs` from a job (see above)."""
    return start_job(kind="notify", title=f"Mail: {name.removeprefix('notify_')}",
                     params={"name": name, "kwargs": kwargs})


def wants_email(user: Any) -> bool:
    """True when `user` is active, has an address and has not turned emails off."""
    if not (user.is_active and user.email):
        return False
    preference = getattr(user, "notification_preference", None)
    return preference is None or preference.email_enabled


def _recipients(users, *, actor_id):
    seen, emails = set(), []
    for user in users:
        if user.pk == actor_id or user.pk in seen or not wants_email(user):
            continue
        seen.add(user.pk)
        emails.append(user.email)
    return emails


def _admin_url(article):
    path = reverse("admin:articles_article_change", args=[article.pk])
    return f"{settings.SITE_URL}{path}"


def _send(article, *, recipients, subject, lines):
    if not recipients:
        return 0
    body = "\n".join([*lines, "", f"Open it: {_admin_url(article)}", ""])
    sent = 0
    for address in recipients:
        # One message each, so no recipient sees the others' addresses.
        try:
            sent += send_mail(f"[{settings.SITE_NAME}] {subject}", body, None, [address])
        except Exception:  # a mail server outage must not break the workflow
            logger.exception("could not send %r to %s", subject, address)
    return sent


def _users():
    return get_user_model().objects.select_related("notification_preference")


def _authors(article):
    """The article's creator, its assigned editor and the authors of its revisions: read
    from this article's revisions (a join from the users would read every revision each of
    them ever wrote)."""
    writers = Revision.objects.filter(article_id=article.pk, author__isnull=False)
    return _users().filter(
        Q(pk=article.created_by_id)
        | Q(pk=article.assigned_editor_id)
        | Q(pk__in=writers.values("author_id"))
    )


def _publishers():
    """The users who hold the publish permission, through a group or their own.

    Two subqueries on the small membership tables. The join through both (groups to their
    permissions, and the users' own permissions) with an OR and a DISTINCT made PostgreSQL
    estimate it at millions of rows and compile it with JIT: half a second for a dozen users.
    """
    User = get_user_model()
    by_group = User.groups.through.objects.filter(
        group__permissions__codename="publish_article"
    ).values("user_id")
    by_own = User.user_permissions.through.objects.filter(
        permission__codename="publish_article"
    ).values("user_id")
    return _users().filter(Q(pk__in=by_group) | Q(pk__in=by_own))


def _actor_name(actor_id):
    actor = get_user_model().objects.filter(pk=actor_id).first()
    return actor.get_full_name() or actor.get_username() if actor else "The system"


def _comment_lines(comment):
    return ["", "Comment:", comment] if comment else []


def notify_submitted(
    *, article_id: int, actor_id: int | None, comment: str = "",
    reviewer_ids: list[int] | None = None,
) -> None:
    """Tell the assigned reviewers (or only `reviewer_ids`) an article awaits their review."""
    article = Article.objects.select_related("draft").get(pk=article_id)
    reviewers = _users().filter(
        pk__in=ReviewAssignment.objects.filter(article_id=article.pk).values("reviewer_id")
    )
    if reviewer_ids is not None:
        reviewers = reviewers.filter(pk__in=reviewer_ids)
    return _send(
        article,
        recipients=_recipients(reviewers, actor_id=actor_id),
        subject=f"Review requested: {article.title}",
        lines=[f"{_actor_name(actor_id)} asks you to review “{article.title}”.",
               *_comment_lines(comment)],
    )


def notify_changes_requested(
    *, article_id: int, actor_id: int | None, comment: str = "",
) -> None:
    """Tell the article's authors what the reviewer wants changed."""
    article = Article.objects.select_related("draft").get(pk=article_id)
    return _send(
        article,
        recipients=_recipients(_authors(article), actor_id=actor_id),
        subject=f"Changes requested: {article.title}",
        lines=[f"{_actor_name(actor_id)} requested changes to “{article.title}”.",
               *_comment_lines(comment)],
    )


def notify_approved(*, article_id: int, actor_id: int | None, comment: str = "") -> None:
    """Tell the authors their article was approved, and the publishers it is ready."""
    article = Article.objects.select_related("draft").get(pk=article_id)
    approver = _actor_name(actor_id)
    author_emails = _recipients(_authors(article), actor_id=actor_id)
    sent = _send(
        article,
        recipients=author_emails,
        subject=f"Approved: {article.title}",
        lines=[f"{approver} approved “{article.title}”.", *_comment_lines(comment)],
    )
    sent += _send(
        article,
        recipients=[
            email for email in _recipients(_publishers(), actor_id=actor_id)
            if email not in author_emails
        ],
        subject=f"Ready to publish: {article.title}",
        lines=[f"{approver} approved “{article.title}”; it is ready to publish.",
               *_comment_lines(comment)],
    )
    return sent


def notify_claim_rating_changed(*, article_id, actor_id, claim, reason=""):
    """Tell a live article's authors and reviewers that a claim it shows was rated again.

    Its public page keeps the rating it was approved with until it is published again.
    """
    article = Article.objects.select_related("draft").get(pk=article_id)
    reviewers = ReviewAssignment.objects.filter(article_id=article.pk).values("reviewer_id")
    people = _users().filter(
        Q(pk__in=_authors(article).values("pk")) | Q(pk__in=reviewers)
    )
    return _send(
        article,
        recipients=_recipients(people, actor_id=actor_id),
        subject=f"Re-review needed: {article.title}",
        lines=[
            f"The rating of a claim “{article.title}” shows has changed:",
            f"“{claim}”.",
            *([reason] if reason else []),
            "The public page keeps the rating it was approved with until it is reviewed and "
            "published again.",
        ],
    )
