"""The editorial dashboard's lists for one user (`articles.admin.editorial_dashboard`): what
each list holds. That their reads do not grow with what the user did elsewhere is
tests/scale/test_plans.py's."""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles.admin import editorial_dashboard
from articles.models import Article, Revision
from tests.conftest import make_article, make_user
from tests.workflow.conftest import assign, make_live

State = Article.State

pytestmark = pytest.mark.django_db


def titles(user, list_title):
    lists = {entry["title"]: entry for entry in editorial_dashboard(user)}
    entry = lists[list_title]
    return sorted(article.title for article in entry["articles"]), entry["total"]


def add_revision(article, *, author, title):
    """A later revision of `article` written by `author` (the draft moves to it)."""
    number = article.revisions.count() + 1
    revision = Revision.objects.create(
        article=article, number=number, title=title, blocks=article.draft.blocks, author=author
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    return revision


def test_changes_requested_lists_what_i_created_edit_or_wrote_a_revision_of():
    me = make_user("Editors", is_staff=True)
    other = make_user("Editors", is_staff=True)
    make_article(title="Created by me", author=me, state=State.CHANGES_REQUESTED)
    edited = make_article(title="My assignment", author=other, state=State.CHANGES_REQUESTED)
    edited.assigned_editor = me
    edited.save(update_fields=["assigned_editor"])
    revised = make_article(title="Theirs", author=other, state=State.CHANGES_REQUESTED)
    add_revision(revised, author=me, title="I revised it")
    make_article(title="Not mine", author=other, state=State.CHANGES_REQUESTED)
    make_article(title="Mine but a draft", author=me, state=State.DRAFT)
    make_article(title="Mine, in review", author=me, state=State.IN_REVIEW)

    assert titles(me, "Changes requested on my articles") == (
        ["Created by me", "I revised it", "My assignment"], 3
    )


def test_changes_requested_lists_an_article_once_however_many_revisions_i_wrote():
    me = make_user("Editors", is_staff=True)
    article = make_article(title="First", author=me, state=State.CHANGES_REQUESTED)
    for number in range(3):
        add_revision(article, author=me, title=f"Edit {number}")

    assert titles(me, "Changes requested on my articles") == (["Edit 2"], 1)


def test_awaiting_my_review_lists_my_assignments_in_review_only():
    me = make_user("Reviewers", is_staff=True)
    other = make_user("Reviewers", is_staff=True)
    mine = make_article(title="Mine", state=State.IN_REVIEW)
    assign(mine, me)
    assign(mine, other)
    assign(make_article(title="Someone else's", state=State.IN_REVIEW), other)
    assign(make_article(title="Mine, approved", state=State.APPROVED), me)
    assign(make_article(title="Mine, published", state=State.PUBLISHED), me)

    assert titles(me, "Awaiting my review") == (["Mine"], 1)


def test_the_lists_total_counts_past_the_ten_shown():
    me = make_user("Editors", is_staff=True)
    for number in range(12):
        make_article(title=f"Sent back {number:02}", author=me, state=State.CHANGES_REQUESTED)

    shown, total = titles(me, "Changes requested on my articles")
    assert (len(shown), total) == (10, 12)


def test_overdue_lists_late_reviews_in_review_and_live_articles_past_their_review_date():
    me = make_user("Editors", is_staff=True)
    reviewer = make_user("Reviewers", is_staff=True)
    yesterday = timezone.localdate() - timedelta(days=1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assign(make_article(title="Review late", state=State.IN_REVIEW), reviewer, due=yesterday)
    assign(make_article(title="Review on time", state=State.IN_REVIEW), reviewer, due=tomorrow)
    assign(make_article(title="Draft, late assignment"), reviewer, due=yesterday)
    assign(make_article(title="Approved, late assignment", state=State.APPROVED), reviewer,
           due=yesterday)
    for title, due in (("Live, review past", yesterday), ("Live, review ahead", tomorrow)):
        article = make_article(title=title, state=State.PUBLISHED)
        make_live(article)
        Article.objects.filter(pk=article.pk).update(review_due=due)

    assert titles(me, "Overdue") == (["Live, review past", "Review late"], 2)
