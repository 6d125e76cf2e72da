"""Scheduled publication and take-down through publish_scheduled."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from articles import workflow
from articles.models import Article
from tests.workflow.conftest import ready_article

State = Article.State


@pytest.fixture
def approved(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    return workflow.approve(article, actor=reviewer)


def _run():
    out = StringIO()
    call_command("publish_scheduled", stdout=out, stderr=out)
    return out.getvalue()


def test_publish_with_a_future_time_schedules_without_publishing(approved, publisher):
    when = timezone.now() + timedelta(hours=2)
    workflow.publish(approved, actor=publisher, publish_at=when)
    approved.refresh_from_db()
    assert approved.state == State.APPROVED
    assert approved.live is None
    assert approved.publish_at == when
    assert list(Article.objects.scheduled()) == [approved]
    assert approved.events.order_by("-pk").first().action == "schedule"
    assert _run() == ""


def test_command_publishes_what_is_due_once(approved, publisher):
    workflow.publish(approved, actor=publisher, publish_at=timezone.now() + timedelta(hours=1))
    Article.objects.filter(pk=approved.pk).update(
        publish_at=timezone.now() - timedelta(minutes=1)
    )
    assert _run() == f"published {approved.slug}\n"
    assert _run() == ""
    approved.refresh_from_db()
    assert approved.state == State.PUBLISHED
    assert approved.publications.count() == 1
    event = approved.events.order_by("-pk").first()
    assert (event.action, event.actor) == ("publish", publisher)


def test_publish_due_twice_at_the_same_time_publishes_once(approved, publisher):
    workflow.publish(approved, actor=publisher, publish_at=timezone.now() + timedelta(hours=1))
    later = timezone.now() + timedelta(hours=2)
    first = workflow.publish_due(now=later)
    second = workflow.publish_due(now=later)
    assert [a.pk for a in first["published"]] == [approved.pk]
    assert second["published"] == []
    assert approved.publications.count() == 1


def test_approval_time_of_a_plain_reviewer_is_only_a_proposal(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer, publish_at=timezone.now() - timedelta(minutes=1))
    assert workflow.publish_due()["published"] == []
    article.refresh_from_db()
    assert article.state == State.APPROVED
    assert list(Article.objects.ready_to_publish()) == [article]


def test_edit_after_scheduling_cancels_the_schedule(approved, publisher, editor):
    workflow.publish(approved, actor=publisher, publish_at=timezone.now() + timedelta(hours=1))
    blocks = [dict(b) for b in approved.draft.blocks]
    blocks[1]["text"] = "Changed after scheduling."
    workflow.save_revision(approved, actor=editor, base_number=1, blocks=blocks)
    assert workflow.publish_due(now=timezone.now() + timedelta(hours=2))["published"] == []
    approved.refresh_from_db()
    assert approved.state == State.IN_REVIEW
    assert approved.publish_at is None


def test_scheduled_take_down(editor, reviewer, publisher):
    article = ready_article(author=editor, reviewer=reviewer, state=State.PUBLISHED)
    when = timezone.now() + timedelta(days=1)
    workflow.unpublish(article, actor=publisher, comment="Superseded.", unpublish_at=when)
    article.refresh_from_db()
    assert article.live is not None
    assert workflow.publish_due()["unpublished"] == []
    report = workflow.publish_due(now=when + timedelta(minutes=1))
    assert [a.pk for a in report["unpublished"]] == [article.pk]
    article.refresh_from_db()
    assert (article.state, article.live) == (State.UNPUBLISHED, None)


def test_naive_publication_time_is_refused(approved, publisher):
    with pytest.raises(workflow.InvalidInput, match="time zone"):
        workflow.publish(approved, actor=publisher, publish_at=timezone.now().replace(tzinfo=None))
