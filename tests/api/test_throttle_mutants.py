"""The fixed-window counter behind every rate limit, in a case `make mutate` found unchecked."""

from django.core.cache import cache

from ketasite.ratelimit import count_request


def test_a_limit_of_two_allows_exactly_two_requests_in_one_window():
    cache.clear()
    seen = [count_request("test-client", limit=2, seconds=60, now=120).allowed for _ in range(3)]

    assert seen == [True, True, False]
    # The next minute starts a new window.
    assert count_request("test-client", limit=2, seconds=60, now=180).allowed is True
