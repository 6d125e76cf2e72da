"""The sitemap is an index of files of bounded size; each file reads only its own rows."""

import re
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from public.sitemaps import ArticleSitemap
from tests.conftest import make_article
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locs(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/xml")
    return [loc.text for loc in ElementTree.fromstring(response.content).findall(".//s:loc", NS)]  # noqa: S314


def path(url):
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_index_lists_files_of_at_most_the_limit_and_together_every_live_article(
    client, settings, monkeypatch
):
    settings.KETASITE_PUBLIC_CACHE = False
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    live = [published_article(title=f"Live {index}") for index in range(5)]
    draft = make_article(title="A draft")
    files = [path(url) for url in locs(client, "/sitemap.xml")]
    article_files = [url for url in files if url.startswith("/sitemap-articles.xml")]
    assert article_files == [
        "/sitemap-articles.xml", "/sitemap-articles.xml?p=2", "/sitemap-articles.xml?p=3"
    ]
    listed = []
    for url in article_files:
        addresses = locs(client, url)
        assert 1 <= len(addresses) <= 2
        listed += [path(address) for address in addresses]
    assert sorted(listed) == sorted(f"/articles/{article.slug}/" for article in live)
    assert f"/articles/{draft.slug}/" not in listed
    assert client.get("/sitemap-articles.xml?p=4").status_code == 404
    assert client.get("/sitemap-articles.xml?p=x").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_file_is_what_djangos_template_would_write(client, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    article = published_article(title="Written out")
    response = client.get("/sitemap-articles.xml")
    body = response.content.decode()
    date = f"{timezone.localtime(article.live.published_at):%Y-%m-%d}"
    assert (
        f"<url><loc>{settings.SITE_URL}/articles/{article.slug}/</loc><lastmod>{date}</lastmod>"
        "<changefreq>monthly</changefreq><priority>0.8</priority></url>"
    ) in body
    assert response["X-Robots-Tag"] and response["Last-Modified"]


def test_a_file_costs_the_same_queries_for_1_or_many_articles(client, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    published_article(title="One")

    def queries(url):
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    index, file = queries("/sitemap.xml"), queries("/sitemap-articles.xml")
    for index_ in range(6):
        published_article(title=f"More {index_}")
    assert queries("/sitemap.xml") == index
    assert queries("/sitemap-articles.xml") == file <= 2
