"""Merging two claims that turn out to be one, and splitting them back: appearances and
history are kept; merging into itself, or into the claim split from in the same request, is
refused with 409 and writes nothing."""

import pytest

from claims import services
from claims.models import Claim, ClaimLink, ClaimMerge, ClaimRating, PublishedAppearance
from tests.claims.helpers import linked_article, rated_claim
from tests.conftest import make_user


@pytest.fixture
def pair(editor, reviewer):
    kept = rated_claim("Ketamine is not FDA-approved for ADHD.", editor=editor,
                       reviewer=reviewer)
    other = rated_claim("The FDA has not approved ketamine to treat ADHD.", editor=editor,
                        reviewer=reviewer, verdict="supported", certainty="high")
    linked_article(kept, editor=editor, reviewer=reviewer, title="Kept's article")
    linked_article(other, editor=editor, reviewer=reviewer, title="Other's article")
    return kept, other


def snapshot():
    return (
        sorted(Claim.objects.values_list("pk", "merged_into_id")),
        sorted(ClaimLink.objects.values_list("pk", "claim_id")),
        sorted(ClaimRating.objects.values_list("pk", "claim_id")),
        sorted(PublishedAppearance.objects.values_list("pk", "claim_id")),
        ClaimMerge.objects.count(),
    )


def test_a_merge_keeps_appearances_and_history(reviewer, pair):
    kept, other = pair
    services.merge_claims(other, into=kept, actor=reviewer)
    other.refresh_from_db()
    assert other.merged_into_id == kept.pk
    assert ClaimLink.objects.filter(claim=kept).count() == 2
    assert PublishedAppearance.objects.filter(claim=kept).count() == 2
    assert ClaimRating.objects.filter(claim=kept).count() == 2
    assert not ClaimLink.objects.filter(claim=other).exists()


def test_a_split_gives_back_what_the_claim_brought(reviewer, pair):
    kept, other = pair
    services.merge_claims(other, into=kept, actor=reviewer)
    services.split_claim(other, actor=reviewer)
    other.refresh_from_db()
    assert other.merged_into_id is None
    assert ClaimLink.objects.filter(claim=other).count() == 1
    assert ClaimLink.objects.filter(claim=kept).count() == 1
    assert ClaimRating.objects.filter(claim=other).count() == 1
    assert ClaimMerge.objects.get().split_at is not None


def test_merging_a_claim_into_itself_is_409_and_writes_nothing(reviewer, pair):
    kept, _ = pair
    before = snapshot()
    with pytest.raises(services.ClaimNotAllowed) as refused:
        services.merge_claims(kept, into=kept, actor=reviewer)
    assert refused.value.http_status == 409
    assert snapshot() == before


def test_merging_into_the_claim_it_is_split_from_in_the_same_request_is_409(reviewer, pair):
    kept, other = pair
    services.merge_claims(other, into=kept, actor=reviewer)
    before = snapshot()
    with pytest.raises(services.ClaimNotAllowed) as refused:
        services.reorganise_claims(actor=reviewer, splits=[other], merges=[(other, kept)])
    assert refused.value.http_status == 409
    assert snapshot() == before


def test_only_reviewers_merge(editor, pair):
    kept, other = pair
    with pytest.raises(services.ClaimNotAllowed) as refused:
        services.merge_claims(other, into=kept, actor=editor)
    assert refused.value.http_status == 403


def test_the_admin_list_shows_appearance_counts(client, pair):
    kept, other = pair
    client.force_login(make_user("Reviewers", is_staff=True))
    html = client.get("/admin/claims/claim/").content.decode()
    assert kept.statement in html and other.statement in html
    assert 'class="field-appearance_count">1<' in html


def test_the_admin_merge_page_merges_and_refuses_into_itself_with_409(client, reviewer, pair):
    kept, other = pair
    client.force_login(make_user("Reviewers", is_staff=True))
    before = snapshot()
    refused = client.post("/admin/claims/claim/merge/",
                          {"ids": f"{kept.pk},{other.pk}", "target": kept.pk})
    assert refused.status_code == 409
    assert "cannot be merged into itself" in refused.content.decode()
    assert snapshot() == before
    done = client.post("/admin/claims/claim/merge/", {"ids": f"{other.pk}", "target": kept.pk})
    assert done.status_code == 302
    other.refresh_from_db()
    assert other.merged_into_id == kept.pk


def test_the_admin_refuses_a_split_and_merge_back_in_one_request(client, reviewer, pair):
    kept, other = pair
    services.merge_claims(other, into=kept, actor=reviewer)
    client.force_login(make_user("Reviewers", is_staff=True))
    before = snapshot()
    response = client.post("/admin/claims/claim/merge/",
                           {"ids": f"{other.pk}", "target": kept.pk, "split": [other.pk]})
    assert response.status_code == 409
    assert "split from claim" in response.content.decode()
    assert snapshot() == before


def test_an_editor_cannot_use_the_merge_page(client, pair):
    kept, other = pair
    client.force_login(make_user("Editors", is_staff=True))
    before = snapshot()
    response = client.post("/admin/claims/claim/merge/",
                           {"ids": f"{other.pk}", "target": kept.pk})
    assert response.status_code == 403
    assert snapshot() == before
