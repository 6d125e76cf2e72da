"""When a claim's rating changes: the live articles that show it are listed for re-review,
their editors and reviewers are told, the dashboard lists them, and no public page changes
until the article is published again."""

import pytest
from django.core import mail

from articles.models import Article, ReviewAssignment
from claims import services
from claims.models import ReReview
from tests.claims.helpers import linked_article, rated_claim
from tests.conftest import make_user, publish_now


@pytest.fixture
def claim(editor, reviewer):
    return rated_claim(editor=editor, reviewer=reviewer, verdict="unsupported",
                       certainty="very_low", note="No trial in ADHD.")


def rerate(claim, reviewer, **rating):
    claim.refresh_from_db()
    return services.rate_claim(claim, actor=reviewer, expected_version=claim.version, **rating)


def test_a_new_rating_lists_every_live_article_that_shows_the_claim(editor, reviewer, claim):
    first, _ = linked_article(claim, editor=editor, reviewer=reviewer, title="First")
    second, _ = linked_article(claim, editor=editor, reviewer=reviewer, title="Second")
    draft_only, _ = linked_article(claim, editor=editor, reviewer=reviewer, title="Draft",
                                   publish=False)
    rerate(claim, reviewer, verdict="contradicted", certainty="moderate")
    listed = set(ReReview.objects.filter(resolved_at__isnull=True)
                 .values_list("article_id", flat=True))
    assert listed == {first.pk, second.pk}
    assert draft_only.pk not in listed


def test_a_second_change_does_not_list_an_article_twice(editor, reviewer, claim):
    linked_article(claim, editor=editor, reviewer=reviewer)
    rerate(claim, reviewer, verdict="contradicted", certainty="moderate")
    rerate(claim, reviewer, verdict="mixed", certainty="low")
    assert ReReview.objects.filter(resolved_at__isnull=True).count() == 1


def test_the_first_rating_of_a_claim_lists_nothing(editor, reviewer):
    claim = services.create_claim(statement="Ketamine is an anaesthetic.", actor=editor)
    services.rate_claim(claim, actor=reviewer, expected_version=1, verdict="supported",
                        certainty="high")
    assert not ReReview.objects.exists()


def test_editors_and_reviewers_of_the_article_are_emailed(editor, reviewer, claim,
                                                          django_capture_on_commit_callbacks):
    article, _ = linked_article(claim, editor=editor, reviewer=reviewer)
    Article.objects.filter(pk=article.pk).update(created_by=editor)
    assigned = make_user("Reviewers")
    ReviewAssignment.objects.create(article=article, reviewer=assigned)
    rater = make_user("Reviewers")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rerate(claim, rater, verdict="contradicted", certainty="moderate")
    recipients = {address for message in mail.outbox for address in message.to}
    assert recipients == {editor.email, assigned.email}
    assert all("Re-review needed" in message.subject for message in mail.outbox)
    assert claim.statement in mail.outbox[0].body


def test_the_dashboard_lists_articles_needing_re_review(client, editor, reviewer, claim):
    article, _ = linked_article(claim, editor=editor, reviewer=reviewer, title="Ketamine and ADHD")
    rerate(claim, reviewer, verdict="contradicted", certainty="moderate")
    staff = make_user("Editors", is_staff=True)
    client.force_login(staff)
    page = client.get("/admin/").content.decode()
    assert 'id="claims-rereview"' in page
    assert f"/admin/articles/article/{article.pk}/change/" in page
    assert "Ketamine and ADHD" in page


def test_the_public_page_keeps_the_approved_rating_until_published_again(client, editor,
                                                                          reviewer, claim):
    article, _ = linked_article(claim, editor=editor, reviewer=reviewer, slug="ketamine-adhd")
    before = client.get("/articles/ketamine-adhd/")
    api_before = client.get("/api/v1/articles/ketamine-adhd/")
    assert "Unsupported" in before.content.decode()
    rerate(claim, reviewer, verdict="contradicted", certainty="moderate", note="New review.")
    after = client.get("/articles/ketamine-adhd/")
    assert after.content == before.content
    assert client.get("/api/v1/articles/ketamine-adhd/").content == api_before.content
    assert "No trial in ADHD." in after.content.decode()
    assert "New review." not in after.content.decode()


def test_publishing_again_closes_the_re_review(editor, reviewer, claim):
    article, (annotation,) = linked_article(claim, editor=editor, reviewer=reviewer)
    rerate(claim, reviewer, verdict="contradicted", certainty="moderate")
    services.confirm_link(annotation, actor=reviewer, accept=True)
    article.refresh_from_db()
    publish_now(article)
    assert not ReReview.objects.filter(resolved_at__isnull=True).exists()
    assert ReReview.objects.get().resolved_at is not None
