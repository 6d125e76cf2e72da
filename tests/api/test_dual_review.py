"""Dual review through the editorial API: blind independent ratings, conflicts, consensus, and
the approve gate that waits for them.

The rules (issue 14): two reviewers assigned to the article rate each annotation without
seeing each other's rating until both have rated; a second rating by the same reviewer or a
rating by someone not assigned is refused (403); a consensus before both ratings exist is
refused (409) naming who is missing; nothing is written on a refusal; the approve gate lists
each annotation lacking a rating or a needed consensus.
"""

import pytest
from taggit.models import Tag

from articles import workflow
from articles.models import Article
from evidence.models import (
    Annotation,
    ConsensusRating,
    DualReviewPolicy,
    RatingChange,
    ReviewerRating,
)
from tests.conftest import make_article, make_user
from tests.workflow.conftest import add_annotation, assign

pytestmark = pytest.mark.django_db


def ratings_url(annotation):
    return f"/api/v1/editorial/annotations/{annotation.pk}/ratings/"


def consensus_url(annotation):
    return f"/api/v1/editorial/annotations/{annotation.pk}/consensus/"


def detail_url(annotation):
    return f"/api/v1/editorial/annotations/{annotation.pk}/"


@pytest.fixture
def people(token_client):
    return {
        "editor": token_client("Editors"),
        "first": token_client("Reviewers"),
        "second": token_client("Reviewers"),
        "outsider": token_client("Reviewers"),
        "arbiter": token_client("Reviewers"),
    }


@pytest.fixture
def dual(people):
    """An article in review that needs two ratings, two reviewers assigned, one passage."""
    article = make_article(author=people["editor"].user, state=Article.State.IN_REVIEW)
    assign(article, people["first"].user)
    assign(article, people["second"].user)
    DualReviewPolicy.objects.create(article=article, arbiter=people["arbiter"].user)
    annotation = add_annotation(article, certainty="", verdict="")
    return article, annotation


def rate(client, annotation, verdict, certainty, note="My reading."):
    return client.post(
        ratings_url(annotation), {"verdict": verdict, "certainty": certainty, "note": note},
        format="json",
    )


def test_a_reviewer_sees_only_their_own_rating_until_both_have_rated(people, dual):
    _, annotation = dual
    assert rate(people["first"], annotation, "mixed", "low").status_code == 201

    for client in (people["second"], people["editor"]):
        body = client.get(detail_url(annotation)).json()
        assert body["dual_review"]["ratings"] == []
        assert body["dual_review"]["ratings_count"] == 1
        assert body["certainty"] == "" and body["verdict"] == ""
        assert client.get(ratings_url(annotation)).json() == []
    own = people["first"].get(detail_url(annotation)).json()["dual_review"]
    assert [(r["verdict"], r["certainty"]) for r in own["ratings"]] == [("mixed", "low")]

    assert rate(people["second"], annotation, "mixed", "moderate").status_code == 201
    for client in (people["first"], people["second"], people["editor"]):
        shown = client.get(ratings_url(annotation)).json()
        assert sorted((r["verdict"], r["certainty"]) for r in shown) == [
            ("mixed", "low"), ("mixed", "moderate"),
        ]


def test_two_agreeing_ratings_settle_to_the_lower_certainty(people, dual):
    _, annotation = dual
    rate(people["first"], annotation, "supported", "high")
    rate(people["second"], annotation, "supported", "moderate")
    annotation.refresh_from_db()
    # One step apart is agreement; the published rating takes the cautious reading.
    assert (annotation.verdict, annotation.certainty) == ("supported", "moderate")
    body = people["editor"].get(detail_url(annotation)).json()
    assert body["dual_review"]["in_conflict"] is False


@pytest.mark.parametrize(
    ("first", "second"),
    [(("mixed", "low"), ("supported", "low")), (("mixed", "high"), ("mixed", "low"))],
    ids=["verdicts-differ", "certainty-two-steps-apart"],
)
def test_a_conflict_leaves_the_annotation_unrated_until_a_consensus(people, dual, first,
                                                                     second):
    article, annotation = dual
    rate(people["first"], annotation, *first)
    rate(people["second"], annotation, *second)
    annotation.refresh_from_db()
    assert (annotation.verdict, annotation.certainty) == ("", "")
    body = people["editor"].get(detail_url(annotation)).json()["dual_review"]
    assert body["in_conflict"] is True
    assert any("record the consensus" in line for line in workflow.approve_gate(article))


def test_same_reviewer_rating_twice_is_refused_and_nothing_is_written(people, dual):
    _, annotation = dual
    rate(people["first"], annotation, "mixed", "low")
    again = rate(people["first"], annotation, "supported", "high")
    assert again.status_code == 403
    assert "already rated" in again.json()["detail"]
    assert list(ReviewerRating.objects.values_list("verdict", flat=True)) == ["mixed"]


def test_a_reviewer_not_assigned_is_refused(people, dual):
    _, annotation = dual
    response = rate(people["outsider"], annotation, "mixed", "low")
    assert response.status_code == 403
    assert "assigned" in response.json()["detail"]
    assert not ReviewerRating.objects.exists()


def test_an_editor_cannot_rate(people, dual):
    _, annotation = dual
    assert rate(people["editor"], annotation, "mixed", "low").status_code == 403
    assert not ReviewerRating.objects.exists()


def test_a_rating_needs_a_verdict_and_a_certainty(people, dual):
    _, annotation = dual
    response = people["first"].post(ratings_url(annotation), {"verdict": "mixed"},
                                    format="json")
    assert response.status_code == 400
    assert "certainty" in response.json()["errors"]
    assert not ReviewerRating.objects.exists()


def test_the_annotation_rating_cannot_be_set_directly_in_dual_review(people, dual):
    _, annotation = dual
    response = people["first"].patch(
        detail_url(annotation), {"verdict": "supported", "certainty": "high", "version": 1},
        format="json",
    )
    assert response.status_code == 409
    annotation.refresh_from_db()
    assert (annotation.verdict, annotation.certainty, annotation.version) == ("", "", 1)


def test_a_consensus_before_both_ratings_is_refused_naming_who_is_missing(people, dual):
    _, annotation = dual
    rate(people["first"], annotation, "mixed", "low")
    response = people["first"].post(
        consensus_url(annotation),
        {"verdict": "mixed", "certainty": "low", "note": "We agree."}, format="json",
    )
    assert response.status_code == 409
    assert people["second"].user.username in response.json()["detail"]
    assert not ConsensusRating.objects.exists()
    annotation.refresh_from_db()
    assert annotation.verdict == ""


def test_a_consensus_is_published_and_both_originals_are_kept(people, dual):
    article, annotation = dual
    rate(people["first"], annotation, "mixed", "low", note="Small trials only.")
    rate(people["second"], annotation, "supported", "low", note="The RCT is positive.")
    response = people["arbiter"].post(
        consensus_url(annotation),
        {"verdict": "mixed", "certainty": "low", "note": "One small RCT; mixed overall."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["resolution"] == "arbiter"
    annotation.refresh_from_db()
    assert (annotation.verdict, annotation.certainty) == ("mixed", "low")
    assert annotation.note == "One small RCT; mixed overall."
    originals = sorted(ReviewerRating.objects.values_list("verdict", "note"))
    assert originals == [("mixed", "Small trials only."), ("supported", "The RCT is positive.")]
    assert RatingChange.objects.filter(annotation=annotation, field="verdict").exists()
    assert workflow.approve_gate(article) == []


def test_only_raters_or_the_arbiter_record_the_consensus(people, dual):
    _, annotation = dual
    rate(people["first"], annotation, "mixed", "low")
    rate(people["second"], annotation, "supported", "low")
    response = people["outsider"].post(
        consensus_url(annotation), {"verdict": "mixed", "certainty": "low", "note": "Mine."},
        format="json",
    )
    assert response.status_code == 403
    assert not ConsensusRating.objects.exists()
    by_rater = people["second"].post(
        consensus_url(annotation), {"verdict": "mixed", "certainty": "low", "note": "Agreed."},
        format="json",
    )
    assert by_rater.status_code == 201
    assert by_rater.json()["resolution"] == "raters"


def test_a_consensus_needs_a_note(people, dual):
    _, annotation = dual
    rate(people["first"], annotation, "mixed", "low")
    rate(people["second"], annotation, "supported", "low")
    response = people["first"].post(
        consensus_url(annotation), {"verdict": "mixed", "certainty": "low", "note": " "},
        format="json",
    )
    assert response.status_code == 400
    assert not ConsensusRating.objects.exists()


def test_the_gate_lists_each_annotation_missing_a_second_rating(people, dual):
    article, annotation = dual
    other = add_annotation(article, start=9, end=12, certainty="", verdict="")
    rate(people["first"], annotation, "mixed", "low")
    failures = workflow.approve_gate(article)
    assert any(
        f"annotation {annotation.pk}" in line and people["second"].user.username in line
        and "lacks 1 independent rating" in line for line in failures
    )
    assert any(f"annotation {other.pk}" in line and "lacks 2" in line for line in failures)
    response = people["arbiter"].post(
        f"/api/v1/editorial/articles/{article.pk}/transitions/", {"action": "approve"},
        format="json",
    )
    assert response.status_code == 409
    assert f"annotation {annotation.pk}" in response.json()["detail"]
    article.refresh_from_db()
    assert article.state == Article.State.IN_REVIEW


def test_a_tag_rule_is_the_default_and_an_article_rule_wins(people):
    article = make_article(tags=["depression"])
    assert not DualReviewPolicy.objects.requires_two_ratings(article)
    DualReviewPolicy.objects.create(tag=Tag.objects.get(name="depression"))
    assert DualReviewPolicy.objects.requires_two_ratings(article)
    DualReviewPolicy.objects.create(article=article, required=False)
    assert not DualReviewPolicy.objects.requires_two_ratings(article)


def test_without_dual_review_the_rating_endpoint_is_refused(people):
    article = make_article(state=Article.State.IN_REVIEW)
    assign(article, people["first"].user)
    annotation = add_annotation(article, certainty="", verdict="")
    response = rate(people["first"], annotation, "mixed", "low")
    assert response.status_code == 409
    assert not ReviewerRating.objects.exists()
    body = people["first"].get(detail_url(annotation)).json()
    assert body["dual_review"] is None


def test_public_clients_see_only_the_consensus(people, dual, client):
    from tests.conftest import publish_now

    article, annotation = dual
    rate(people["first"], annotation, "mixed", "low", note="First reviewer's own note.")
    rate(people["second"], annotation, "supported", "low", note="Second reviewer's note.")
    people["first"].post(
        consensus_url(annotation),
        {"verdict": "mixed", "certainty": "low", "note": "Agreed: mixed."}, format="json",
    )
    article.refresh_from_db()
    publish_now(article)
    body = client.get(f"/api/v1/articles/{article.slug}/").content.decode()
    assert "Agreed: mixed." in body
    assert "First reviewer" not in body and "Second reviewer" not in body
    assert make_user  # helper kept importable for the browser tests
    assert Annotation.objects.get(pk=annotation.pk).verdict == "mixed"
