"""Linking an annotation to a claim, and the reviewer's confirmation: linking never rates,
and an article with an unconfirmed link cannot be approved."""

import pytest
from rest_framework.test import APIClient

from articles import workflow
from articles.models import Article, WorkflowEvent
from claims import services
from claims.models import ClaimLink
from evidence.models import Annotation
from tests.claims.helpers import article_blocks, rated_claim, unrated_passage
from tests.conftest import make_article, make_user


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def link_url(annotation):
    return f"/api/v1/editorial/annotations/{annotation.pk}/claim/"


@pytest.fixture
def claim(editor, reviewer):
    return rated_claim(editor=editor, reviewer=reviewer, verdict="unsupported",
                       certainty="very_low", note="No trial in ADHD.")


@pytest.fixture
def passage(db):
    article = make_article(blocks=article_blocks(1))
    return unrated_passage(article)


def in_review(article, *, editor):
    """Assign a reviewer and submit, as the workflow wants before approval."""
    other_reviewer = make_user("Reviewers")
    workflow.assign_reviewers(article, actor=make_user(groups=("Editors", "Publishers")),
                              reviewers=[other_reviewer])
    Article.objects.filter(pk=article.pk).update(state=Article.State.IN_REVIEW,
                                                 created_by=editor)
    article.refresh_from_db()
    return other_reviewer


def test_an_editor_links_an_annotation_and_nothing_is_rated(editor, claim, passage):
    response = client_for(editor).put(link_url(passage), {"claim": claim.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["claim"] == claim.pk and body["confirmed"] is False
    assert body["claim_detail"]["statement"] == claim.statement
    passage.refresh_from_db()
    assert (passage.verdict, passage.certainty) == ("", "")
    assert WorkflowEvent.objects.filter(article=passage.article, action="claim_linked").exists()


def test_linking_an_annotation_you_may_not_edit_is_403_and_writes_nothing(claim, passage):
    publisher = make_user("Publishers")
    response = client_for(publisher).put(link_url(passage), {"claim": claim.pk}, format="json")
    assert response.status_code == 403
    assert not ClaimLink.objects.exists()
    assert not WorkflowEvent.objects.filter(action="claim_linked").exists()


def test_linking_an_annotation_of_an_archived_article_is_409(editor, claim, passage):
    Article.objects.filter(pk=passage.article_id).update(state=Article.State.ARCHIVED)
    response = client_for(editor).put(link_url(passage), {"claim": claim.pk}, format="json")
    assert response.status_code == 409
    assert not ClaimLink.objects.exists()


def test_linking_to_an_unknown_claim_is_a_400_field_error(editor, passage):
    response = client_for(editor).put(link_url(passage), {"claim": 999999}, format="json")
    assert response.status_code == 400
    assert "claim" in response.json()["errors"]


def test_delete_unlinks_and_a_second_delete_is_409(editor, claim, passage):
    services.link_annotation(passage, claim=claim, actor=editor)
    api = client_for(editor)
    assert api.delete(link_url(passage)).status_code == 204
    assert not ClaimLink.objects.exists()
    assert api.delete(link_url(passage)).status_code == 409


def test_unlinking_by_someone_who_may_not_edit_is_403_and_keeps_the_link(editor, claim,
                                                                          passage):
    services.link_annotation(passage, claim=claim, actor=editor)
    response = client_for(make_user("Publishers")).delete(link_url(passage))
    assert response.status_code == 403
    assert ClaimLink.objects.filter(annotation=passage).exists()


def test_approve_is_refused_for_a_linked_but_unconfirmed_annotation(editor, reviewer, claim,
                                                                    passage):
    # Rated on its own, then linked: the link still needs a reviewer's confirmation.
    Annotation.objects.filter(pk=passage.pk).update(verdict="mixed", certainty="low")
    article = passage.article
    approver = in_review(article, editor=editor)
    services.link_annotation(passage, claim=claim, actor=editor)
    with pytest.raises(workflow.GateFailed) as refused:
        workflow.approve(article, actor=approver)
    assert any(f"annotation {passage.pk}" in failure and "confirm" in failure
               for failure in refused.value.failures)
    article.refresh_from_db()
    assert article.state == Article.State.IN_REVIEW


def test_accepting_the_claims_rating_rates_the_passage_and_lets_approval_through(
        editor, reviewer, claim, passage):
    article = passage.article
    approver = in_review(article, editor=editor)
    services.link_annotation(passage, claim=claim, actor=editor)
    response = client_for(reviewer).post(link_url(passage) + "confirm/", {"accept": True},
                                         format="json")
    assert response.status_code == 200
    assert response.json()["confirmed"] is True
    passage.refresh_from_db()
    assert (passage.verdict, passage.certainty, passage.note) == (
        "unsupported", "very_low", "No trial in ADHD.")
    workflow.approve(article, actor=approver)
    article.refresh_from_db()
    assert article.state == Article.State.APPROVED


def test_rating_differently_needs_a_note(reviewer, editor, claim, passage):
    services.link_annotation(passage, claim=claim, actor=editor)
    api = client_for(reviewer)
    response = api.post(link_url(passage) + "confirm/",
                        {"accept": False, "verdict": "mixed", "certainty": "low"}, format="json")
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert ClaimLink.objects.get().confirmed_at is None
    passage.refresh_from_db()
    assert passage.verdict == ""
    response = api.post(link_url(passage) + "confirm/",
                        {"accept": False, "verdict": "mixed", "certainty": "low",
                         "note": "Here it is said of adults only."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "differs" and body["confirmed"] is True
    passage.refresh_from_db()
    assert (passage.verdict, passage.certainty) == ("mixed", "low")
    assert passage.note == "Here it is said of adults only."


def test_an_editor_may_not_confirm(editor, claim, passage):
    services.link_annotation(passage, claim=claim, actor=editor)
    response = client_for(editor).post(link_url(passage) + "confirm/", {"accept": True},
                                       format="json")
    assert response.status_code == 403
    assert ClaimLink.objects.get().confirmed_at is None
    passage.refresh_from_db()
    assert passage.verdict == ""


def test_accepting_an_unrated_claim_is_409(editor, reviewer, passage):
    claim = services.create_claim(statement="Ketamine is an anaesthetic.", actor=editor)
    services.link_annotation(passage, claim=claim, actor=editor)
    response = client_for(reviewer).post(link_url(passage) + "confirm/", {"accept": True},
                                         format="json")
    assert response.status_code == 409
    assert ClaimLink.objects.get().confirmed_at is None


def test_a_new_claim_rating_needs_the_link_confirmed_again(editor, reviewer, claim, passage):
    article = passage.article
    approver = in_review(article, editor=editor)
    services.link_annotation(passage, claim=claim, actor=editor)
    services.confirm_link(passage, actor=reviewer, accept=True)
    claim.refresh_from_db()
    services.rate_claim(claim, actor=reviewer, expected_version=claim.version,
                        verdict="contradicted", certainty="moderate")
    with pytest.raises(workflow.GateFailed):
        workflow.approve(article, actor=approver)


def test_posting_a_claim_with_an_annotation_links_it(editor, passage):
    response = client_for(editor).post(
        "/api/v1/editorial/claims/",
        {"statement": "Ketamine is not approved by the FDA for ADHD.", "annotation": passage.pk},
        format="json",
    )
    assert response.status_code == 201
    link = ClaimLink.objects.get(annotation=passage)
    assert link.claim_id == response.json()["id"] and link.confirmed_at is None


def test_posting_a_claim_with_an_annotation_you_may_not_edit_writes_nothing(passage):
    from claims.models import Claim

    response = client_for(make_user("Publishers")).post(
        "/api/v1/editorial/claims/",
        {"statement": "Ketamine is not approved by the FDA for ADHD.", "annotation": passage.pk},
        format="json",
    )
    assert response.status_code == 403
    assert not Claim.objects.exists() and not ClaimLink.objects.exists()


def test_get_answers_claim_null_for_an_unlinked_annotation_and_the_claim_once_linked(
        editor, claim, passage):
    api = client_for(editor)
    unlinked = api.get(link_url(passage))
    assert unlinked.status_code == 200
    assert unlinked.json()["claim"] is None and unlinked.json()["claim_detail"] is None
    services.link_annotation(passage, claim=claim, actor=editor)
    linked = api.get(link_url(passage)).json()
    assert linked["claim"] == claim.pk
    assert linked["claim_detail"]["verdict"] == "unsupported"
