"""`manage.py review_reminders`: due within 14 days or overdue, once a week per article."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from articles.models import Article, NotificationPreference
from articles.reviewing import send_review_reminders
from tests.reviews.conftest import live_article

pytestmark = pytest.mark.django_db


def run():
    out = StringIO()
    call_command("review_reminders", stdout=out)
    return out.getvalue()


def due_in(article, clock, days):
    Article.objects.filter(pk=article.pk).update(review_due=clock.today() + timedelta(days=days))


def test_nothing_is_sent_for_an_article_not_yet_due(clock, people):
    article = live_article(people)
    due_in(article, clock, 15)
    run()
    assert mail.outbox == []


def test_an_article_due_within_14_days_reminds_its_reviewer(clock, people):
    article = live_article(people)
    due_in(article, clock, 14)
    output = run()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [people["reviewer"].email]
    assert "Ketamine and depression" in message.body and "due " in message.body
    assert f"/admin/articles/article/{article.pk}/change/" in message.body
    assert people["reviewer"].email in output


def test_an_overdue_article_is_included_and_said_to_be_overdue(clock, people):
    article = live_article(people)
    due_in(article, clock, -30)
    run()
    assert "overdue since" in mail.outbox[0].body


def test_once_a_week_per_article_however_often_it_runs(clock, people):
    article = live_article(people)
    due_in(article, clock, 3)
    run()
    run()
    assert len(mail.outbox) == 1
    for _ in range(6):
        clock.advance(days=1)
        run()
    assert len(mail.outbox) == 1  # six days later: still the same week
    clock.advance(days=1)
    run()
    assert len(mail.outbox) == 2  # a week after the first


def test_a_reviewer_gets_one_mail_listing_all_their_articles(clock, people):
    first = live_article(people)
    second = live_article(people, title="Ketamine and ADHD")
    due_in(first, clock, 2)
    due_in(second, clock, -2)
    run()
    assert len(mail.outbox) == 1
    assert "2 articles due for review" in mail.outbox[0].subject
    assert "Ketamine and depression" in mail.outbox[0].body
    assert "Ketamine and ADHD" in mail.outbox[0].body


def test_a_reviewer_who_turned_emails_off_gets_none(clock, people):
    article = live_article(people)
    NotificationPreference.objects.create(user=people["reviewer"], email_enabled=False)
    due_in(article, clock, 1)
    errors = StringIO()
    call_command("review_reminders", stdout=StringIO(), stderr=errors)
    assert mail.outbox == []
    assert "no reviewer with an email address to remind" in errors.getvalue()


def test_articles_taken_down_are_not_reminded(clock, people):
    from articles import workflow

    article = live_article(people)
    due_in(article, clock, 1)
    workflow.unpublish(article, actor=people["publisher"], comment="Withdrawn.")
    run()
    assert mail.outbox == []


def test_two_runs_at_once_send_one_reminder(clock, people):
    """Each run claims an article by writing its reminder row under the row lock; the second
    run sees the row (or skips the locked article) and sends nothing."""
    article = live_article(people)
    due_in(article, clock, 1)
    first = send_review_reminders(now=clock.now)
    second = send_review_reminders(now=clock.now)
    assert [a.pk for a in first.articles] == [article.pk]
    assert second.articles == [] and second.sent == {}
    assert len(mail.outbox) == 1
