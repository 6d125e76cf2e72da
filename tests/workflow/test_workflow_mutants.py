"""Workflow refusals, in the cases `make mutate` found the rest of the suite did not check.

An editor reads these messages in the admin and API clients read them in the error body: the
words are the product, so they are asserted whole.
"""

import pytest

from articles import workflow
from articles.models import Article, Revision
from tests.conftest import make_article
from tests.workflow.conftest import assign

State = Article.State


def test_a_blank_title_is_the_reason_given_when_submitting(editor, reviewer):
    article = make_article(author=editor)
    assign(article, reviewer)
    Revision.objects.filter(pk=article.draft_id).update(title="   ")
    article.refresh_from_db()

    with pytest.raises(workflow.GateFailed) as raised:
        workflow.perform(article, action="submit", actor=editor)

    assert raised.value.failures == ["give the article a title"]
    article.refresh_from_db()
    assert article.state == State.DRAFT


def test_requesting_changes_without_a_comment_names_the_missing_field(editor, reviewer):
    article = make_article(author=editor, state=State.IN_REVIEW)
    assign(article, reviewer)

    with pytest.raises(workflow.InvalidInput) as raised:
        workflow.perform(article, action="request_changes", actor=reviewer, comment="  ")

    assert raised.value.errors == {"comment": ["A comment is required."]}
    assert raised.value.message == "A comment is required to request changes."
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW
