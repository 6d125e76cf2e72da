"""Public claim pages and the public claim API: what is public, what they show, JSON-LD,
the link from each rated passage, and constant query counts."""

import json
import re

import pytest
from django.test import Client

from claims import services
from tests.claims.helpers import linked_article, rated_claim
from tests.conftest import make_user


@pytest.fixture
def claim(editor, reviewer):
    from evidence.models import Source

    source = Source.objects.create(title="FDA label for ketamine", pmid="424242", year=2022)
    return rated_claim(editor=editor, reviewer=reviewer, verdict="unsupported",
                       certainty="very_low", note="No *trial* in ADHD.", sources=[source])


def page(client, path):
    response = client.get(path)
    return response, response.content.decode()


def test_a_claim_only_in_a_draft_is_not_public(client, editor, reviewer, claim):
    linked_article(claim, editor=editor, reviewer=reviewer, publish=False)
    assert client.get(f"/claims/{claim.slug}/").status_code == 404
    assert client.get(f"/api/v1/claims/{claim.slug}/").status_code == 404
    assert claim.statement not in client.get("/claims/").content.decode()
    assert client.get("/api/v1/claims/").json()["count"] == 0


def test_a_published_article_makes_the_claim_public_with_everything_on_its_page(
        client, editor, reviewer, claim):
    article, _ = linked_article(claim, editor=editor, reviewer=reviewer,
                                title="Ketamine and ADHD", slug="ketamine-adhd")
    response, html = page(client, f"/claims/{claim.slug}/")
    assert response.status_code == 200
    assert claim.statement in html
    assert "Unsupported" in html and "Very low certainty" in html
    assert "<em>trial</em>" in html
    assert "FDA label for ketamine" in html and "PubMed 424242" in html
    assert 'href="http://' in html and "/articles/ketamine-adhd/" in html
    assert "Rating history" in html
    assert f'href="/claims/{claim.slug}/"' in client.get("/claims/").content.decode()


def test_the_claim_page_carries_claim_review_json_ld(client, editor, reviewer, claim):
    linked_article(claim, editor=editor, reviewer=reviewer, title="Ketamine and ADHD",
                   slug="ketamine-adhd")
    _, html = page(client, f"/claims/{claim.slug}/")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(script.group(1))
    assert data["@type"] == "ClaimReview"
    assert data["claimReviewed"] == claim.statement
    assert data["itemReviewed"]["@type"] == "Claim"
    assert [a["headline"] for a in data["itemReviewed"]["appearance"]] == ["Ketamine and ADHD"]
    assert data["itemReviewed"]["appearance"][0]["url"].endswith("/articles/ketamine-adhd/")
    assert data["reviewRating"]["alternateName"] == "Unsupported"


def test_each_rated_passage_links_to_its_claim_page(client, editor, reviewer, claim):
    linked_article(claim, editor=editor, reviewer=reviewer, slug="ketamine-adhd")
    html = client.get("/articles/ketamine-adhd/").content.decode()
    assert f'href="/claims/{claim.slug}/"' in html
    api = client.get("/api/v1/articles/ketamine-adhd/").json()
    assert api["annotations"][0]["claim"]["slug"] == claim.slug


def test_a_publisher_can_publish_a_claim_page_on_its_own(client, editor, reviewer, claim):
    assert client.get(f"/claims/{claim.slug}/").status_code == 404
    with pytest.raises(services.ClaimNotAllowed):
        services.publish_claim(claim, actor=editor)
    services.publish_claim(claim, actor=make_user("Publishers"))
    response, html = page(client, f"/claims/{claim.slug}/")
    assert response.status_code == 200
    assert "No published article makes this claim yet." in html


def test_the_public_api_lists_and_filters_claims(client, editor, reviewer, claim):
    other = rated_claim("Ketamine can raise blood pressure for about an hour.", editor=editor,
                        reviewer=reviewer, verdict="supported", certainty="high")
    linked_article(claim, editor=editor, reviewer=reviewer, tags=("adhd",))
    linked_article(other, editor=editor, reviewer=reviewer, tags=("safety",))
    everything = client.get("/api/v1/claims/").json()
    assert everything["count"] == 2
    item = next(i for i in everything["results"] if i["slug"] == claim.slug)
    assert item["statement"] == claim.statement
    assert item["verdict"] == "unsupported" and item["certainty"] == "very_low"
    assert item["note"] == "No *trial* in ADHD."
    assert item["sources"][0]["pmid"] == "424242"
    assert [h["verdict"] for h in item["history"]] == ["unsupported"]
    assert len(item["appearances"]) == 1 and item["url"].endswith(f"/claims/{claim.slug}/")
    by_verdict = client.get("/api/v1/claims/", {"verdict": "supported"}).json()
    assert [i["slug"] for i in by_verdict["results"]] == [other.slug]
    by_tag = client.get("/api/v1/claims/", {"tag": "adhd"}).json()
    assert [i["slug"] for i in by_tag["results"]] == [claim.slug]
    assert client.get("/api/v1/claims/", {"verdict": "nonsense"}).status_code == 400
    detail = client.get(f"/api/v1/claims/{claim.slug}/").json()
    assert detail == item


def test_a_merged_claim_redirects_to_the_claim_it_joined(client, editor, reviewer, claim):
    duplicate = services.create_claim(statement="The FDA has not approved ketamine for ADHD.",
                                      actor=editor)
    linked_article(claim, editor=editor, reviewer=reviewer)
    services.merge_claims(duplicate, into=claim, actor=reviewer)
    response = client.get(f"/claims/{duplicate.slug}/")
    assert response.status_code == 301
    assert response["Location"] == f"/claims/{claim.slug}/"
    assert client.get(f"/api/v1/claims/{duplicate.slug}/").status_code == 301


def test_draft_links_never_show_on_a_public_claim_page(client, editor, reviewer, claim):
    linked_article(claim, editor=editor, reviewer=reviewer, title="Published one")
    linked_article(claim, editor=editor, reviewer=reviewer, title="Secret draft title",
                   publish=False)
    html = client.get(f"/claims/{claim.slug}/").content.decode()
    assert "Published one" in html and "Secret draft title" not in html
    api = json.dumps(client.get(f"/api/v1/claims/{claim.slug}/").json())
    assert "Secret draft title" not in api


def _queries(url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = Client().get(url)
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_queries_are_the_same_for_1_or_100_appearances(editor, reviewer, settings):
    """Every public claim read, measured with 1 appearance and again with 100 (the cache off,
    so each request is answered from the database)."""
    settings.KETASITE_PUBLIC_CACHE = False
    claim = rated_claim("Claim one about ketamine.", editor=editor, reviewer=reviewer)
    linked_article(claim, editor=editor, reviewer=reviewer, title="Single", slug="single")
    paths = [f"/claims/{claim.slug}/", f"/api/v1/claims/{claim.slug}/", "/claims/",
             "/api/v1/claims/"]
    with_one = {path: _queries(path)[0] for path in paths}
    linked_article(claim, editor=editor, reviewer=reviewer, passages=99, title="Many",
                   slug="many")
    for path in paths:
        count, response = _queries(path)
        assert count == with_one[path], (path, with_one[path], count)
    detail = Client().get(f"/api/v1/claims/{claim.slug}/").json()
    assert len(detail["appearances"]) == 100


def test_claim_lists_make_the_same_number_of_queries_for_1_or_25_claims(editor, reviewer,
                                                                          settings):
    settings.KETASITE_PUBLIC_CACHE = False
    first = rated_claim("Claim zero about ketamine.", editor=editor, reviewer=reviewer)
    services.publish_claim(first, actor=make_user("Publishers"))
    with_one = {path: _queries(path)[0] for path in ("/claims/", "/api/v1/claims/")}
    publisher = make_user("Publishers")
    for number in range(1, 25):
        claim = rated_claim(f"Claim {number} about ketamine.", editor=editor, reviewer=reviewer)
        services.publish_claim(claim, actor=publisher)
    for path, count in with_one.items():
        assert _queries(path)[0] == count, path
