"""Review-date services: setting intervals, refreshing the review dates and the overdue notice
of live pages, and the weekly reminders. The date rules themselves are in
`articles/reviewdates.py` (which publishing uses, so it imports neither this module nor the
workflow)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from articles.audit import record_event
from articles.errors import NotAllowed
from articles.models import (
    Article,
    NotificationPreference,
    Publication,
    ReviewReminder,
    TagReviewInterval,
)
from articles.permissions import PERM_EDIT, PERM_REVIEW, has_permission
from articles.publishing import rerender_publication
from articles.reviewdates import (
    REMINDER_EVERY_DAYS,
    REMINDER_WINDOW_DAYS,
    add_months,
    check_interval,
    interval_of,
    overdue_notice_from,
    review_dates_data,
    shows_overdue,
)
from pagecache.generation import purge_public_pages

logger = logging.getLogger("ketasite.reviews")


def set_review_interval(article: Article, *, actor, months) -> Article:
    """Set the article's own review interval (None: its tags' rule or the site default).

    Editors and publishers may. Refuses a value outside the allowed ones (InvalidInput, 400)
    before anything is written. A live article's next review date moves with the interval
    (counted from its last review), and its page is re-rendered with the new date.
    """
    months = check_interval(months)
    if not has_permission(actor, PERM_EDIT):
        raise NotAllowed("Only editors may change an article's review interval.")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        old = locked.review_interval_months
        locked.review_interval_months = months
        fields = ["review_interval_months", "updated_at"]
        if locked.last_reviewed_on:
            locked.review_due = add_months(locked.last_reviewed_on, interval_of(locked))
            fields.append("review_due")
        locked.save(update_fields=fields)
        record_event(
            locked, actor=actor, action="review_interval",
            comment=f"Review interval: {_describe(old)} → {_describe(months)}.",
        )
        if locked.live_id:
            refresh_live_review_dates(locked)
    return article.copy_saved_state(locked)


def set_tag_review_interval(tag, *, actor, months) -> int:
    """Set (or, with None, remove) the review interval of `tag`: the default of its articles.

    Editors and publishers may; a value outside the allowed ones is refused (InvalidInput,
    400) before anything is written. Every live article of the tag without its own interval
    gets its next review date again, counted from its last review, and its page re-rendered.
    Returns how many articles moved.
    """
    months = check_interval(months)
    if not has_permission(actor, PERM_EDIT):
        raise NotAllowed("Only editors may change a tag's review interval.")
    with transaction.atomic():
        if months is None:
            TagReviewInterval.objects.filter(tag=tag).delete()
        else:
            TagReviewInterval.objects.update_or_create(tag=tag, defaults={"months": months})
        moved = 0
        affected = Article.objects.filter(
            tags=tag, review_interval_months__isnull=True, last_reviewed_on__isnull=False
        ).order_by("pk")
        for pk in affected.values_list("pk", flat=True):
            locked = Article.objects.select_for_update().get(pk=pk)
            due = add_months(locked.last_reviewed_on, interval_of(locked))
            if due == locked.review_due:
                continue
            locked.review_due = due
            locked.save(update_fields=["review_due", "updated_at"])
            record_event(
                locked, actor=actor, action="review_interval",
                comment=f"Tag “{tag.name}” review interval: {_describe(months)}.",
            )
            if locked.live_id:
                refresh_live_review_dates(locked)
            moved += 1
    return moved


def _describe(months):
    return f"{months} months" if months else "the tags' rule or the site default"


def refresh_live_review_dates(article: Article) -> None:
    """Re-render the live page of `article` with its current review dates (not its content)."""
    publication = article.live
    if publication is None:
        return
    months = interval_of(article)
    publication.trust = dict(publication.trust or {}, **review_dates_data(article))
    publication.overdue_notice_from = overdue_notice_from(article.review_due, months)
    publication.shows_overdue_notice = shows_overdue(publication)
    publication.save(update_fields=["trust", "overdue_notice_from", "shows_overdue_notice"])
    rerender_publication(publication)
    purge_public_pages()


def refresh_overdue_notices(*, today: date | None = None) -> int:
    """Re-render the live pages whose "due for review" notice must appear or go today.

    One indexed query when nothing changed (the usual minute); each page that changes is
    re-rendered from its frozen content in its own transaction, and the cache purged.
    Returns how many pages were re-rendered.
    """
    today = today or timezone.localdate()
    stale = Publication.objects.live().filter(
        Q(overdue_notice_from__lte=today, shows_overdue_notice=False)
        | (Q(shows_overdue_notice=True) & ~Q(overdue_notice_from__lte=today))
    )
    count = 0
    for pk in stale.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            publication = Publication.objects.select_for_update().filter(pk=pk).first()
            if publication is None:
                continue
            wanted = shows_overdue(publication, today)
            if publication.shows_overdue_notice == wanted:
                continue
            publication.shows_overdue_notice = wanted
            publication.save(update_fields=["shows_overdue_notice"])
            rerender_publication(publication)
            purge_public_pages()
            count += 1
    return count


@dataclass
class ReminderReport:
    sent: dict = field(default_factory=dict)  # email address → [article titles]
    articles: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (article, reason)


def reviewers_to_remind(article: Article) -> list:
    """Return the users to remind about `article`: its assigned reviewers and its last
    reviewer, active, with an email address and workflow emails on."""
    users = [a.reviewer for a in article.review_assignments.select_related("reviewer")]
    last = article.last_reviewed_by or article.approved_by
    if last is not None and last not in users:
        users.append(last)
    muted = set(
        NotificationPreference.objects.filter(
            user__in=users, email_enabled=False
        ).values_list("user_id", flat=True)
    )
    return [
        user for user in users
        if user.email and user.pk not in muted and has_permission(user, PERM_REVIEW)
    ]


def _due_for_reminder(now: datetime) -> QuerySet:
    today = timezone.localdate(now)
    recent = ReviewReminder.objects.filter(
        sent_at__gt=now - timedelta(days=REMINDER_EVERY_DAYS)
    ).values("article_id")
    return Article.objects.published().filter(
        review_due__lte=today + timedelta(days=REMINDER_WINDOW_DAYS)
    ).exclude(pk__in=recent)


def send_review_reminders(*, now: datetime | None = None) -> ReminderReport:
    """Mail the reviewers of live articles due within 14 days or overdue; once a week each.

    Idempotent and safe to run twice at once: each article is claimed in its own transaction
    (its row locked, skipping rows another run holds, and the week checked again under the
    lock) by writing its ReviewReminder row; each reviewer then gets one mail listing their
    articles. Returns a ReminderReport.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = ReminderReport()
    digests: dict = {}
    ids = list(_due_for_reminder(now).order_by("review_due", "pk").values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            queryset = Article.objects.all()
            if connection.features.has_select_for_update_skip_locked:
                queryset = queryset.select_for_update(skip_locked=True)
            else:
                queryset = queryset.select_for_update()
            article = queryset.filter(pk=pk).first()
            if article is None or not _due_for_reminder(now).filter(pk=pk).exists():
                continue
            recipients = reviewers_to_remind(article)
            if not recipients:
                report.skipped.append((article, "no reviewer with an email address to remind"))
                continue
            ReviewReminder.objects.create(
                article=article, review_due=article.review_due, sent_at=now,
                recipients=[user.email for user in recipients],
            )
            report.articles.append(article)
            for user in recipients:
                digests.setdefault(user.email, []).append(article)
    for email, articles in digests.items():
        _send_digest(email, articles, today=today)
        report.sent[email] = [str(article) for article in articles]
    return report


def _send_digest(email: str, articles: list, *, today: date) -> None:
    lines = []
    for article in articles:
        days = (article.review_due - today).days
        when = (
            f"overdue since {article.review_due:%d %B %Y}" if days < 0
            else f"due {article.review_due:%d %B %Y}"
        )
        link = settings.SITE_URL + reverse("admin:articles_article_change", args=[article.pk])
        lines.append(f"- {article} ({when})\n  {link}")
    count = len(articles)
    subject = f"[ketasite] {count} article{'s' if count != 1 else ''} due for review"
    body = (
        "These published articles are due for review (or overdue). Open each one and either "
        "edit it and send it to review, or confirm it with \"Reviewed, no change\".\n\n"
        + "\n".join(lines)
        + "\n\nYou get this at most once a week per article. Turn workflow emails off under "
        "Notification preferences in the admin."
    )
    try:
        send_mail(subject, body, None, [email])
    except Exception:  # noqa: BLE001 - one failed mail must not stop the others
        logger.exception("review reminder to %s failed", email)
