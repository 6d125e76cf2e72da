"""The fixed-window counter behind every rate limit, and the API throttles built on it, in the
cases `make mutate` found unchecked.

A rate such as "2/min" means: at most two requests in each minute of the clock (12:00:00 to
12:00:59, then a fresh count), and a refused client is told how long until the minute ends.
"""

import time

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from ketasite.ratelimit import count_request
from tests.api.test_throttles import PUBLIC, one_window, rates  # noqa: F401 (fixtures)

MINUTE_START = 1_800_000_000  # a multiple of 60: the start of a minute on the clock


def test_a_limit_of_two_allows_exactly_two_requests_in_one_window():
    cache.clear()
    seen = [count_request("test-client", limit=2, seconds=60, now=120).allowed for _ in range(3)]

    assert seen == [True, True, False]
    # The next minute starts a new window.
    assert count_request("test-client", limit=2, seconds=60, now=180).allowed is True


def test_requests_anywhere_in_one_minute_share_its_window():
    cache.clear()
    start = MINUTE_START

    first = count_request("client", limit=2, seconds=60, now=start + 5)
    second = count_request("client", limit=2, seconds=60, now=start + 30)
    third = count_request("client", limit=2, seconds=60, now=start + 59.9)
    next_minute = count_request("client", limit=2, seconds=60, now=start + 60)

    assert (first.allowed, second.allowed, third.allowed, next_minute.allowed) == (
        True, True, False, True
    )
    # Every request of the minute learns that its window ends when the minute does.
    assert first.ends_at == second.ends_at == third.ends_at == start + 60
    assert next_minute.ends_at == start + 120


@pytest.fixture
def clock(monkeypatch, settings):
    """One clock for the counter and for the cache's expiry (which reads time.time()).

    The cache is a local-memory one for these tests even when the suite runs on Redis: Redis
    expires keys by its own clock, which no test can move.
    """
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                    "LOCATION": "throttle-clock"},
    }
    now = [float(MINUTE_START)]
    monkeypatch.setattr(time, "time", lambda: now[0])
    cache.clear()
    return now


def test_a_windows_count_holds_until_the_window_ends(clock):
    # A client that used up its two requests in the first second is refused for the whole
    # minute, not just until the counter happens to expire.
    assert count_request("client", limit=2, seconds=60, now=clock[0]).allowed
    assert count_request("client", limit=2, seconds=60, now=clock[0]).allowed
    clock[0] = MINUTE_START + 59.5

    assert count_request("client", limit=2, seconds=60, now=clock[0]).allowed is False


def test_a_finished_windows_count_leaves_the_cache(clock):
    # Counts are kept for their window (and a second of slack), not for hours: every client
    # address ever seen would otherwise fill the cache. The counter is stored under the
    # bucket's name and the window's start.
    count_request("client", limit=2, seconds=60, now=clock[0])
    assert cache.get(f"client:{MINUTE_START}") == 1

    clock[0] = MINUTE_START + 62

    assert cache.get(f"client:{MINUTE_START}") is None


@pytest.mark.django_db
def test_a_refused_api_client_is_told_how_long_until_the_minute_ends(
    api, one_window, rates  # noqa: F811 (fixtures)
):
    # The throttles' clock stands 10 seconds into a minute (see `one_window`): a client over
    # the rate may come back in 50 seconds, when the next minute's count starts.
    assert SimpleRateThrottle.timer() % 60 == 10
    rates(anon="2/min")

    codes = [api.get(PUBLIC).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    refused = api.get(PUBLIC)
    assert refused["Retry-After"] == "50"
    # The error body says it too, for clients that show the message rather than the header.
    assert refused.json()["code"] == "throttled"
    assert "50 seconds" in refused.json()["detail"]


def test_a_counted_request_costs_one_cache_increment_after_the_windows_first(monkeypatch):
    # Every API request is counted, so the counter must stay one round trip to the cache
    # (the module's promise: "one atomic cache increment per request").
    cache.clear()
    count_request("client", limit=100, seconds=60, now=MINUTE_START)
    calls = []

    def counted(name, original):
        def call(*args, **kwargs):
            calls.append(name)
            return original(*args, **kwargs)

        return call

    for name in ("incr", "add", "get", "set"):
        monkeypatch.setattr(cache, name, counted(name, getattr(cache, name)))

    for _ in range(5):
        assert count_request("client", limit=100, seconds=60, now=MINUTE_START + 1).allowed

    assert calls == ["incr"] * 5


def test_with_the_cache_keeping_no_counter_every_request_is_allowed(monkeypatch):
    # A cache that is down (django-redis swallows its errors) or drops the counter as soon as
    # it is made: nothing can be counted, so the site serves rather than refuses everyone.
    def lost(*args, **kwargs):
        raise ValueError("Key not found")

    monkeypatch.setattr(cache, "incr", lost)
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)

    windows = [count_request("client", limit=1, seconds=60, now=MINUTE_START) for _ in range(3)]

    assert [window.allowed for window in windows] == [True, True, True]
