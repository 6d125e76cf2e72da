"""The public page cache, in the cases `make mutate` found the rest of the suite did not check.

Each test states what an anonymous reader (or a proxy in front of the site) must get, through
plain HTTP requests, so it holds wherever the cache code lives.
"""

import gzip

import pytest

from pagecache.generation import purge_public_pages
from pagecache.models import PublicGeneration
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_each_query_string_is_a_page_of_its_own(client):
    # Two searches must never share a cache entry: the second reader would get the first
    # reader's results.
    published_article(title="Ketamine and ADHD", tags=("adhd",))
    published_article(title="Ketamine and sleep", tags=("sleep",), slug="ketamine-and-sleep")

    adhd = client.get("/search/", {"q": "ADHD"})
    sleep = client.get("/search/", {"q": "sleep"})

    assert adhd.status_code == sleep.status_code == 200
    assert sleep["X-Cache"] == "miss"
    assert "Ketamine and sleep" in sleep.content.decode()
    assert "Ketamine and ADHD" not in sleep.content.decode()
    again = client.get("/search/", {"q": "ADHD"})
    assert again["X-Cache"] == "hit"
    assert again.content == adhd.content


def test_a_client_without_gzip_never_gets_the_gzip_form_a_gzip_client_filled(client):
    # The home page is large enough to be worth compressing.
    published_article()
    first = client.get("/", headers=GZIP)
    compressed = client.get("/", headers=GZIP)
    plain = client.get("/")

    assert compressed["X-Cache"] == plain["X-Cache"] == "hit"
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert not plain.has_header("Content-Encoding")
    assert plain.content.lower().startswith(b"<!doctype html>")
    # The two forms are different bytes, so they must not share a validator.
    assert compressed["ETag"] != plain["ETag"]
    assert first.status_code == 200


def test_a_purge_works_when_the_generation_row_is_gone(client):
    # A restored or flushed database can lack the row; publishing must still purge, not fail.
    published_article(title="Ketamine and ADHD")
    assert client.get("/").status_code == 200
    assert client.get("/")["X-Cache"] == "hit"
    published_article(title="Ketamine and sleep", slug="ketamine-and-sleep")
    PublicGeneration.objects.all().delete()

    purge_public_pages()

    page = client.get("/")
    assert page["X-Cache"] == "miss"
    assert "Ketamine and sleep" in page.content.decode()
    assert client.get("/")["X-Cache"] == "hit"


def test_an_article_page_filled_by_a_gzip_client_reaches_a_plain_client_uncompressed(client):
    # Anonymous article pages are frozen at publish and sent gzipped to gzip clients; the
    # cache keeps the plain form too, and it must not claim to be gzip.
    article = published_article()
    url = f"/articles/{article.slug}/"
    compressed = client.get(url, headers=GZIP)
    assert compressed["Content-Encoding"] == "gzip"

    plain = client.get(url)

    assert plain["X-Cache"] == "hit"
    assert not plain.has_header("Content-Encoding")
    assert plain.content == gzip.decompress(compressed.content)
    assert article.title in plain.content.decode()


@pytest.mark.parametrize("request_headers", [{}, GZIP], ids=["plain", "gzip"])
def test_a_hit_carries_every_header_the_filling_response_had(client, request_headers):
    # A hit is rebuilt from the entry's bytes and headers: each header a reader or a proxy
    # acts on (type, encoding, validators, caching, Vary) must come back as it was sent.
    article = published_article()
    url = f"/articles/{article.slug}/"
    filling = client.get(url, headers=request_headers)
    hit = client.get(url, headers=request_headers)

    assert (filling["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    sent = {name: value for name, value in filling.items() if name != "X-Cache"}
    assert {name: value for name, value in hit.items() if name != "X-Cache"} == sent
    for name in ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary"):
        assert hit[name], name
    assert hit.content == filling.content


@pytest.mark.parametrize("path", ["article", "api"])
def test_a_host_outside_allowed_hosts_is_refused_even_when_the_page_is_cached(
    client, settings, path
):
    # The cache key holds the host as received; only a host the site serves may reach it.
    settings.ALLOWED_HOSTS = ["one.example"]
    article = published_article()
    url = {"article": f"/articles/{article.slug}/",
           "api": f"/api/v1/articles/{article.slug}/"}[path]
    assert client.get(url, headers={"Host": "one.example"}).status_code == 200
    assert client.get(url, headers={"Host": "one.example"})["X-Cache"] == "hit"

    for host in ("evil.example", "one.example.evil.example", "one.example@evil.example"):
        refused = client.get(url, headers={"Host": host})
        assert refused.status_code == 400, host
        assert article.title not in refused.content.decode(errors="replace")
