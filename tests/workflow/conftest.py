"""Helpers for the workflow tests: articles that pass every gate, in any state."""

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article, Publication, ReviewAssignment
from evidence.models import Annotation, ReviewComment
from tests.conftest import make_article, make_user

State = Article.State


def add_annotation(article, *, block_id="p1", start=0, end=8, certainty="low",
                   verdict="unsupported", status=Annotation.Status.OPEN, note=""):
    """Create an annotation on the article's draft directly (no evidence services)."""
    block = next(b for b in article.draft.blocks if b["id"] == block_id)
    text = block["text"]
    return Annotation.objects.create(
        article=article, revision=article.draft, block_id=block_id, start=start, end=end,
        exact=text[start:end], prefix=text[max(0, start - 32):start], suffix=text[end:end + 32],
        certainty=certainty, verdict=verdict, status=status, note=note,
    )


def add_comment(annotation, *, author=None, resolved=False):
    return ReviewComment.objects.create(
        annotation=annotation, author=author, body="Is there a trial for this?",
        resolved_at=timezone.now() if resolved else None,
    )


def assign(article, reviewer, *, due=None):
    return ReviewAssignment.objects.create(article=article, reviewer=reviewer, due=due)


def make_live(article):
    """Give the article a live publication of its draft, bypassing the workflow."""
    now = timezone.now()
    publication = Publication.objects.create(
        article=article, revision=article.draft,
        number=(article.publications.count() + 1), slug=article.slug,
        title=article.draft.title,
        summary=article.draft.summary, blocks=article.draft.blocks, body_html="<p>frozen</p>",
        published_at=now, first_published_at=now,
    )
    article.live = publication
    article.first_published_at = article.first_published_at or now
    article.last_published_at = now
    article.save(update_fields=["live", "first_published_at", "last_published_at"])
    return publication


def ready_article(*, author, reviewer, state=State.DRAFT):
    """Return an article by `author` that passes every gate, put in `state` directly."""
    article = make_article(author=author)
    assign(article, reviewer)
    add_annotation(article)
    if state in (State.APPROVED, State.PUBLISHED):
        article.approval_fingerprint = workflow.approval_fingerprint(article)
        article.approved_revision = article.draft
        article.approved_at = timezone.now()
        article.save(update_fields=["approval_fingerprint", "approved_revision", "approved_at"])
    if state == State.PUBLISHED:
        make_live(article)
    article.state = state
    article.save(update_fields=["state"])
    return article


@pytest.fixture
def admin_user(db):
    return make_user(username="boss", is_superuser=True, is_staff=True)


@pytest.fixture
def team(db):
    """One user per editorial group, plus a user in no group."""
    return {
        "Editors": make_user("Editors", is_staff=True),
        "Reviewers": make_user("Reviewers", is_staff=True),
        "Publishers": make_user("Publishers", is_staff=True),
        None: make_user(None),
    }
