"""Simultaneous transitions on PostgreSQL: row locks let exactly one win.

Each race runs with the window held open past the lock (`run_at_once_past_the_lock`): the
first caller past the lock waits until the other is blocked on it. Without the lock both
callers read the row before either writes, so a missing lock fails every run, and the tests
assert what the loser gets: the workflow's refusal, never a database error.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article, Publication
from tests.conftest import make_user, run_at_once_past_the_lock
from tests.workflow.conftest import ready_article

State = Article.State

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _winners(results):
    return [r for r in results if not isinstance(r, Exception)]


def _loser(results):
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == 1, results
    return losers[0]


def test_two_approvals_at_once_one_succeeds_the_other_is_told_it_is_approved(monkeypatch):
    editor = make_user("Editors")
    first, second = make_user("Reviewers"), make_user("Reviewers")
    article = ready_article(author=editor, reviewer=first, state=State.IN_REVIEW)
    results, window = run_at_once_past_the_lock(
        monkeypatch,
        lambda: workflow.approve(Article.objects.get(pk=article.pk), actor=first),
        lambda: workflow.approve(Article.objects.get(pk=article.pk), actor=second),
    )
    assert len(_winners(results)) == 1, results
    loser = _loser(results)
    assert isinstance(loser, workflow.WrongState), repr(loser)
    assert loser.message.startswith("Cannot approve an article that is approved")
    assert window.blocked, "the second approval never waited for the first one's lock"
    assert article.events.filter(action="approve").count() == 1
    article.refresh_from_db()
    assert article.state == State.APPROVED
    assert article.approved_by_id == _winners(results)[0].approved_by_id


def test_two_publishes_at_once_publish_once_the_other_is_told_it_is_published(monkeypatch):
    editor, reviewer = make_user("Editors"), make_user("Reviewers")
    publishers = make_user("Publishers"), make_user("Publishers")
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    results, window = run_at_once_past_the_lock(monkeypatch, *[
        (lambda p=p: workflow.publish(Article.objects.get(pk=article.pk), actor=p))
        for p in publishers
    ])
    assert len(_winners(results)) == 1, results
    loser = _loser(results)
    # Not an IntegrityError from the second Publication row: that is a 500 for a person.
    assert isinstance(loser, workflow.WrongState), repr(loser)
    assert loser.message.startswith("Cannot publish an article that is published")
    assert window.blocked, "the second publish never waited for the first one's lock"
    assert Publication.objects.filter(article=article).count() == 1
    assert article.events.filter(action="publish").count() == 1
    article.refresh_from_db()
    assert article.state == State.PUBLISHED


def test_scheduled_publish_runs_once_when_the_command_runs_twice_at_once(monkeypatch):
    editor, reviewer = make_user("Editors"), make_user("Reviewers")
    publisher = make_user("Publishers")
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    workflow.publish(article, actor=publisher, publish_at=timezone.now() + timedelta(minutes=5))
    later = timezone.now() + timedelta(minutes=10)
    results, _ = run_at_once_past_the_lock(
        monkeypatch, *[lambda: workflow.publish_due(now=later)] * 2
    )
    # Both runs end normally: the second skips the article the first holds, and no run dies
    # on a duplicate publication.
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [a.pk for r in results for a in r["published"]] == [article.pk]
    assert [failure for r in results for failure in r["failed"]] == []
    assert Publication.objects.filter(article=article).count() == 1
    assert article.events.filter(action="publish").count() == 1
