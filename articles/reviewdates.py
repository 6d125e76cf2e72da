"""Review dates: when an article was last reviewed, when it is due again, and reminders.

Rules:
- An article's review interval is its own (`Article.review_interval_months`), else the
  shortest rule of its tags (`TagReviewInterval`), else `KETASITE_REVIEW_INTERVAL_MONTHS`.
  Allowed values: 3, 6, 12, 18, 24, 36 months (`REVIEW_INTERVAL_MONTHS`).
- Each publish and each "reviewed, no change" (`articles.workflow`) sets "last reviewed" to
  that day and "next review due" to that day plus the interval (`mark_reviewed`).
- A page overdue by more than its interval (today after due + interval) says so. The page is
  frozen at publish, so the notice is rendered into it: `refresh_overdue_notices`, run by
  `publish_scheduled` every minute, re-renders the few pages whose notice must appear (or go)
  and purges the cache. The per-request cost stays one query.
- `send_review_reminders` (`manage.py review_reminders`, daily) mails the reviewers of live
  articles due within 14 days or overdue, at most once a week per article.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from articles.models import (
    REVIEW_INTERVAL_MONTHS,
    Article,
    Publication,
    ReviewReminder,
    TagReviewInterval,
)
from pagecache.generation import purge_public_pages

logger = logging.getLogger("ketasite.reviews")

REMINDER_WINDOW_DAYS = 14
REMINDER_EVERY_DAYS = 7


def add_months(day: date, months: int) -> date:
    """Return `day` plus `months` calendar months, on the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_interval(months) -> int | None:
    """Return `months` as an allowed interval (None: inherit); raise InvalidInput if not."""
    from articles.workflow import InvalidInput

    if months is None or months == "":
        return None
    allowed = ", ".join(str(m) for m in REVIEW_INTERVAL_MONTHS)
    allowed_text = {str(m) for m in REVIEW_INTERVAL_MONTHS}
    if isinstance(months, bool) or str(months).strip() not in allowed_text:
        raise InvalidInput(
            f"A review interval must be one of {allowed} months.",
            {"months": [f"Use one of {allowed} months, or null for the tags' rule."]},
        )
    return int(months)


def interval_of(article: Article, *, tag_rules: dict | None = None) -> int:
    """Return the article's review interval in months (its own, its tags', the site's).

    `tag_rules` ({tag id: months}, from `tag_rule_map`) saves a query per article when
    listing many, whose tags are then read from `article.tags.all()` (prefetch them).
    """
    if article.review_interval_months:
        return article.review_interval_months
    if tag_rules is None:
        tag_rule = (
            TagReviewInterval.objects.filter(tag__in=article.tags.all())
            .order_by("months").values_list("months", flat=True).first()
        )
    else:
        tag_rule = min(
            (tag_rules[tag.pk] for tag in article.tags.all() if tag.pk in tag_rules), default=None
        )
    return tag_rule or settings.KETASITE_REVIEW_INTERVAL_MONTHS


def tag_rule_map() -> dict:
    """Return every tag's review interval as {tag id: months}."""
    return dict(TagReviewInterval.objects.values_list("tag_id", "months"))


def mark_reviewed(article: Article, *, reviewer, on: date) -> list[str]:
    """Set the article's review dates for a review on `on` by `reviewer` (not saved).

    Returns the names of the fields changed, for `save(update_fields=...)`.
    """
    article.last_reviewed_on = on
    article.last_reviewed_by = reviewer if getattr(reviewer, "pk", None) else None
    article.review_due = add_months(on, interval_of(article))
    return ["last_reviewed_on", "last_reviewed_by", "review_due"]


def overdue_notice_from(review_due: date | None, months: int) -> date | None:
    """The first day on which a page due on `review_due` is overdue by more than its interval."""
    if review_due is None:
        return None
    return add_months(review_due, months) + timedelta(days=1)


def review_dates_data(article: Article) -> dict:
    """Return what the publication freezes about its review dates (after `mark_reviewed`)."""
    months = interval_of(article)
    return {
        "last_reviewed": article.last_reviewed_on.isoformat() if article.last_reviewed_on else None,
        "next_review_due": article.review_due.isoformat() if article.review_due else None,
        "interval_months": months,
    }


def shows_overdue(publication: Publication, today: date | None = None) -> bool:
    """True when the publication's page must carry the "due for review" notice today."""
    today = today or timezone.localdate()
    return bool(publication.overdue_notice_from and today >= publication.overdue_notice_from)


# Changing an interval ---------------------------------------------------------------------


def set_review_interval(article: Article, *, actor, months) -> Article:
    """Set the article's own review interval (None: its tags' rule or the site default).

    Editors and publishers may. Refuses a value outside the allowed ones (InvalidInput, 400)
    before anything is written. A live article's next review date moves with the interval
    (counted from its last review), and its page is re-rendered with the new date.
    """
    from articles import workflow

    months = check_interval(months)
    if not workflow._has_perm(actor, workflow.PERM_EDIT):
        raise workflow.NotAllowed("Only editors may change an article's review interval.")
    with transaction.atomic():
        locked = workflow._lock(article)
        old = locked.review_interval_months
        locked.review_interval_months = months
        fields = ["review_interval_months", "updated_at"]
        if locked.last_reviewed_on:
            locked.review_due = add_months(locked.last_reviewed_on, interval_of(locked))
            fields.append("review_due")
        locked.save(update_fields=fields)
        workflow.record_event(
            locked, actor=actor, action="review_interval",
            comment=f"Review interval: {_describe(old)} → {_describe(months)}.",
        )
        if locked.live_id:
            refresh_live_review_dates(locked)
    return workflow._sync(article, locked)


def set_tag_review_interval(tag, *, actor, months) -> int:
    """Set (or, with None, remove) the review interval of `tag`: the default of its articles.

    Editors and publishers may; a value outside the allowed ones is refused (InvalidInput,
    400) before anything is written. Every live article of the tag without its own interval
    gets its next review date again, counted from its last review, and its page re-rendered.
    Returns how many articles moved.
    """
    from articles import workflow

    months = check_interval(months)
    if not workflow._has_perm(actor, workflow.PERM_EDIT):
        raise workflow.NotAllowed("Only editors may change a tag's review interval.")
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
            locked = workflow._lock(Article(pk=pk))
            due = add_months(locked.last_reviewed_on, interval_of(locked))
            if due == locked.review_due:
                continue
            locked.review_due = due
            locked.save(update_fields=["review_due", "updated_at"])
            workflow.record_event(
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
    from articles.publishing import rerender_publication

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


# The overdue notice ----------------------------------------------------------------------


def refresh_overdue_notices(*, today: date | None = None) -> int:
    """Re-render the live pages whose "due for review" notice must appear or go today.

    One indexed query when nothing changed (the usual minute); each page that changes is
    re-rendered from its frozen content in its own transaction, and the cache purged.
    Returns how many pages were re-rendered.
    """
    from articles.publishing import rerender_publication

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


# Dashboard and report --------------------------------------------------------------------


def overdue_for_review(today: date | None = None) -> QuerySet:
    """Return the live articles whose next review date has passed."""
    today = today or timezone.localdate()
    return Article.objects.published().filter(review_due__lt=today)


def due_this_month(today: date | None = None) -> QuerySet:
    """Return the live articles due for review from today to the end of this month."""
    today = today or timezone.localdate()
    last = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    return Article.objects.published().filter(review_due__gte=today, review_due__lte=last)


def review_report(*, tag: str = "", reviewer_id: int | None = None, month: str = "") -> QuerySet:
    """Return the live articles for the reviews report, by next review date.

    `tag` is a tag slug, `reviewer_id` the last reviewer, `month` "YYYY-MM" of the next review
    date. An unreadable `month` raises ValueError.
    """
    queryset = Article.objects.published().select_related("draft", "last_reviewed_by")
    if tag:
        queryset = queryset.filter(tags__slug=tag)
    if reviewer_id:
        queryset = queryset.filter(last_reviewed_by_id=reviewer_id)
    if month:
        start = datetime.strptime(month, "%Y-%m").date()
        queryset = queryset.filter(
            review_due__gte=start, review_due__lt=add_months(start, 1)
        )
    return queryset.distinct().order_by("review_due", "pk")


# Reminders -------------------------------------------------------------------------------


@dataclass
class ReminderReport:
    sent: dict = field(default_factory=dict)  # email address → [article titles]
    articles: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (article, reason)


def reviewers_to_remind(article: Article) -> list:
    """Return the users to remind about `article`: its assigned reviewers and its last
    reviewer, active, with an email address and workflow emails on."""
    from articles import workflow
    from articles.models import NotificationPreference

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
        if user.email and user.pk not in muted and workflow._has_perm(user, workflow.PERM_REVIEW)
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
    from django.urls import reverse

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
