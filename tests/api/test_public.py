"""Public endpoints read only live publications, with filters, paging, validators and a
constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date
from rest_framework.throttling import AnonRateThrottle

from articles.models import Article
from tests.api.conftest import publish_article
from tests.conftest import make_annotation, make_article


@pytest.mark.django_db
def test_list_shows_published_articles_only(api, published):
    make_article(title="A draft nobody may see", state=Article.State.DRAFT)
    body = api.get("/api/v1/articles/").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["slug"] == published["article"].slug
    assert set(item) == {"slug", "title", "summary", "tags", "published_at",
                         "last_reviewed_at", "evidence_summary", "url"}
    assert item["url"].endswith(f"/articles/{published['article'].slug}/")


@pytest.mark.django_db
def test_unpublished_article_disappears_from_list_and_detail(api, published):
    article = published["article"]
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)
    assert api.get("/api/v1/articles/").json()["count"] == 0
    assert api.get(f"/api/v1/articles/{article.slug}/").status_code == 404


@pytest.mark.django_db
def test_detail_serves_the_frozen_publication_not_the_draft(api, published):
    article = published["article"]
    article.draft.title = "Edited after publishing"
    article.draft.save()
    body = api.get(f"/api/v1/articles/{article.slug}/").json()
    assert body["title"] == "Ketamine and ADHD"
    assert body == published["publication"].public_json


@pytest.mark.django_db
def test_detail_costs_one_query(api, published, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert api.get(f"/api/v1/articles/{published['article'].slug}/").status_code == 200


@pytest.mark.django_db
def test_filters_by_tag_verdict_and_certainty(api):
    publish_article(title="About ADHD", tags=("adhd",), verdict="unsupported")
    publish_article(title="About depression", tags=("depression",), verdict="supported",
                    certainty="moderate")

    def titles(query):
        return [a["title"] for a in api.get(f"/api/v1/articles/?{query}").json()["results"]]

    assert titles("tag=depression") == ["About depression"]
    assert titles("verdict=unsupported") == ["About ADHD"]
    assert titles("certainty=moderate") == ["About depression"]
    assert titles("verdict=mixed") == []


@pytest.mark.django_db
def test_q_searches_published_text(api):
    publish_article(title="Ketamine for ADHD")
    publish_article(title="Esketamine nasal spray")
    results = api.get("/api/v1/articles/?q=nasal").json()["results"]
    assert [a["title"] for a in results] == ["Esketamine nasal spray"]


@pytest.mark.django_db
def test_ordering_is_allowlisted(api):
    publish_article(title="Beta")
    publish_article(title="Alpha")
    newest_first = [a["title"] for a in api.get("/api/v1/articles/").json()["results"]]
    assert newest_first == ["Alpha", "Beta"]
    by_title = api.get("/api/v1/articles/?ordering=-title").json()["results"]
    assert [a["title"] for a in by_title] == ["Beta", "Alpha"]
    assert api.get("/api/v1/articles/?ordering=summary").status_code == 400


@pytest.mark.django_db
def test_pagination_envelope(api):
    for index in range(3):
        publish_article(title=f"Article {index}")
    body = api.get("/api/v1/articles/?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"] is None


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(api, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    publish_article(title="Only one")
    one = _count_queries(api, "/api/v1/articles/?page_size=100")
    for index in range(30):
        publish_article(title=f"More {index}", annotations=2)
    many = _count_queries(api, "/api/v1/articles/?page_size=100")
    assert one == many


@pytest.mark.django_db
def test_annotation_list_serves_the_frozen_annotations(api, published):
    slug = published["article"].slug
    body = api.get(f"/api/v1/articles/{slug}/annotations/").json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == published["annotations"][0].pk
    assert body["results"][0]["verdict"] == "unsupported"


@pytest.mark.django_db
def test_annotation_added_after_publishing_is_not_public(api, published):
    later = make_annotation(published["article"], block_id="p1", start=0, end=8)
    assert api.get(f"/api/v1/annotations/{later.pk}/").status_code == 404
    shown = api.get(f"/api/v1/annotations/{published['annotations'][0].pk}/")
    assert shown.status_code == 200
    assert shown.json()["article"] == published["article"].slug


@pytest.mark.django_db
def test_sources_and_tags_come_from_publications(api, published):
    sources = api.get("/api/v1/sources/").json()
    assert [s["pmid"] for s in sources["results"]] == ["12345"]
    assert api.get(f"/api/v1/sources/{published['source'].pk}/").json()["design"] == "rct"
    assert api.get("/api/v1/tags/").json() == [{"name": "adhd", "count": 1}]


@pytest.mark.django_db
def test_source_of_unpublished_article_is_hidden(api, published):
    from evidence.models import Source

    unpublished = Source.objects.create(title="Draft only", pmid="999")
    assert api.get(f"/api/v1/sources/{unpublished.pk}/").status_code == 404


@pytest.mark.django_db
def test_if_none_match_gets_304(api, published):
    url = f"/api/v1/articles/{published['article'].slug}/"
    first = api.get(url)
    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.django_db
def test_if_modified_since_gets_304_on_detail(api, published, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    url = f"/api/v1/articles/{published['article'].slug}/"
    first = api.get(url)
    assert first["Last-Modified"] == http_date(
        published["publication"].published_at.timestamp()
    )
    assert api.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


@pytest.mark.django_db
def test_etag_changes_when_republished(api, published, settings):
    from tests.conftest import publish_now

    settings.KETASITE_PUBLIC_CACHE = False
    url = f"/api/v1/articles/{published['article'].slug}/"
    before = api.get(url)["ETag"]
    draft = published["article"].draft
    draft.title = "A better title"
    draft.save()
    publish_now(published["article"])
    assert api.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200


@pytest.mark.django_db
def test_anonymous_clients_are_throttled(api, published, monkeypatch):
    # Subclasses (the public and token throttles) read the rate from here too.
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/min", raising=False)
    codes = [api.get("/api/v1/articles/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get("/api/v1/tags/")
    assert refused.json()["code"] == "throttled"
    assert "Retry-After" in refused
