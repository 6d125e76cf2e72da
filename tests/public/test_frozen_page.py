"""The article page is frozen at publish and served to anonymous readers as stored."""

import gzip
import os
import zlib

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.frozen import deflate_segment
from articles.models import Publication
from public.frozen import crc32_combine, gzip_join
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def _url(article):
    return f"/articles/{article.slug}/"


def test_publishing_fills_the_frozen_page_fields():
    article = published_article(annotations=3, title="Frozen title")
    publication = article.live
    assert b"<title>Frozen title" in bytes(publication.page_head_html)
    assert bytes(publication.page_main_html).count(b'class="claim verdict-') == 3
    head_crc, main_crc = publication.page_checksums
    assert head_crc == zlib.crc32(bytes(publication.page_head_html))
    assert main_crc == zlib.crc32(bytes(publication.page_main_html))
    assert publication.page_digest


@pytest.mark.parametrize("page_cache", [True, False])
def test_the_anonymous_page_is_the_logged_in_rendering(client, login_as, settings, page_cache):
    settings.KETASITE_PUBLIC_CACHE = page_cache
    article = published_article(annotations=4)
    anonymous = client.get(_url(article))
    login_as("Editors")
    logged_in = client.get(_url(article))
    assert "X-Cache" not in logged_in
    assert anonymous.content.decode() == logged_in.content.decode()


@pytest.mark.parametrize("page_cache", [True, False])
def test_a_gzip_client_gets_the_same_page_compressed(client, settings, page_cache):
    settings.KETASITE_PUBLIC_CACHE = page_cache
    article = published_article(annotations=4)
    plain = client.get(_url(article))
    for _ in range(2):  # a miss, then (with the cache) a hit
        compressed = client.get(_url(article), headers=GZIP)
        assert compressed["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in compressed["Vary"]
        assert len(compressed.content) < len(plain.content) / 2
        assert gzip.decompress(compressed.content) == plain.content
    assert "Content-Encoding" not in plain
    assert compressed["ETag"] != plain["ETag"]


@pytest.mark.parametrize("page_cache", [True, False])
def test_each_encoding_answers_304_to_its_own_etag(client, settings, page_cache):
    settings.KETASITE_PUBLIC_CACHE = page_cache
    article = published_article()
    compressed_etag = client.get(_url(article), headers=GZIP)["ETag"]
    plain_etag = client.get(_url(article))["ETag"]
    again = client.get(_url(article), headers={**GZIP, "If-None-Match": compressed_etag})
    assert again.status_code == 304
    assert client.get(_url(article), headers={"If-None-Match": plain_etag}).status_code == 304
    assert client.get(_url(article), headers={"If-None-Match": compressed_etag}).status_code == 200


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response


def test_the_uncached_page_costs_the_same_queries_with_1_or_500_annotations(client, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    one, _ = _queries(client, _url(published_article(annotations=1, slug="one")))
    many, response = _queries(client, _url(published_article(annotations=500, slug="many")))
    assert one == many <= 3
    assert response.content.decode().count('class="claim verdict-') == 500


def test_a_cache_hit_is_one_cache_call_and_no_query(client, monkeypatch):
    article = published_article(annotations=2)
    client.get(_url(article))
    calls = []
    depth = [0]

    def counted(name, original):
        def call(*args, **kwargs):
            # Only the calls the site makes: get_many of the local cache calls get itself.
            if not depth[0]:
                calls.append(name)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1
        return call

    for name in ("get", "get_many", "set", "add", "incr"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))
    queries, response = _queries(client, _url(article))
    assert response["X-Cache"] == "hit"
    assert (queries, calls) == (0, ["get"])


def test_a_publication_frozen_before_the_stored_page_is_rendered_per_request(client):
    article = published_article(annotations=2, title="Older publication")
    Publication.objects.filter(pk=article.live_id).update(page_digest="", page_head_html=b"",
                                                          page_main_html=b"")
    html = client.get(_url(article)).content.decode()
    assert "<title>Older publication" in html
    assert html.count('class="claim verdict-') == 2


@pytest.mark.parametrize("sizes", [(0, 1), (10, 70000, 0, 3), (100000, 5, 1)])
def test_gzip_joined_from_parts_is_the_gzip_of_the_whole(sizes):
    parts = [os.urandom(size // 2) + b"ketamine " * (size // 18) for size in sizes]
    joined = gzip_join([(deflate_segment(p), zlib.crc32(p), len(p)) for p in parts])
    assert gzip.decompress(joined) == b"".join(parts)


def test_crc32_combine_equals_the_crc_of_the_concatenation():
    first, second = os.urandom(1234), os.urandom(98765)
    combined = crc32_combine(zlib.crc32(first), zlib.crc32(second), len(second))
    assert combined == zlib.crc32(first + second)
