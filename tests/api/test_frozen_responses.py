"""Anonymous public API reads are answered from documents serialised at publish, identical to
what DRF renders for an authenticated client."""

import gzip
import json
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Publication
from tests.api.conftest import publish_article

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip"}


@pytest.fixture
def reader(token_client):
    """An authenticated client: its reads take DRF's rendering path."""
    return token_client()


def test_publishing_stores_the_detail_document_and_list_item(published):
    publication = published["publication"]
    detail = json.loads(bytes(publication.api_detail_json))
    assert detail == publication.public_json
    assert json.loads(gzip.decompress(bytes(publication.api_detail_gzip))) == detail
    item = json.loads(bytes(publication.api_item_json))
    assert item == {key: detail[key] for key in item}
    assert set(item) == {"slug", "title", "summary", "tags", "published_at",
                         "last_reviewed_at", "evidence_summary", "url"}


@pytest.mark.parametrize("page_cache", [True, False])
def test_anonymous_detail_is_the_rendered_detail(api, reader, published, settings, page_cache):
    settings.KETASITE_PUBLIC_CACHE = page_cache
    url = f"/api/v1/articles/{published['article'].slug}/"
    anonymous, rendered = api.get(url), reader.get(url)
    assert anonymous.content == rendered.content
    assert anonymous["ETag"] == rendered["ETag"]
    assert anonymous["Last-Modified"] == rendered["Last-Modified"]
    assert anonymous["Content-Type"] == "application/json"


@pytest.mark.parametrize("page_cache", [True, False])
def test_anonymous_detail_is_gzipped_for_a_client_that_accepts_it(
    api, published, settings, page_cache
):
    settings.KETASITE_PUBLIC_CACHE = page_cache
    url = f"/api/v1/articles/{published['article'].slug}/"
    plain = api.get(url)
    compressed = api.get(url, **GZIP)
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    again = api.get(url, HTTP_IF_NONE_MATCH=compressed["ETag"], **GZIP)
    assert again.status_code == 304


@pytest.mark.parametrize("query", ["", "?page_size=2", "?page_size=2&page=2",
                                   "?page=last&page_size=2", "?tag=adhd&ordering=title"])
def test_anonymous_list_is_the_rendered_list(api, reader, settings, query):
    settings.KETASITE_PUBLIC_CACHE = False
    for index in range(5):
        publish_article(title=f"Article {index}")
    anonymous, rendered = api.get(f"/api/v1/articles/{query}"), reader.get(
        f"/api/v1/articles/{query}"
    )
    assert anonymous.status_code == rendered.status_code == 200
    assert anonymous.json() == rendered.json()
    assert anonymous["ETag"] == rendered["ETag"]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [("?page=9", 404, "not_found"), ("?verdict=nonsense", 400, "invalid"),
     ("?ordering=summary", 400, "invalid")],
)
def test_bad_list_parameters_still_get_the_error_shape(api, published, query, status, code):
    response = api.get(f"/api/v1/articles/{query}")
    assert response.status_code == status
    assert response.json()["code"] == code


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_anonymous_list_costs_the_same_queries_for_1_or_20_items(api, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    publish_article(title="First")
    one = _queries(api, "/api/v1/articles/")
    for index in range(19):
        publish_article(title=f"More {index}")
    assert api.get("/api/v1/articles/").json()["count"] == 20
    assert _queries(api, "/api/v1/articles/") == one <= 2


def test_a_publication_frozen_before_the_stored_documents_is_rendered(api, published):
    Publication.objects.update(api_detail_json=b"", api_detail_etag="", api_item_json=b"")
    # Publications from before the stored documents get them from the data migration.
    backfill = import_module("articles.migrations.0008_backfill_api_documents")
    backfill.backfill_api_documents(django_apps, SimpleNamespace(connection=connection))
    article = published["article"]
    assert api.get(f"/api/v1/articles/{article.slug}/").json()["slug"] == article.slug
    assert api.get("/api/v1/articles/").json()["results"][0]["slug"] == article.slug
