"""The cache as the busiest paths reach it, and the backend of a site run without Redis.

`default_cache()` returns this thread's default cache backend, the object
`django.core.cache.cache` stands for. Each attribute of that proxy is looked up through
asgiref's `Local` (a context manager and a context variable per look-up): a cached public
answer and the anonymous count each paid for it on every request, about as much as for the
cache operation itself. This module keeps the backend in a plain thread-local instead, and
forgets it whenever the CACHES setting changes (as Django's own handler does), so tests that
override the setting, or patch a method through the proxy, reach the same object.

`LocalMemoryCache` is Django's `LocMemCache` without its memcached key warnings: it checks
every key, on every read and increment, for characters and a length that memcached would
refuse, one character at a time, only to warn. This site never uses memcached (Redis, the
production cache, has no such limits either).
"""

import threading

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.dispatch import receiver

_thread = threading.local()


def default_cache():
    """Return this thread's default cache backend (`caches["default"]`)."""
    try:
        return _thread.backend
    except AttributeError:
        backend = _thread.backend = caches["default"]
        return backend


@receiver(setting_changed)
def _forget_backends(*, setting, **kwargs):
    """A changed CACHES setting makes Django build new backends: forget ours in every
    thread."""
    global _thread
    if setting == "CACHES":
        _thread = threading.local()


class LocalMemoryCache(LocMemCache):
    """`LocMemCache` without the memcached key warnings."""

    def validate_key(self, key):
        pass
