"""Simultaneous transitions on PostgreSQL: row locks let exactly one win."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article, Publication
from tests.conftest import make_user, run_at_once
from tests.workflow.conftest import ready_article

State = Article.State

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres,  # row locks
    pytest.mark.django_db(transaction=True),
]


def _winners(results):
    return [r for r in results if not isinstance(r, Exception)]


def test_two_approvals_at_once_one_succeeds():
    editor = make_user("Editors")
    first, second = make_user("Reviewers"), make_user("Reviewers")
    article = ready_article(author=editor, reviewer=first, state=State.IN_REVIEW)
    results = run_at_once(
        lambda: workflow.approve(Article.objects.get(pk=article.pk), actor=first),
        lambda: workflow.approve(Article.objects.get(pk=article.pk), actor=second),
    )
    assert len(_winners(results)) == 1
    loser = next(r for r in results if isinstance(r, Exception))
    assert isinstance(loser, workflow.WrongState)
    assert article.events.filter(action="approve").count() == 1


def test_two_publishes_at_once_publish_once():
    editor, reviewer = make_user("Editors"), make_user("Reviewers")
    publishers = make_user("Publishers"), make_user("Publishers")
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    results = run_at_once(*[
        (lambda p=p: workflow.publish(Article.objects.get(pk=article.pk), actor=p))
        for p in publishers
    ])
    assert len(_winners(results)) == 1
    assert Publication.objects.filter(article=article).count() == 1
    assert article.events.filter(action="publish").count() == 1


def test_scheduled_publish_runs_once_when_the_command_runs_twice_at_once():
    editor, reviewer = make_user("Editors"), make_user("Reviewers")
    publisher = make_user("Publishers")
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    workflow.publish(article, actor=publisher, publish_at=timezone.now() + timedelta(minutes=5))
    later = timezone.now() + timedelta(minutes=10)
    results = run_at_once(*[lambda: workflow.publish_due(now=later)] * 2)
    published = [a.pk for r in results for a in r["published"]]
    assert published == [article.pk]
    assert Publication.objects.filter(article=article).count() == 1
