"""Workflow refusals, in the cases `make mutate` found the rest of the suite did not check.

An editor reads these messages in the admin and API clients read them in the error body: the
words are the product, so they are asserted whole.
"""

import pytest

from articles import workflow
from articles.models import Article, Publication, Revision
from tests.conftest import make_article
from tests.workflow.conftest import assign, ready_article

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


def test_an_address_still_live_for_another_article_cannot_be_approved(editor, reviewer):
    # The first article was published at /articles/ketamine-and-sleep/ and then renamed; its
    # live page stays at the old address until it is published again. A second article may
    # take the slug, but approving it would promise a page that cannot be served.
    first = ready_article(author=editor, reviewer=reviewer, state=State.PUBLISHED)
    Article.objects.filter(pk=first.pk).update(slug="ketamine-and-sleep-renamed")
    Publication.objects.filter(pk=first.live_id).update(slug="ketamine-and-sleep")
    second = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    Article.objects.filter(pk=second.pk).update(slug="ketamine-and-sleep")
    second.refresh_from_db()

    with pytest.raises(workflow.GateFailed) as raised:
        workflow.perform(second, action="approve", actor=reviewer)

    [failure] = raised.value.failures
    assert failure.startswith(
        "the address /articles/ketamine-and-sleep/ is still the live page of "
    )
    assert failure.endswith("; choose another slug")
    second.refresh_from_db()
    assert second.state == State.IN_REVIEW
