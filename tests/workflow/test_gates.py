"""The submit and approve gates list every failing item."""

import pytest

from articles import workflow
from articles.models import Article, Revision
from evidence.models import Annotation
from tests.conftest import make_article
from tests.workflow.conftest import add_annotation, add_comment, assign, ready_article

State = Article.State


def test_submit_gate_lists_every_missing_item(editor):
    article = make_article(author=editor, summary="")
    Revision.objects.filter(pk=article.draft_id).update(title_is_provisional=True)
    article.refresh_from_db()
    with pytest.raises(workflow.GateFailed) as raised:
        workflow.submit(article, actor=editor)
    assert raised.value.failures == [
        "assign at least one reviewer",
        "confirm or replace the provisional title",
        "write a summary",
    ]
    assert "not ready for review" in raised.value.message
    article.refresh_from_db()
    assert article.state == State.DRAFT
    assert not article.events.exists()


def test_submit_gate_passes_when_complete(editor, reviewer):
    article = make_article(author=editor)
    assign(article, reviewer)
    assert workflow.submit_gate(article) == []


def test_approve_gate_lists_unrated_orphaned_and_commented_annotations(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    unrated = add_annotation(article, start=9, end=12, certainty="", verdict="")
    half_rated = add_annotation(article, start=13, end=17, certainty="low", verdict="")
    orphan = add_annotation(article, start=18, end=22, status=Annotation.Status.ORPHANED)
    commented = Annotation.objects.filter(article=article).order_by("pk").first()
    comment = add_comment(commented, author=reviewer)
    add_comment(commented, author=reviewer, resolved=True)

    with pytest.raises(workflow.GateFailed) as raised:
        workflow.approve(article, actor=reviewer)
    failures = raised.value.failures
    assert len(failures) == 4
    assert f"rate the certainty and verdict of annotation {unrated.pk}" in failures[0]
    assert f"rate the verdict of annotation {half_rated.pk}" in failures[1]
    assert f"orphaned annotation {orphan.pk}" in failures[2]
    assert failures[3] == f"resolve the review comment {comment.pk} on annotation {commented.pk}"
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW


def test_resolved_annotations_need_no_rating(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    add_annotation(article, start=9, end=12, certainty="", verdict="",
                   status=Annotation.Status.RESOLVED)
    assert workflow.approve_gate(article) == []


def test_publish_checks_the_approve_gate_again(editor, reviewer, publisher):
    article = ready_article(author=editor, reviewer=reviewer, state=State.APPROVED)
    annotation = article.annotations.get()
    # A comment added after approval does not change the fingerprint, but still blocks.
    comment = add_comment(annotation, author=reviewer)
    with pytest.raises(workflow.GateFailed, match=f"resolve the review comment {comment.pk}"):
        workflow.publish(article, actor=publisher)
    article.refresh_from_db()
    assert article.state == State.APPROVED
    assert article.live is None
