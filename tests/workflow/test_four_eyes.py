"""A reviewer never approves their own work; superusers neither, unless the setting allows."""

import pytest

from articles import workflow
from articles.models import Article, Revision
from tests.conftest import make_user
from tests.workflow.conftest import ready_article

State = Article.State


def _add_revision_by(article, user):
    revision = Revision.objects.create(
        article=article, number=article.draft.number + 1, title=article.draft.title,
        summary=article.draft.summary, blocks=article.draft.blocks, author=user,
    )
    article.annotations.update(revision=revision)
    article.draft = revision
    article.save(update_fields=["draft"])


def test_reviewer_who_wrote_a_revision_cannot_approve(editor):
    both = make_user(groups=["Editors", "Reviewers"])
    article = ready_article(author=editor, reviewer=both, state=State.IN_REVIEW)
    _add_revision_by(article, both)
    with pytest.raises(workflow.NotAllowed, match="Four-eyes rule"):
        workflow.approve(article, actor=both)
    assert "approve" not in workflow.allowed_actions(article, both)
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW


def test_superuser_author_cannot_approve_by_default(editor, reviewer, settings):
    settings.KETASITE_ALLOW_SELF_APPROVAL = False
    boss = make_user(is_superuser=True)
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    _add_revision_by(article, boss)
    with pytest.raises(workflow.NotAllowed, match="Four-eyes rule"):
        workflow.approve(article, actor=boss)


def test_superuser_author_may_approve_when_self_approval_is_allowed(editor, reviewer, settings):
    settings.KETASITE_ALLOW_SELF_APPROVAL = True
    boss = make_user(is_superuser=True)
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    _add_revision_by(article, boss)
    workflow.approve(article, actor=boss)
    assert article.state == State.APPROVED


def test_self_approval_setting_does_not_free_ordinary_reviewers(editor, settings):
    settings.KETASITE_ALLOW_SELF_APPROVAL = True
    both = make_user(groups=["Editors", "Reviewers"])
    article = ready_article(author=editor, reviewer=both, state=State.IN_REVIEW)
    _add_revision_by(article, both)
    with pytest.raises(workflow.NotAllowed, match="Four-eyes rule"):
        workflow.approve(article, actor=both)


def test_revisions_before_the_last_publication_do_not_count(editor, reviewer):
    both = make_user(groups=["Editors", "Reviewers"])
    article = ready_article(author=both, reviewer=reviewer, state=State.PUBLISHED)
    # `both` wrote revision 1, which is published; someone else wrote the new draft.
    _add_revision_by(article, editor)
    article.state = State.IN_REVIEW
    article.save(update_fields=["state"])
    workflow.approve(article, actor=both)
    assert article.state == State.APPROVED
