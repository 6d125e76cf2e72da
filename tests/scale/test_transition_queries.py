"""Each workflow transition costs the same number of queries on a bigger site (issue 15:
"no query may scan every revision or article a user ever touched"). The plans of those
queries are in test_plans.py (PostgreSQL); this counts them, on both databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import notifications, workflow
from articles.models import Article
from tests.conftest import make_user
from tests.workflow.conftest import ready_article

pytestmark = pytest.mark.django_db

State = Article.State


def _queries_of_each_step(editor, reviewer, publisher):
    """The number of queries of submit, approve, publish and the two mails, on a new
    article by `editor`."""
    article = ready_article(author=editor, reviewer=reviewer)
    steps = {
        "submit": lambda: workflow.submit(article, actor=editor),
        "approve": lambda: workflow.approve(article, actor=reviewer),
        "publish": lambda: workflow.publish(article, actor=publisher),
        "mail: review requested": lambda: notifications.notify_submitted(
            article_id=article.pk, actor_id=editor.pk),
        "mail: approved": lambda: notifications.notify_approved(
            article_id=article.pk, actor_id=reviewer.pk),
    }
    counts = {}
    for name, step in steps.items():
        with CaptureQueriesContext(connection) as queries:
            step()
        counts[name] = len(queries.captured_queries)
    return counts


def test_transitions_cost_the_same_queries_however_much_their_people_wrote():
    """The same people submit, approve and publish an article on a site with two articles
    and on one where they wrote, reviewed and published 12 more: not one query more."""
    editor, reviewer = make_user("Editors"), make_user("Reviewers")
    publisher = make_user("Publishers")
    # Once untimed: the users' permissions and the content types are read once a process.
    _queries_of_each_step(editor, reviewer, publisher)
    first = _queries_of_each_step(editor, reviewer, publisher)
    for _ in range(12):
        article = ready_article(author=editor, reviewer=reviewer, state=State.APPROVED)
        workflow.publish(article, actor=publisher)
        workflow.save_revision(article, actor=editor, base_number=article.draft.number,
                               title="A second revision")
    later = _queries_of_each_step(editor, reviewer, publisher)
    assert later == first
    assert Article.objects.exclude(live=None).count() == 15
