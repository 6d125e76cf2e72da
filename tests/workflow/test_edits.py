"""Editing: new revisions, stale bases, stale approvals, live pages, restore."""

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from articles import workflow
from articles.models import Article, Publication
from tests.conftest import make_article
from tests.workflow.conftest import ready_article

State = Article.State


def _edit(article, actor, text, base=None):
    blocks = [dict(b) for b in article.draft.blocks]
    blocks[1]["text"] = text
    return workflow.save_revision(
        article, actor=actor, base_number=base or article.draft.number, blocks=blocks,
        message="Reworded.",
    )


def test_saving_an_edit_adds_a_revision_and_keeps_the_old_one(editor):
    article = make_article(author=editor)
    first = article.draft
    revision = _edit(article, editor, "Ketamine may help some adults with ADHD, a little.")
    assert revision.number == 2
    assert revision.parent == first
    assert revision.author == editor
    article.refresh_from_db()
    assert article.draft == revision
    first.refresh_from_db()
    assert first.blocks[1]["text"] == "Ketamine may help some adults with ADHD."


def test_edit_on_a_stale_base_is_refused_and_saves_nothing(editor):
    article = make_article(author=editor)
    theirs = _edit(article, editor, "Their wording of the claim.")
    with pytest.raises(workflow.StaleRevision) as raised:
        _edit(article, editor, "My wording of the claim.", base=1)
    assert raised.value.current == theirs
    assert "revision 2" in raised.value.message
    assert article.revisions.count() == 2


def test_invalid_edit_names_each_problem_and_saves_nothing(editor):
    article = make_article(author=editor)
    with pytest.raises(workflow.InvalidInput) as raised:
        workflow.save_revision(article, actor=editor, base_number=1, title=" ",
                               blocks=[{"type": "video"}])
    assert raised.value.errors["title"] == ["A title is required."]
    assert "type must be one of" in raised.value.errors["blocks"][0]
    assert article.revisions.count() == 1


def test_reviewer_without_edit_rights_cannot_edit(editor, reviewer):
    article = make_article(author=editor)
    with pytest.raises(workflow.NotAllowed):
        _edit(article, reviewer, "A reviewer rewrote this.")
    assert article.revisions.count() == 1


def test_edit_after_approval_sends_the_article_back_and_publish_refuses(
    editor, reviewer, publisher
):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    stale = Article.objects.get(pk=article.pk)  # the publisher's page, loaded before the edit
    _edit(article, editor, "Ketamine may help some adults with ADHD.  Ask your doctor.")
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW
    event = article.events.order_by("-pk").first()
    assert event.action == "approval_withdrawn"
    assert "revision 2 saved" in event.comment
    with pytest.raises(workflow.WrongState):
        workflow.publish(stale, actor=publisher)
    assert not Publication.objects.exists()


def test_annotation_change_after_approval_is_caught_at_publish(editor, reviewer, publisher):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    # A change that bypassed content_changed must still not be published unreviewed.
    article.annotations.update(verdict="supported")
    with pytest.raises(workflow.GateFailed, match="approval no longer holds"):
        workflow.publish(article, actor=publisher)
    assert not Publication.objects.exists()


def test_content_changed_without_a_real_change_keeps_the_approval(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    workflow.content_changed(article, actor=editor, reason="touched")
    assert article.state == State.APPROVED


def test_editing_a_published_article_leaves_the_live_publication_alone(
    editor, reviewer, publisher
):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    workflow.publish(article, actor=publisher)
    live = article.live
    body = live.body_html

    _edit(article, editor, "Ketamine does not help adults with ADHD.")
    article.refresh_from_db()
    assert article.state == State.DRAFT
    assert article.live == live
    assert article.has_unpublished_changes
    assert Article.objects.published().filter(pk=article.pk).exists()
    live.refresh_from_db()
    assert live.body_html == body
    assert "does not help" not in live.body_html


def test_restore_revision_makes_a_new_draft_with_the_old_content(editor):
    article = make_article(author=editor)
    _edit(article, editor, "A second wording.")
    restored = workflow.restore_revision(article, actor=editor, number=1)
    assert restored.number == 3
    assert restored.blocks == article.revisions.get(number=1).blocks
    assert restored.message == "Restored revision 1."


def test_restore_of_an_unknown_revision_is_refused(editor):
    article = make_article(author=editor)
    with pytest.raises(workflow.InvalidInput, match="no revision 7"):
        workflow.restore_revision(article, actor=editor, number=7)


def test_annotations_follow_the_edit(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    annotation = article.annotations.get()
    revision = _edit(article, editor, "Indeed, Ketamine may help some adults with ADHD.")
    annotation.refresh_from_db()
    assert annotation.revision == revision
    assert annotation.exact == "Ketamine"
    assert annotation.start == 8


def test_archived_article_cannot_be_edited(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.ARCHIVED)
    with pytest.raises(workflow.WrongState, match="restore it first"):
        _edit(article, editor, "New words.")


def test_publish_sets_dates_review_due_and_annotation_publication(
    editor, reviewer, publisher, settings
):
    settings.KETASITE_REVIEW_INTERVAL_MONTHS = 6
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    workflow.approve(article, actor=reviewer)
    workflow.publish(article, actor=publisher, comment="First version.")
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    assert article.live.revision == article.draft
    assert article.first_published_at == article.last_published_at
    assert article.review_due == timezone.localdate() + relativedelta(months=6)
    assert article.last_reviewed_on == timezone.localdate()
    assert article.annotations.get().first_published_at == article.last_published_at
