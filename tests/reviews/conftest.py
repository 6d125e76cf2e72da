"""Fixtures for the review-dates, reminders, profiles and JSON-LD tests."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article
from tests.conftest import make_annotation, make_article, make_user


class FakeClock:
    """`django.utils.timezone.now` under the test's control: everything that reads the time
    (the workflow, auto_now fields, localdate) sees it."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **kwargs):
        self.now += timedelta(**kwargs)

    def today(self):
        return timezone.localdate(self.now)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def people(db):
    """An editor who writes, a reviewer who rates, a second reviewer, a publisher."""
    return {
        "editor": make_user("Editors", username="ed", first_name="Edna", last_name="Editor",
                            is_staff=True),
        "reviewer": make_user("Reviewers", username="rita", first_name="Rita",
                              last_name="Reviewer", is_staff=True),
        "reviewer2": make_user("Reviewers", username="rob", first_name="Rob",
                               last_name="Second", is_staff=True),
        "publisher": make_user("Publishers", username="pat", is_staff=True),
    }


def live_article(people, *, tags=(), title="Ketamine and depression", source_url="",
                 site_name="", original_published_on=None):
    """Write, rate, approve and publish an article through the real workflow."""
    article = make_article(title=title, author=people["editor"], tags=tags)
    Article.objects.filter(pk=article.pk).update(
        source_url=source_url, site_name=site_name, original_published_on=original_published_on
    )
    article.refresh_from_db()
    text = article.draft.blocks[1]["text"]
    start = text.index("Ketamine")
    make_annotation(article, block_id="p1", start=start, end=start + len("Ketamine may help"),
                    verdict="mixed", certainty="low", note="Two small trials.")
    workflow.assign_reviewers(article, actor=people["editor"], reviewers=[people["reviewer"]])
    workflow.submit(article, actor=people["editor"])
    workflow.approve(article, actor=people["reviewer"])
    workflow.publish(article, actor=people["publisher"], comment="First published.")
    article.refresh_from_db()
    return article
