"""Who the client is, and counting its requests in fixed windows of the cache.

Every rate limit of the site (the API throttles, django-axes' sign-in lock-out, the password
reset) names the client by `client_address`, so one setting, `KETASITE_NUM_PROXIES`, decides
for all of them how far `X-Forwarded-For` is believed. With 0 (the default) only the
connection's own address counts: a header the client writes itself can never buy it a fresh
bucket. With N, the N-th address from the right is used, the one the outermost of our own
proxies appended; whatever the client wrote to the left of it is ignored.
"""

from typing import NamedTuple

from rest_framework.settings import api_settings

from ketasite.cache import default_cache


def client_address(request):
    """Return the client's address as this site trusts it (see the module docstring).

    The rule of DRF's `BaseThrottle.get_ident`, with `REST_FRAMEWORK["NUM_PROXIES"]` (which
    settings take from `KETASITE_NUM_PROXIES`), read from `request.META`: DRF reads the
    header through `request.headers`, which first copies every header of the request, a
    cost each cached public API answer paid (`tests/api/test_throttles.py` holds the two
    rules together). django-axes is pointed here (`AXES_CLIENT_IP_CALLABLE`) and the API's
    throttles count by it, so the lock-out and the throttles always agree on who a client is.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = api_settings.NUM_PROXIES
    if proxies is None:
        # DRF's reading when no proxy count is set: the whole header, spaces removed.
        return "".join(forwarded.split()) if forwarded else remote
    if proxies == 0 or forwarded is None:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


class Window(NamedTuple):
    """One request counted: whether it is within the limit, and when the window ends."""

    allowed: bool
    ends_at: int


def count_request(key, *, limit, seconds, now):
    """Count one request under `key` in the fixed window of `seconds` holding `now`; return
    a `Window` saying whether it is within `limit`.

    One atomic cache increment per request (a client may at most double the rate across the
    edge of two windows). With the cache down (django-redis ignores its errors) nothing is
    counted, and the request is allowed: serve rather than refuse everyone.
    """
    now = int(now)
    window_start = now - now % seconds
    window_key = f"{key}:{window_start}"
    cache = default_cache()
    try:
        count = cache.incr(window_key)
    except ValueError:
        # The window's first request (or the counter was evicted): start it.
        cache.add(window_key, 0, timeout=seconds + 1)
        try:
            count = cache.incr(window_key)
        except ValueError:
            count = None
    return Window(allowed=count is None or count <= limit, ends_at=window_start + seconds)
