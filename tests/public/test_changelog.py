"""The public changelog: the editor's line per publication, and the claim lines computed from
the two publications; each claim's public rating history; the feed's rating-change entries.
"""

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article, Publication
from evidence.models import Annotation
from tests.conftest import make_annotation, make_article, make_blocks, make_user, publish_now

pytestmark = pytest.mark.django_db

TEXT = "Ketamine eases depression within hours. It also cures ADHD. Doses vary widely."


def article_with_claims():
    article = make_article(title="Ketamine claims", blocks=make_blocks(TEXT))
    fast = make_annotation(article, block_id="p1", start=0, end=39, verdict="mixed",
                           certainty="low")
    cures = make_annotation(article, block_id="p1", start=40, end=59, verdict="unsupported",
                            certainty="very_low")
    return article, fast, cures


def rerate(annotation, verdict, certainty):
    Annotation.objects.filter(pk=annotation.pk).update(verdict=verdict, certainty=certainty)


def test_claim_lines_are_computed_from_the_two_publications(client):
    article, fast, cures = article_with_claims()
    first = publish_now(article)
    assert first.changelog[0]["claims"] == []

    rerate(fast, "supported", "moderate")
    Annotation.objects.filter(pk=cures.pk).update(status=Annotation.Status.ORPHANED)
    doses = make_annotation(article, block_id="p1", start=60, end=78, verdict="mixed",
                            certainty="moderate")
    second = publish_now(article, change_note="Added the 2026 trial.")

    entry = second.changelog[-1]
    assert entry["note"] == "Added the 2026 trial."
    assert [line["text"] for line in entry["claims"]] == [
        "Claim “Ketamine eases depression within hours.”: rating changed from Mixed/low to "
        "Supported/moderate",
        f"Claim “{doses.exact}”: claim added (Mixed/moderate)",
        "Claim “It also cures ADHD.”: claim removed",
    ]
    assert second.rating_changed is True

    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert "Added the 2026 trial." in page
    assert "rating changed from Mixed/low to Supported/moderate" in page
    assert "claim removed" in page


def test_an_unchanged_rating_gives_no_claim_line():
    article, _, _ = article_with_claims()
    publish_now(article)
    second = publish_now(article, change_note="Fixed a typo.")
    assert second.changelog[-1]["claims"] == []
    assert second.rating_changed is False


def test_a_claim_rating_history_lists_each_published_rating_never_the_draft(client):
    reviewer = make_user("Reviewers", first_name="Ada", last_name="Lovelace")
    article, fast, _ = article_with_claims()
    article.approved_by = reviewer
    article.save()
    publish_now(article)
    rerate(fast, "supported", "moderate")
    publish_now(article, change_note="New trial.")
    # A draft rating not yet published must never show.
    rerate(fast, "contradicted", "high")

    response = client.get(f"/articles/{article.slug}/claims/{fast.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Supported/moderate") < page.index("Mixed/low")
    assert "Contradicted" not in page
    assert "Ada Lovelace" in page
    assert client.get(f"/articles/{article.slug}/claims/999999/").status_code == 404


def test_the_history_is_gone_once_the_article_is_taken_down(client):
    article, fast, _ = article_with_claims()
    publish_now(article)
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED, live=None)
    assert client.get(f"/articles/{article.slug}/claims/{fast.pk}/").status_code == 404


def test_each_note_links_to_its_claim_history(client):
    article, fast, _ = article_with_claims()
    publish_now(article)
    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert f'href="/articles/{article.slug}/claims/{fast.pk}/"' in page


def test_the_feed_has_an_entry_for_a_republication_that_changed_a_rating(client):
    article, fast, _ = article_with_claims()
    publish_now(article)
    publish_now(article, change_note="Typo.")
    rerate(fast, "supported", "moderate")
    publish_now(article, change_note="New trial.")
    feed = client.get("/feed/").content.decode()
    assert feed.count("Ratings changed: Ketamine claims") == 1
    assert "rating changed from Mixed/low to Supported/moderate" in feed
    assert "#changelog-3" in feed


def republish_through_the_workflow(article, *, comment):
    editor = make_user("Editors")
    reviewer = make_user("Reviewers")
    publisher = make_user("Publishers")
    article.created_by = editor
    article.save()
    workflow.assign_reviewers(article, actor=publisher, reviewers=[reviewer])
    workflow.submit(article, actor=editor)
    workflow.approve(article, actor=reviewer)
    return workflow.publish(article, actor=publisher, comment=comment)


def test_republishing_without_a_changelog_line_is_refused_and_nothing_is_written():
    article, _, _ = article_with_claims()
    publish_now(article)
    article.state = Article.State.DRAFT
    article.save()
    with pytest.raises(workflow.InvalidInput) as refused:
        republish_through_the_workflow(article, comment="  ")
    assert refused.value.http_status == 400
    assert "comment" in refused.value.errors
    assert Publication.objects.filter(article=article).count() == 1
    article.refresh_from_db()
    assert article.state == Article.State.APPROVED


def test_the_api_refuses_a_republication_without_a_changelog_line():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    article, _, _ = article_with_claims()
    publish_now(article)
    Article.objects.filter(pk=article.pk).update(
        state=Article.State.APPROVED, approved_at=timezone.now(),
        approval_fingerprint=workflow.approval_fingerprint(article),
    )
    publisher = make_user("Publishers")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=publisher).key}")
    url = f"/api/v1/editorial/articles/{article.pk}/transitions/"
    refused = api.post(url, {"action": "publish"}, format="json")
    assert refused.status_code == 400
    assert "comment" in refused.json()["errors"]
    assert Publication.objects.filter(article=article).count() == 1
    done = api.post(url, {"action": "publish", "comment": "Updated the dosing advice."},
                    format="json")
    assert done.status_code == 200, done.json()
    assert Publication.objects.get(article=article, number=2).change_note == (
        "Updated the dosing advice."
    )


def test_a_scheduled_republication_keeps_its_changelog_line():
    article, _, _ = article_with_claims()
    publish_now(article)
    Article.objects.filter(pk=article.pk).update(
        state=Article.State.APPROVED, approved_at=timezone.now(),
        approval_fingerprint=workflow.approval_fingerprint(article),
    )
    publisher = make_user("Publishers")
    soon = timezone.now() + timezone.timedelta(minutes=5)
    workflow.publish(article, actor=publisher, comment="Scheduled correction.",
                     publish_at=soon)
    workflow.publish_due(now=soon + timezone.timedelta(seconds=1))
    assert Publication.objects.get(article=article, number=2).changelog[-1]["note"] == (
        "Scheduled correction."
    )
