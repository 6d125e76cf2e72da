"""`perform` gives each action only its own arguments: the time is `publish_at` for approve and
publish, `unpublish_at` for unpublish, and nothing for the others (the API sends one field)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from articles import workflow
from articles.models import Article
from tests.workflow.conftest import ready_article

State = Article.State

pytestmark = pytest.mark.django_db


def test_perform_gives_unpublish_its_take_down_time(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"],
                            state=State.PUBLISHED)
    when = timezone.now() + timedelta(days=2)
    workflow.perform(article, action="unpublish", actor=team["Publishers"],
                     comment="Superseded.", when=when)
    article.refresh_from_db()
    assert (article.unpublish_at, article.live_id is not None) == (when, True)
    assert article.publish_at is None


def test_a_time_sent_with_an_action_that_takes_none_is_not_passed_to_it(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"])
    workflow.perform(article, action="submit", actor=team["Editors"],
                     when=timezone.now() + timedelta(days=1))
    article.refresh_from_db()
    assert (article.state, article.publish_at, article.unpublish_at) == (
        State.IN_REVIEW, None, None,
    )


def test_the_api_schedules_a_take_down_from_its_publish_at_field(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"],
                            state=State.PUBLISHED)
    when = timezone.now() + timedelta(days=3)
    client = APIClient()
    client.force_authenticate(team["Publishers"])
    response = client.post(
        f"/api/v1/editorial/articles/{article.pk}/transitions/",
        {"action": "unpublish", "comment": "Outdated.", "publish_at": when.isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.content
    article.refresh_from_db()
    assert article.unpublish_at == when
    assert article.events.last().action == "schedule_unpublish"
