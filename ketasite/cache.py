"""The cache backend of a site run without Redis (one process's memory).

Django's `LocMemCache` checks every key, on every read and increment, for characters and a
length that memcached would refuse, one character at a time, only to warn. This site never
uses memcached, and the busiest keys (each cached public answer's page key and the anonymous
count's window) are read on every request: that check was a measurable part of a cached API
answer's time.
"""

from django.core.cache.backends.locmem import LocMemCache


class LocalMemoryCache(LocMemCache):
    """`LocMemCache` without the memcached key warnings (Redis, the production cache, has
    no such limits either)."""

    def validate_key(self, key):
        pass
