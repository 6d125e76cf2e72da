"""Every public URL answers as a reader expects, with the page cache on and with it off.

The site is built through the real importer and workflow (`reviewed_site`). With the cache on
each URL is fetched twice, so both the response that fills the cache and the one served from
it are checked; with `KETASITE_PUBLIC_CACHE=false` (documented in the README) every request is
rendered, which once made `/sitemap.xml` answer 500.
"""

import json
from dataclasses import dataclass, field

import pytest

from tests.public.reviewed_site import RATED_NOTE, RATED_QUOTE, reviewed_site

pytestmark = pytest.mark.django_db

LIVE_TITLE = "Ketamine infusions for treatment-resistant depression"
WITHDRAWN_TITLE = "Ketamine lozenges at home"


@dataclass
class Expect:
    path: str
    status: int = 200
    content_type: str = "text/html"
    shows: list = field(default_factory=list)
    hides: list = field(default_factory=list)


def expectations(site):
    live, gone = site.live, site.withdrawn
    annotation = live.live.annotations[0]
    source = live.live.sources[0]
    return {
        "home": Expect("/", shows=[LIVE_TITLE], hides=[WITHDRAWN_TITLE]),
        "article": Expect(
            f"/articles/{live.slug}/",
            shows=[LIVE_TITLE, RATED_QUOTE, RATED_NOTE, "Supported", "Moderate certainty",
                   "31109201"],
        ),
        "withdrawn article": Expect(
            f"/articles/{gone.slug}/", status=410,
            shows=["This article has been withdrawn"], hides=[WITHDRAWN_TITLE],
        ),
        "unknown article": Expect(
            "/articles/no-such-article/", status=404, shows=["We could not find that page"],
        ),
        "tag": Expect("/tags/depression/", shows=[LIVE_TITLE], hides=[WITHDRAWN_TITLE]),
        "tag of a withdrawn article only": Expect(
            "/tags/home-use/", status=404, hides=[WITHDRAWN_TITLE],
        ),
        "search": Expect("/search/?q=infusion", shows=[LIVE_TITLE]),
        "search for withdrawn text": Expect("/search/?q=lozenges", hides=[WITHDRAWN_TITLE]),
        "empty search": Expect("/search/", shows=["Search"]),
        "how we rate": Expect(
            "/how-we-rate-evidence/", shows=["Supported", "Contradicted", "Very low"],
        ),
        "feed": Expect(
            "/feed/", content_type="application/atom+xml", shows=[LIVE_TITLE],
            hides=[WITHDRAWN_TITLE],
        ),
        "sitemap": Expect(
            "/sitemap.xml", content_type="application/xml",
            shows=["<sitemapindex", "/sitemap-articles.xml", "/sitemap-pages.xml"],
        ),
        "sitemap articles": Expect(
            "/sitemap-articles.xml", content_type="application/xml",
            shows=["<urlset", f"/articles/{live.slug}/"], hides=[f"/articles/{gone.slug}/"],
        ),
        "robots": Expect(
            "/robots.txt", content_type="text/plain",
            shows=["Disallow: /admin/", "/sitemap.xml"],
        ),
        "api articles": Expect(
            "/api/v1/articles/", content_type="application/json", shows=[live.slug],
            hides=[gone.slug],
        ),
        "api article": Expect(
            f"/api/v1/articles/{live.slug}/", content_type="application/json",
            shows=[LIVE_TITLE, RATED_QUOTE],
        ),
        "api withdrawn article": Expect(
            # The API documents no 410: a taken-down article is simply not there.
            f"/api/v1/articles/{gone.slug}/", status=404, content_type="application/json",
            hides=[WITHDRAWN_TITLE],
        ),
        "api article annotations": Expect(
            f"/api/v1/articles/{live.slug}/annotations/", content_type="application/json",
            shows=[RATED_QUOTE],
        ),
        "api annotation": Expect(
            f"/api/v1/annotations/{annotation['id']}/", content_type="application/json",
            shows=[RATED_QUOTE],
        ),
        "api sources": Expect(
            "/api/v1/sources/", content_type="application/json", shows=["31109201"],
        ),
        "api source": Expect(
            f"/api/v1/sources/{source['id']}/", content_type="application/json",
            shows=["31109201"],
        ),
        "api tags": Expect(
            "/api/v1/tags/", content_type="application/json", shows=["depression"],
            hides=["home-use"],
        ),
        "api docs": Expect("/api/docs/", shows=["swagger"]),
        "api schema": Expect(
            "/api/schema/", content_type="application/vnd.oai.openapi", shows=["openapi"],
        ),
    }


ROUTES = [
    "home", "article", "withdrawn article", "unknown article", "tag",
    "tag of a withdrawn article only", "search", "search for withdrawn text", "empty search",
    "how we rate", "feed", "sitemap", "sitemap articles", "robots", "api articles", "api article",
    "api withdrawn article", "api article annotations", "api annotation", "api sources",
    "api source", "api tags", "api docs", "api schema",
]


def check(response, expect, label):
    body = response.content.decode()
    assert response.status_code == expect.status, f"{label}: {response.status_code} {body[:300]}"
    assert response["Content-Type"].startswith(expect.content_type), (
        f"{label}: {response['Content-Type']}"
    )
    if expect.content_type == "application/json":
        json.loads(body)
    for text in expect.shows:
        assert text in body, f"{label}: {text!r} missing"
    for text in expect.hides:
        assert text not in body, f"{label}: {text!r} shown"


@pytest.mark.parametrize("page_cache", [True, False], ids=["cache on", "cache off"])
@pytest.mark.parametrize("route", ROUTES)
def test_every_public_url_answers_with_what_a_reader_expects(client, settings, route,
                                                             page_cache):
    settings.KETASITE_PUBLIC_CACHE = page_cache
    table = expectations(reviewed_site())
    assert set(table) == set(ROUTES)
    expect = table[route]
    check(client.get(expect.path), expect, f"{expect.path} (first request)")
    # With the cache on, the second request is the one served from it.
    check(client.get(expect.path), expect, f"{expect.path} (second request)")

