"""The anonymous article detail served from the public page cache: the same bytes and headers
as the answer that filled the cache (and as the answer with the page cache off), without
DRF's view and without a query, still counted against the anonymous rate, and gone the
moment the article is taken down."""

import gzip

import pytest
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from articles import workflow
from tests.api.conftest import publish_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
JSON_LD = {"Accept": "application/ld+json"}


@pytest.fixture
def article(db):
    return publish_article(annotations=30)[0]


@pytest.fixture
def detail_url(article):
    return f"/api/v1/articles/{article.slug}/"


@pytest.fixture
def one_window(monkeypatch):
    """Freeze the throttles' clock inside one minute, so "3/min" means three requests."""
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: 1_800_000_010.0))


def headers_without_cache_marker(response):
    """Every header the client receives, but the page cache's own X-Cache."""
    return {name: value for name, value in response.items() if name != "X-Cache"}


@pytest.mark.parametrize("request_headers", [{}, GZIP, JSON_LD], ids=["json", "gzip", "accept"])
def test_a_cached_detail_has_the_bytes_and_headers_of_the_uncached_one(
    detail_url, settings, request_headers
):
    settings.KETASITE_PUBLIC_CACHE = False
    uncached = Client().get(detail_url, headers=request_headers)
    settings.KETASITE_PUBLIC_CACHE = True
    filling = Client().get(detail_url, headers=request_headers)
    cached = Client().get(detail_url, headers=request_headers)

    assert (filling["X-Cache"], cached["X-Cache"]) == ("miss", "hit")
    assert "X-Cache" not in uncached
    assert uncached.status_code == filling.status_code == cached.status_code == 200
    assert cached.content == filling.content == uncached.content
    expected = headers_without_cache_marker(uncached)
    assert headers_without_cache_marker(filling) == expected
    assert headers_without_cache_marker(cached) == expected
    # What the contract promises on every public read, named, so an empty dict cannot pass.
    for name in ("ETag", "Last-Modified", "Vary", "Content-Type", "Cache-Control"):
        assert cached[name], name
    assert cached["Content-Type"] == "application/json"
    assert {"Accept", "Accept-Encoding", "Cookie"} <= {
        part.strip() for part in cached["Vary"].split(",")
    }


def test_the_cached_gzip_form_is_the_json_of_the_plain_one(detail_url):
    Client().get(detail_url, headers=GZIP)
    plain = Client().get(detail_url)
    cached = Client().get(detail_url, headers=GZIP)
    assert cached["X-Cache"] == "hit"
    assert cached["Content-Encoding"] == "gzip"
    assert gzip.decompress(cached.content) == plain.content
    assert cached["ETag"] != plain["ETag"]


@pytest.mark.parametrize("request_headers", [{}, GZIP], ids=["json", "gzip"])
def test_a_cached_detail_answers_a_conditional_request_as_the_uncached_one(
    detail_url, settings, request_headers
):
    settings.KETASITE_PUBLIC_CACHE = False
    etag = Client().get(detail_url, headers=request_headers)["ETag"]
    conditional = {**request_headers, "If-None-Match": etag}
    uncached = Client().get(detail_url, headers=conditional)
    settings.KETASITE_PUBLIC_CACHE = True
    Client().get(detail_url, headers=request_headers)
    cached = Client().get(detail_url, headers=conditional)

    assert uncached.status_code == cached.status_code == 304
    assert cached.content == b""
    assert cached["ETag"] == uncached["ETag"] == etag
    assert cached["Last-Modified"] == uncached["Last-Modified"]


def test_a_cached_detail_is_answered_without_drf_or_a_query(
    detail_url, monkeypatch, django_assert_num_queries
):
    filling = Client().get(detail_url)

    def refuse(*args, **kwargs):
        raise AssertionError("a cached hit entered DRF's view")

    monkeypatch.setattr(APIView, "dispatch", refuse)
    with django_assert_num_queries(0):
        cached = Client().get(detail_url)
    assert cached["X-Cache"] == "hit"
    assert cached.content == filling.content


def test_the_anonymous_rate_still_refuses_a_cached_detail(detail_url, one_window, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "3/min")
    client = Client()
    answers = [client.get(detail_url) for _ in range(3)]
    assert [answer["X-Cache"] for answer in answers] == ["miss", "hit", "hit"]

    refused = client.get(detail_url)

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert int(refused["Retry-After"]) == 50  # the minute ends 50 s after the frozen clock
    assert "X-Cache" not in refused
    # Another client address has its own count, and is still served from the cache.
    other = client.get(detail_url, REMOTE_ADDR="192.0.2.77")
    assert (other.status_code, other["X-Cache"]) == (200, "hit")


def test_a_changed_anonymous_rate_holds_at_once_for_cached_hits(
    detail_url, one_window, monkeypatch
):
    # The rate is read on every request: a new rate (settings, a test) is not missed because
    # an earlier one was remembered.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    client = Client()
    assert [client.get(detail_url).status_code for _ in range(3)] == [200, 200, 429]

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "4/min")
    # The same minute's count goes on: the 4th and 5th requests of the minute.
    assert [client.get(detail_url).status_code for _ in range(2)] == [200, 429]


def test_a_query_string_is_its_own_cached_answer(detail_url):
    client = Client()
    assert [client.get(detail_url)["X-Cache"] for _ in range(2)] == ["miss", "hit"]

    other = client.get(f"{detail_url}?utm_source=feed")

    assert (other.status_code, other["X-Cache"]) == (200, "miss")
    assert client.get(f"{detail_url}?utm_source=feed")["X-Cache"] == "hit"


def test_a_cached_hit_and_the_drf_answer_count_in_one_bucket(
    detail_url, one_window, monkeypatch
):
    # A stale session cookie is no credential DRF accepts: the request goes through DRF's
    # anonymous throttle, which must see the cached hits the same address made before it.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    assert [Client().get(detail_url).status_code for _ in range(2)] == [200, 200]
    stale = Client()
    stale.cookies["sessionid"] = "no-such-session"
    assert stale.get(detail_url).status_code == 429


def test_a_take_down_is_seen_at_once_by_the_cached_detail(
    article, detail_url, django_capture_on_commit_callbacks
):
    client = Client()
    client.get(detail_url)
    assert client.get(detail_url)["X-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(article, action="unpublish", actor=make_user("Publishers"),
                         comment="Taken down.")

    gone = client.get(detail_url)
    assert gone.status_code == 404
    assert "X-Cache" not in gone
