"""The public page cache: whole anonymous responses, as bytes, purged on publish.

Every key holds the current "public generation", a random token kept in the cache; purging
replaces the token, so every page cached before is unreachable at once, across processes and
servers (with Redis). If the token is evicted, a new one is drawn, which also purges: a stale
page is never served for want of a key.

Responses to a logged-in user (a session cookie that authenticates) are never cached nor
served from the cache, and carry `Cache-Control: private`.
"""

import hashlib
import secrets
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

GENERATION_KEY = "public:generation"
PAGE_KEY_PREFIX = "public:page"
PUBLIC_CACHE_CONTROL = {"public": True, "max_age": 0, "must_revalidate": True}
# Headers a view sets that must travel with a cached response.
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Content-Language", "Link")


def public_generation():
    """Return the current public generation token, drawing one if there is none."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, secrets.token_hex(8), timeout=None)
        token = cache.get(GENERATION_KEY) or "none"
    return token


def purge_public_pages():
    """Make every cached public page unreachable."""
    cache.set(GENERATION_KEY, secrets.token_hex(8), timeout=None)


def purge_article(article):
    """Purge the cached pages that may show `article`: its page, lists, tags, feeds, search.

    A publish changes the home page, tag pages, feed, sitemap and search as well as the
    article's own page, so the whole public generation is replaced. Call it through
    `transaction.on_commit` (see `purge_article_on_commit`) so that no request caches the
    old state between the purge and the commit.
    """
    purge_public_pages()


def purge_article_on_commit(article):
    """Purge the public pages once the current transaction commits."""
    transaction.on_commit(lambda: purge_article(article))


def is_logged_in(request):
    """Whether the request authenticates a user. Without a session cookie: no query."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def page_key(request, generation):
    path = request.get_full_path().encode("utf-8", "surrogateescape")
    return f"{PAGE_KEY_PREFIX}:{generation}:{hashlib.md5(path, usedforsecurity=False).hexdigest()}"


def _finish_public(response):
    """Add validators and cache headers to an anonymous response."""
    if not response.has_header("ETag"):
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        response["ETag"] = f'"{digest}"'
    if not response.has_header("Last-Modified"):
        response["Last-Modified"] = http_date()
    patch_cache_control(response, **PUBLIC_CACHE_CONTROL)
    patch_vary_headers(response, ("Cookie",))
    return response


def _conditional(request, response):
    """Answer 304 (or 412) when the request's validators match the response."""
    if response.status_code != 200:
        return response
    return get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
        response=response,
    )


def _cacheable(response):
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
    )


def _from_entry(entry):
    status, content, headers = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response["X-Cache"] = "hit"
    return response


def cached_public_page(view):
    """Serve an anonymous GET from the public page cache, filling it on a miss.

    Logged-in users get a fresh, private response. With `KETASITE_PUBLIC_CACHE` off, pages
    are rendered on every request but still carry validators and answer 304.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if is_logged_in(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ("Cookie",))
            return response
        if not getattr(settings, "KETASITE_PUBLIC_CACHE", True):
            response = view(request, *args, **kwargs)
            if _cacheable(response):
                _finish_public(response)
            return _conditional(request, response)

        key = page_key(request, public_generation())
        entry = cache.get(key)
        if entry is not None:
            return _conditional(request, _from_entry(entry))
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _cacheable(response):
            _finish_public(response)
            headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
            headers += [("Cache-Control", response["Cache-Control"]), ("Vary", response["Vary"])]
            cache.set(key, (response.status_code, response.content, headers))
            response["X-Cache"] = "miss"
        return _conditional(request, response)

    return wrapper
