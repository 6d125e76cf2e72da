"""`PublicCacheMiddleware`: a known public page's hit is answered before its address is
resolved, and answers exactly what the view would have (the same count, the same refusals,
nothing to a signed-in reader, nothing after a take-down)."""

import pytest
from django.test import Client
from django.urls.resolvers import URLResolver
from rest_framework.throttling import SimpleRateThrottle

from pagecache.generation import purge_public_pages
from tests.api.conftest import publish_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(db):
    article = publish_article(annotations=3)[0]
    return {"page": f"/articles/{article.slug}/", "api": f"/api/v1/articles/{article.slug}/"}


@pytest.fixture
def one_window(monkeypatch):
    """Freeze the throttles' clock inside one minute, so "2/min" means two requests."""
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: 1_800_000_010.0))


@pytest.fixture
def resolutions(monkeypatch):
    """Count the addresses resolved (the root resolver's look-ups)."""
    seen = []
    original = URLResolver.resolve

    def counted(self, path):
        if self.pattern.describe() == "'^/'":
            seen.append(path)
        return original(self, path)

    monkeypatch.setattr(URLResolver, "resolve", counted)
    return seen


@pytest.mark.parametrize("which", ["page", "api"])
def test_a_known_pages_hit_is_answered_without_resolving_its_address(urls, resolutions, which):
    client = Client()
    assert [client.get(urls[which])["X-Cache"] for _ in range(2)] == ["miss", "hit"]
    resolved_before = len(resolutions)
    assert resolved_before >= 1

    again = client.get(urls[which])

    assert (again.status_code, again["X-Cache"]) == (200, "hit")
    assert len(resolutions) == resolved_before
    # The outer middleware still dress the answer.
    assert again["X-Content-Type-Options"] == "nosniff"
    assert again["Content-Security-Policy"]


def test_a_miss_after_a_purge_is_counted_once(urls, one_window, monkeypatch):
    # The middleware counts the request, misses (the purge), and hands it to the view, which
    # must not count it again: two requests of a "2/min" client are both answered.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = Client()
    assert client.get(urls["api"]).status_code == 200
    purge_public_pages()

    second = client.get(urls["api"])

    assert (second.status_code, second["X-Cache"]) == (200, "miss")
    assert client.get(urls["api"]).status_code == 429


def test_a_known_page_is_not_answered_from_the_cache_once_the_cache_is_off(urls, settings):
    client = Client()
    assert [client.get(urls["page"])["X-Cache"] for _ in range(2)] == ["miss", "hit"]
    settings.KETASITE_PUBLIC_CACHE = False

    page = client.get(urls["page"])

    assert page.status_code == 200
    assert "X-Cache" not in page


@pytest.mark.parametrize("which", ["page", "api"])
def test_a_signed_in_reader_of_a_known_page_gets_a_fresh_private_answer(
    urls, which, client, login_as
):
    anonymous = Client()
    assert [anonymous.get(urls[which])["X-Cache"] for _ in range(2)] == ["miss", "hit"]
    login_as("Editors")

    answer = client.get(urls[which])

    assert answer.status_code == 200
    assert "X-Cache" not in answer
    if which == "page":
        assert "private" in answer["Cache-Control"]
