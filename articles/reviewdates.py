"""Review dates: when an article was last reviewed and when it is due again (the rules).

The services that change intervals, refresh pages and send reminders are in
`articles/reviewing.py`; this module imports no service, so publishing and the workflow can
use it.

Rules:
- An article's review interval is its own (`Article.review_interval_months`), else the
  shortest rule of its tags (`TagReviewInterval`), else `KETASITE_REVIEW_INTERVAL_MONTHS`.
  Allowed values: 3, 6, 12, 18, 24, 36 months (`REVIEW_INTERVAL_MONTHS`).
- Each publish and each "reviewed, no change" (`articles.workflow`) sets "last reviewed" to
  that day and "next review due" to that day plus the interval (`mark_reviewed`).
- A page overdue by more than its interval (today after due + interval) says so. The page is
  frozen at publish, so the notice is rendered into it: `reviewing.refresh_overdue_notices`,
  run by `publish_scheduled` every minute, re-renders the few pages whose notice must appear (or go)
  and purges the cache. The per-request cost stays one query.
- `reviewing.send_review_reminders` (`manage.py review_reminders`, daily) mails the reviewers
  of live articles due within 14 days or overdue, at most once a week per article.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from articles.errors import InvalidInput
from articles.models import (
    REVIEW_INTERVAL_MONTHS,
    Article,
    Publication,
    TagReviewInterval,
)

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


# The overdue notice ----------------------------------------------------------------------


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


