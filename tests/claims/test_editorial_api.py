"""The editorial claim API: register, find similar, read, rate; every refusal writes nothing."""

import pytest
from rest_framework.test import APIClient

from claims import services
from claims.models import Claim, ClaimRating
from tests.claims.helpers import STATEMENT, rated_claim
from tests.conftest import make_user

CLAIMS = "/api/v1/editorial/claims/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def editor_api(editor):
    return client_for(editor)


@pytest.fixture
def reviewer_api(reviewer):
    return client_for(reviewer)


def claim_url(claim):
    return f"{CLAIMS}{claim.pk}/"


def test_an_editor_registers_a_claim(editor_api):
    response = editor_api.post(CLAIMS, {"statement": "  Ketamine is not FDA-approved   for ADHD. "},
                               format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["statement"] == "Ketamine is not FDA-approved for ADHD."
    assert body["slug"] == "ketamine-is-not-fda-approved-for-adhd"
    assert body["verdict"] == "" and body["history"] == [] and body["appearances"] == []
    assert Claim.objects.get(pk=body["id"]).statement == body["statement"]


@pytest.mark.parametrize(("statement", "message"), [
    ("", "empty"),
    ("   ", "empty"),
    ("x" * 501, "at most 500"),
])
def test_an_empty_or_overlong_statement_is_refused_with_a_field_error(editor_api, statement,
                                                                      message):
    response = editor_api.post(CLAIMS, {"statement": statement}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["statement"])
    assert not Claim.objects.exists()


def test_a_statement_of_500_characters_is_accepted(editor_api):
    response = editor_api.post(CLAIMS, {"statement": "y" * 500}, format="json")
    assert response.status_code == 201


def test_a_duplicate_statement_is_refused_and_links_to_the_existing_claim(editor_api, editor):
    existing = services.create_claim(statement=STATEMENT, actor=editor)
    response = editor_api.post(CLAIMS, {"statement": "ketamine is NOT fda-approved for ADHD"},
                               format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "duplicate"
    assert f"/api/v1/editorial/claims/{existing.pk}/" in body["errors"]["statement"][0]
    assert Claim.objects.count() == 1


def test_a_publisher_may_not_register_claims(db):
    publisher_api = client_for(make_user("Publishers"))
    response = publisher_api.post(CLAIMS, {"statement": STATEMENT}, format="json")
    assert response.status_code == 403
    assert not Claim.objects.exists()


def test_a_user_in_no_group_gets_403_on_the_list_and_404_on_a_claim(editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    outsider = client_for(make_user())
    assert outsider.get(CLAIMS).status_code == 403
    assert outsider.get(claim_url(claim)).status_code == 404


def test_anonymous_is_401():
    assert APIClient().get(CLAIMS).status_code in (401, 403)


@pytest.mark.parametrize("text", ["", "   ", "z" * 1001])
def test_similar_to_empty_or_over_1000_characters_is_a_400_field_error(editor_api, text):
    response = editor_api.get(CLAIMS, {"similar_to": text})
    assert response.status_code == 400
    assert "similar_to" in response.json()["errors"]


def test_similar_to_ranks_claims_with_similarity_suggested_and_reasons(editor_api, editor,
                                                                       reviewer):
    same = rated_claim("Ketamine can raise blood pressure for about an hour.",
                       editor=editor, reviewer=reviewer, verdict="supported", certainty="high")
    opposite = services.create_claim(
        statement="Ketamine can lower blood pressure for about an hour.", actor=editor)
    other_drug = services.create_claim(
        statement="Esketamine can raise blood pressure for about an hour.", actor=editor)
    services.create_claim(statement="Ketamine is an anaesthetic.", actor=editor)
    response = editor_api.get(CLAIMS, {
        "similar_to": "Blood pressure goes up during the first hour after a ketamine dose"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["id"] == same.pk
    assert results[0]["suggested"] is True
    assert results[0]["verdict"] == "supported" and results[0]["certainty"] == "high"
    assert results[0]["rated_by"] == "reviewer"
    assert any("blood pressure" in reason for reason in results[0]["reasons"])
    by_id = {item["id"]: item for item in results}
    for claim in (opposite, other_drug):
        assert by_id[claim.pk]["suggested"] is False
    similarities = [item["similarity"] for item in results]
    assert similarities == sorted(similarities, reverse=True)
    assert all(0 <= s <= 1 for s in similarities)


def test_a_reviewer_rates_a_claim_with_if_match(reviewer_api, editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    etag = reviewer_api.get(claim_url(claim))["ETag"]
    response = reviewer_api.patch(
        claim_url(claim), {"verdict": "supported", "certainty": "high", "note": "FDA label."},
        format="json", HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["verdict"], body["certainty"], body["rated_by"]) == ("supported", "high",
                                                                      "reviewer")
    assert [h["verdict"] for h in body["history"]] == ["supported"]
    assert response["ETag"] != etag


def test_rating_without_if_match_is_428_and_changes_nothing(reviewer_api, editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    response = reviewer_api.patch(claim_url(claim), {"verdict": "supported",
                                                     "certainty": "high"}, format="json")
    assert response.status_code == 428
    claim.refresh_from_db()
    assert claim.verdict == "" and not ClaimRating.objects.exists()


def test_an_annotations_etag_is_no_claims_if_match(reviewer_api, editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    response = reviewer_api.patch(
        claim_url(claim), {"verdict": "supported", "certainty": "high", "version": True},
        format="json", HTTP_IF_MATCH=f'"annotation-{claim.pk}-v1"',
    )
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    claim.refresh_from_db()
    assert claim.verdict == "" and not ClaimRating.objects.exists()


def test_if_match_star_rates_the_claim_as_it_is(reviewer_api, editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    response = reviewer_api.patch(claim_url(claim), {"verdict": "mixed", "certainty": "low"},
                                  format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.json()
    assert (response.json()["verdict"], response.json()["version"]) == ("mixed", 2)


def test_a_stale_if_match_is_412_and_changes_nothing(reviewer_api, editor, reviewer):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    stale = reviewer_api.get(claim_url(claim))["ETag"]
    services.rate_claim(claim, actor=reviewer, expected_version=1, verdict="mixed",
                        certainty="low")
    response = reviewer_api.patch(claim_url(claim), {"verdict": "supported",
                                                     "certainty": "high"},
                                  format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    claim.refresh_from_db()
    assert (claim.verdict, claim.certainty) == ("mixed", "low")
    assert ClaimRating.objects.count() == 1


def test_an_editor_may_not_rate_a_claim(editor_api, editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    etag = editor_api.get(claim_url(claim))["ETag"]
    response = editor_api.patch(claim_url(claim), {"verdict": "supported", "certainty": "high"},
                                format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.verdict == "" and claim.version == 1 and not ClaimRating.objects.exists()


def test_a_bad_verdict_is_a_400_field_error(reviewer_api, editor):
    claim = services.create_claim(statement=STATEMENT, actor=editor)
    etag = reviewer_api.get(claim_url(claim))["ETag"]
    response = reviewer_api.patch(claim_url(claim), {"verdict": "true", "certainty": "high"},
                                  format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    assert "verdict" in response.json()["errors"]
    assert not ClaimRating.objects.exists()


def test_the_list_makes_the_same_number_of_queries_for_1_or_30_claims(
        editor_api, editor, django_assert_max_num_queries, django_assert_num_queries):
    services.create_claim(statement="Claim number zero about ketamine.", actor=editor)
    with django_assert_max_num_queries(20) as captured:
        editor_api.get(CLAIMS)
    one = len(captured.captured_queries)
    for index in range(1, 30):
        services.create_claim(statement=f"Claim number {index} about ketamine.", actor=editor)
    with django_assert_num_queries(one):
        response = editor_api.get(CLAIMS, {"page_size": 30})
    assert response.json()["count"] == 30
