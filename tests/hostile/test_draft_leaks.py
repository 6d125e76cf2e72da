"""An anonymous visitor never sees unpublished text, however they look for it.

Articles in every state are built through the real workflow, each with unique marker words in
every field. An anonymous client crawls every link of the public site and the public API and
tries every article's slug, id and uuid on every public route: only the text of a live
publication may appear, never a draft's, never an internal comment.
"""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings

from articles.models import Article
from tests.hostile.helpers import PUBLIC_FIELDS, build_article, make_team, markers

State = Article.State
# code → the state its article is taken to.
CASES = {
    "zqxdft": State.DRAFT,
    "zqxrev": State.IN_REVIEW,
    "zqxchg": State.CHANGES_REQUESTED,
    "zqxapr": State.APPROVED,
    "zqxpub": State.PUBLISHED,
    "zqxliv": "live_with_draft",
    "zqxunp": State.UNPUBLISHED,
    "zqxarc": State.ARCHIVED,
}
LIVE_CODES = {"zqxpub", "zqxliv"}
START_PATHS = [
    "/", "/sitemap.xml", "/feed/", "/how-we-rate-evidence/", "/robots.txt",
    "/api/v1/articles/", "/api/v1/tags/", "/api/v1/sources/",
]
CRAWL_LIMIT = 300


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the articles once for the module (the tests only read)."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            team = make_team()
            built = {
                code: build_article(team, code, state=state, number=index)
                for index, (code, state) in enumerate(CASES.items())
            }
            yield built
            transaction.set_rollback(True)


def secret_words(world):
    """Every marker word that must never reach an anonymous visitor."""
    secrets = set()
    for code in CASES:
        words = markers(code)
        if code in LIVE_CODES:
            secrets.add(words["comment"])
        else:
            secrets.update(words.values())
        # The event comments of request_changes and unpublish are internal too.
        secrets.update({f"{code}request", f"{code}down"})
    secrets.update(markers("zqxlivnew").values())
    return secrets


def public_words():
    return {markers(code)[name] for code in LIVE_CODES for name in PUBLIC_FIELDS}


def assert_no_secret(body, secrets, where):
    lowered = body.lower()
    leaked = sorted(word for word in secrets if word in lowered)
    assert not leaked, f"{where} shows unpublished text: {leaked}"


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def links_of(path, response):
    kind = response.get("Content-Type", "")
    body = response.content.decode("utf-8", "replace")
    found = []
    if "json" in kind:
        def walk(value):
            if isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, str) and value.startswith(("http://", "https://", "/")):
                found.append(value)

        walk(json.loads(body))
    elif "xml" in kind:
        found += re.findall(r"<loc>([^<]+)</loc>", body)
        found += re.findall(r'<link[^>]*href="([^"]+)"', body)
        found += re.findall(r"<id>([^<]+)</id>", body)
    elif "html" in kind:
        parser = LinkParser()
        parser.feed(body)
        found += parser.links
    else:
        found += re.findall(r"https?://\S+", body)
    return [urljoin("http://testserver" + path, link) for link in found]


def local_path(url):
    """Return the site path of `url`, or None for another site, static files or the admin."""
    parts = urlsplit(url)
    site = urlsplit(settings.SITE_URL)
    if parts.netloc not in ("testserver", site.netloc):
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith(("/static/", "/admin/", "/accounts/")):
        return None
    return path


def test_crawl_from_every_entry_point_finds_only_published_text(db, world):
    client = Client()
    secrets = secret_words(world)
    seen_text = []
    queue = list(START_PATHS)
    visited = set()
    while queue and len(visited) < CRAWL_LIMIT:
        path = queue.pop(0)
        if path in visited:
            continue
        visited.add(path)
        response = client.get(path)
        assert response.status_code in (200, 301, 302, 304, 404, 410), path
        body = response.content.decode("utf-8", "replace")
        assert_no_secret(body, secrets, path)
        seen_text.append(body)
        if response.status_code == 200:
            for link in links_of(path, response):
                target = local_path(link)
                if target and target not in visited:
                    queue.append(target)
    assert len(visited) < CRAWL_LIMIT, "the crawl did not finish"
    everything = "\n".join(seen_text).lower()
    # The crawl did reach the live articles: their public words are there.
    for word in public_words():
        assert word in everything, f"the crawl never found the live {word}"


def test_every_article_slug_id_and_uuid_on_every_public_route_shows_no_draft(db, world):
    client = Client()
    secrets = secret_words(world)
    for built in world.values():
        article = built.article
        for key in (article.slug, str(article.pk), str(article.uuid)):
            for path in (
                f"/articles/{key}/", f"/api/v1/articles/{key}/",
                f"/api/v1/articles/{key}/annotations/",
                f"/api/v1/articles/{key}/annotations/?format=jsonld", f"/tags/{key}/",
            ):
                response = client.get(path)
                assert_no_secret(response.content.decode(), secrets, path)
                if built.code not in LIVE_CODES:
                    assert response.status_code in (404, 410), path
        annotation_paths = [f"/api/v1/annotations/{built.annotation.pk}/",
                            f"/api/v1/sources/{built.source.pk}/"]
        for path in annotation_paths:
            response = client.get(path)
            assert_no_secret(response.content.decode(), secrets, path)
            if built.code not in LIVE_CODES:
                assert response.status_code == 404, path


# Many searches from one client: the anonymous search rate is not what this tests.
@override_settings(KETASITE_THROTTLE_SEARCH="")
def test_searching_for_each_marker_finds_only_published_text(db, world):
    client = Client()
    secrets = secret_words(world)
    for word in sorted(secrets):
        for path in ("/search/", "/api/v1/articles/"):
            response = client.get(path, {"q": word})
            assert response.status_code == 200, (path, word)
            # The search page repeats the query itself; nothing else may match.
            body = response.content.decode().lower().replace(word, "")
            assert_no_secret(body, secrets, f"{path}?q={word}")
            assert 'href="/articles/' not in body, f"{path}?q={word} lists an article"
        assert client.get("/api/v1/articles/", {"q": word}).json()["count"] == 0


def test_draft_tags_have_no_public_tag_page_nor_api_entry(db, world):
    client = Client()
    secrets = secret_words(world)
    tags = client.get("/api/v1/tags/").json()
    names = {tag["name"] for tag in tags}
    assert markers("zqxpub")["tag"] in names
    assert not names & secrets
    for code in [*CASES, "zqxlivnew"]:
        tag = markers(code)["tag"]
        page = client.get(f"/tags/{tag}/")
        api = client.get("/api/v1/articles/", {"tag": tag})
        if code in LIVE_CODES:
            assert page.status_code == 200
            assert api.json()["count"] == 1
        else:
            assert page.status_code == 404, tag
            assert api.json()["count"] == 0, tag
        assert_no_secret(page.content.decode(), secrets, f"/tags/{tag}/")


def test_public_api_filters_show_only_published_articles(db, world):
    client = Client()
    secrets = secret_words(world)
    for params in ({"verdict": "unsupported"}, {"certainty": "low"}, {"ordering": "title"},
                   {"ordering": "-published_at"}, {"page_size": "100"}):
        response = client.get("/api/v1/articles/", params)
        assert response.status_code == 200, params
        assert_no_secret(response.content.decode(), secrets, str(params))
        slugs = {item["slug"] for item in response.json()["results"]}
        assert slugs <= {world[code].article.slug for code in LIVE_CODES}


def test_live_article_with_a_new_draft_shows_its_live_text_only(db, world):
    client = Client()
    live = world["zqxliv"].article
    assert live.state == State.DRAFT and live.live_id is not None
    for path in (f"/articles/{live.slug}/", f"/api/v1/articles/{live.slug}/",
                 f"/api/v1/articles/{live.slug}/annotations/"):
        body = client.get(path).content.decode()
        assert markers("zqxliv")["block"] in body, path
        assert_no_secret(body, set(markers("zqxlivnew").values()), path)


def test_preview_and_share_link_urls_without_a_token_show_nothing(db, world):
    client = Client()
    secrets = secret_words(world)
    for built in world.values():
        for path in (f"/preview/{built.article.pk}/", f"/shared/{built.article.pk}/",
                     f"/shared/{built.article.uuid}/", "/shared/x/", "/preview/0/"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert_no_secret(response.content.decode(), secrets, path)
