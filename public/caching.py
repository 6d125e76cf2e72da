"""The public page cache: whole anonymous responses, as bytes, purged on publish.

Every entry holds the "public generation" it was cached in (`pagecache.generation`: a random
token in one database row, which every purge replaces in the transaction that changes what is
public, and which each process re-reads when its copy is a second old). So a purge made
anywhere is seen by every process within a second, with Redis or with each process's own
memory as the cache, and a Redis failure cannot lose a purge. A page of another generation is
never served; a hit costs no query (one at most per second and process, to check the
generation).

Responses to a logged-in user (a session cookie that authenticates) are never cached nor
served from the cache, and carry `Cache-Control: private`.

Each cached view makes the paths it answers known to its process; `PublicCacheMiddleware` then
answers their anonymous hits before the address is resolved (same entries, same guard).
"""

import gzip
import hashlib
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

from articles.frozen import gzip_body
from ketasite.api import is_anonymous_request
from ketasite.cache import default_cache
from pagecache.generation import public_generation
from public.frozen import accepts_gzip, gzip_etag, identity_etag

# The entry's shape is part of the key: an entry of another shape is never read.
PAGE_KEY_PREFIX = "public:page:2"
PUBLIC_CACHE_CONTROL = {"public": True, "max_age": 0, "must_revalidate": True}
# Headers a view sets that must travel with a cached response.
KEPT_HEADERS = (
    "Content-Type", "Content-Encoding", "ETag", "Last-Modified", "Content-Language", "Link",
    "Cache-Control", "Vary",
)
# Smaller bodies are not worth a gzip form: the headers would outweigh the saving.
GZIP_MIN_BYTES = 1024
# What a client accepting gzip is sent (the gzip form, or the identity of a small page) is
# cached under the page's key plus this suffix.
GZIP_KEY_SUFFIX = ":gzip"


def is_logged_in(request):
    """Whether the request authenticates a user. Without a session cookie: no query."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def page_key(request, representation=""):
    """The cache key of the request's page: its scheme, host and full path, and the
    representation negotiated for it (for the API: JSON or JSON-LD).

    The host is part of the key because some responses carry absolute links built from the
    request (the API's pagination and W3C ids): one host's links are never served to another.
    """
    # The path and query string as received, not re-escaped (`get_full_path` quotes them on
    # every hit): two spellings of one address are at worst cached twice. The host as
    # received too: CommonMiddleware has checked it against ALLOWED_HOSTS (`get_host()`, a
    # 400 for any other) before a view runs, and checking it again was a fifth of a hit.
    address = f"{request.scheme}://{request._get_raw_host()}{request.path}"
    query = request.META.get("QUERY_STRING")
    if query:
        address += f"?{query}"
    if representation:
        address += f" {representation}"
    digest = hashlib.md5(address.encode("utf-8", "surrogateescape"), usedforsecurity=False)
    return f"{PAGE_KEY_PREFIX}:{digest.hexdigest()}"


def _finish_public(response):
    """Add validators and cache headers to an anonymous response."""
    if not response.has_header("ETag"):
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        response["ETag"] = f'"{digest}"'
    if not response.has_header("Last-Modified"):
        response["Last-Modified"] = http_date()
    patch_cache_control(response, **PUBLIC_CACHE_CONTROL)
    patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
    return response


CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE",
)


def _conditional(request, response):
    """Answer 304 (or 412) when the request's validators match the response."""
    if response.status_code != 200 or not any(
        header in request.META for header in CONDITIONAL_HEADERS
    ):
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


def _kept_headers(response):
    return {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}


def _representations(response):
    """Return (identity, gzip) of a finished response, each (content, headers) or None.

    A response that came gzipped (a frozen page) gives its identity form too; an identity one
    worth compressing gets its gzip form, made here, once per cache fill.
    """
    headers = _kept_headers(response)
    encoding = response.get("Content-Encoding", "")
    if encoding == "gzip":
        identity_headers = {name: value for name, value in headers.items()
                            if name != "Content-Encoding"}
        identity_headers["ETag"] = identity_etag(headers["ETag"])
        return (gzip.decompress(response.content), identity_headers), (response.content, headers)
    if encoding:
        return None, None
    identity = (response.content, headers)
    if len(response.content) < GZIP_MIN_BYTES:
        return identity, None
    gzip_headers = dict(headers, **{"Content-Encoding": "gzip"})
    gzip_headers["ETag"] = gzip_etag(headers["ETag"])
    return identity, (gzip_body(response.content), gzip_headers)


def _stored_headers(headers):
    """`headers` ({name: value}, each already checked by the response that set it) in the
    form `HttpResponse.headers` keeps them: {lower-case name: (name, value)}."""
    return {name.lower(): (name, value) for name, value in headers.items()}


def _from_entry(entry):
    _, content, headers = entry
    response = HttpResponse(content)
    # The headers as the response that was cached held them, checked then: set one by one,
    # each would be encoded and checked again, a sixth of a hit's time.
    response.headers._store.update(headers, **{"x-cache": ("X-Cache", "hit")})
    return response


def _lookup(key):
    """Return (generation, entry of that generation or None): one cache round trip, and a
    query only when this process's copy of the generation is a second old."""
    generation = public_generation()
    entry = default_cache().get(key)
    if entry is None or entry[0] != generation:
        return generation, None
    return generation, entry


def _store(key, generation, identity, gzipped):
    """Cache both forms, each under its own key, so a hit reads only the form it sends."""
    content, headers = identity
    identity = (content, _stored_headers(headers))
    if gzipped is not None:
        content, headers = gzipped
        gzipped = (content, _stored_headers(headers))
    default_cache().set_many({
        key: (generation, *identity),
        key + GZIP_KEY_SUFFIX: (generation, *(gzipped or identity)),
    })


class _KnownRoute(NamedTuple):
    """What a cached public view does before its cache is read: its `guard` and how it names
    the `representation` of a request."""

    representation: object
    guard: object


# The paths this process has seen answered by a cached public view (a hit or a fill), with
# that view's `_KnownRoute`: `PublicCacheMiddleware` answers their hits before the address is
# resolved. A path leaves only when the memory is full (it is then emptied and learnt again);
# a path whose page is gone is a miss there, answered by its view as before.
_known_routes = {}
KNOWN_ROUTES_MAX = 20_000


def _remember(path, route):
    if path not in _known_routes:
        if len(_known_routes) >= KNOWN_ROUTES_MAX:
            _known_routes.clear()
        _known_routes[path] = route


def _guarded(request, guard):
    """Run `guard` once per request (the middleware may have run it before a miss); return
    the response it answers instead, or None."""
    if guard is None or getattr(request, "_public_cache_guarded", False):
        return None
    request._public_cache_guarded = True
    return guard(request)


def _hit(request, representation):
    """Return (key, generation, the cached response or None) for an anonymous GET; key None
    when the view answers this request uncached (an unknown `?format=`)."""
    variant = "" if representation is None else representation(request)
    if variant is None:
        return None, None, None
    key = page_key(request, variant)
    generation, entry = _lookup(key + GZIP_KEY_SUFFIX if accepts_gzip(request) else key)
    if entry is None:
        return key, generation, None
    return key, generation, _conditional(request, _from_entry(entry))


def cached_public_page(view, *, representation=None, guard=None, known=True):
    """Serve an anonymous GET from the public page cache, filling it on a miss.

    A hit costs one cache round trip and no query (but one a second per process, to check
    the generation): the entry holds the response's bytes and headers, and its gzip form,
    sent to clients that accept gzip. Logged-in users get a fresh, private response. With
    `KETASITE_PUBLIC_CACHE` off, pages are rendered on every request but still carry
    validators and answer 304.

    `representation(request)`, when given, names the representation the view will send
    (the API's negotiated media type), which becomes part of the key; None means the request
    is answered by the view and not cached. `guard(request)`, when given, runs on every
    anonymous GET before the cache is read and may return the response to send instead (the
    API's anonymous count and its 429). With `known` (the default), each path this view
    answers becomes known to `PublicCacheMiddleware`, which then serves its hits before the
    address is resolved; a view that does its own work before calling the cached one (the
    search's count) passes `known=False`.
    """
    route = _KnownRoute(representation, guard)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if is_logged_in(request):
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ("Cookie",))
            return response
        refusal = _guarded(request, guard)
        if refusal is not None:
            return refusal
        if not getattr(settings, "KETASITE_PUBLIC_CACHE", True):
            response = view(request, *args, **kwargs)
            # A TemplateResponse (the sitemap) has no content until rendered, and the ETag
            # below is a digest of the content.
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _cacheable(response):
                _finish_public(response)
            return _conditional(request, response)

        key, generation, hit = _hit(request, representation)
        if key is None:
            return view(request, *args, **kwargs)
        if known:
            _remember(request.path_info, route)
        if hit is not None:
            return hit
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if _cacheable(response):
            _finish_public(response)
            identity, gzipped = _representations(response)
            if identity is not None:
                _store(key, generation, identity, gzipped)
            response["X-Cache"] = "miss"
        return _conditional(request, response)

    return wrapper


class PublicCacheMiddleware:
    """Answer a cache hit of a known public page before its address is resolved.

    For an anonymous GET (no token, no session cookie) of a path this process has seen
    answered by a cached public view, the view's guard runs (the API's anonymous count) and
    the page cache is read as the view would read it: a hit is sent from here, through every
    outer middleware (security headers, CSP, the database-outage answer); a miss goes on to
    the view, which does not count the request again. Resolving the address and the view's
    wrappers were a tenth of a hit's time. What is served is only ever an entry a public view
    stored, of the current generation, so a take-down is seen here as at the view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = _known_routes.get(request.path_info)
        if (
            route is not None
            and request.method in ("GET", "HEAD")
            and is_anonymous_request(request)
            and getattr(settings, "KETASITE_PUBLIC_CACHE", True)
        ):
            refusal = _guarded(request, route.guard)
            if refusal is not None:
                return refusal
            _, _, hit = _hit(request, route.representation)
            if hit is not None:
                return hit
        return self.get_response(request)
