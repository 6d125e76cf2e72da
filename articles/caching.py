"""The public page cache: whole anonymous responses, as bytes, purged on publish.

Every entry holds the "public generation" it was cached in. The generation is a random token
in one database row (`pagecache.PublicGeneration`), which every purge replaces in the
transaction that changes what is public. Each process keeps the token it last read and reads
the row again when its copy is a second old, so a purge made anywhere (another gunicorn
worker, cron's `publish_scheduled`, a shell) is seen by every process within a second, with
Redis or with each process's own memory as the cache, and a Redis failure cannot lose a
purge. A page of another generation is never served; a hit costs no query (one at most per
second and process, to check the generation).

Responses to a logged-in user (a session cookie that authenticates) are never cached nor
served from the cache, and carry `Cache-Control: private`.
"""

import gzip
import hashlib
import secrets
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe

from articles.frozen import accepts_gzip, gzip_body, gzip_etag, identity_etag
from pagecache.models import PublicGeneration

# A process trusts the generation it read for this long (seconds): the longest a purge made
# elsewhere can take to be seen, and why a hit needs no query.
GENERATION_MAX_AGE = 1.0
PAGE_KEY_PREFIX = "public:page"
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


class _KnownGeneration:
    """This process's copy of the generation: the token and when it was read (monotonic)."""

    token = None
    read_at = 0.0


_known = _KnownGeneration()


def _read_generation():
    """Return the generation in the database, creating its row when there is none."""
    token = PublicGeneration.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        token = PublicGeneration.objects.get_or_create(
            pk=1, defaults={"token": secrets.token_hex(8), "changed_at": timezone.now()}
        )[0].token
    return token


def public_generation():
    """Return the current public generation token.

    This process's copy while it is younger than GENERATION_MAX_AGE (no query), else the
    database's, read now. A database error propagates: without the generation, no cached
    page can be known to be current.
    """
    now = time.monotonic()
    token = _known.token
    if token is None or now - _known.read_at >= GENERATION_MAX_AGE:
        token = _read_generation()
        _known.token, _known.read_at = token, now
    return token


def forget_generation():
    """Drop this process's copy of the generation, so the next request reads the database."""
    _known.token = None


def purge_public_pages():
    """Make every cached public page unreachable, in every process, within a second.

    Replaces the generation token in the database. Inside a transaction the new token commits
    (or rolls back) with the change that called for the purge: no process can see the new
    state under the old token for longer than a second, and a crash after the commit cannot
    lose the purge. This process forgets its copy at once and again on commit.
    """
    token = secrets.token_hex(8)
    now = timezone.now()
    if not PublicGeneration.objects.filter(pk=1).update(token=token, changed_at=now):
        PublicGeneration.objects.update_or_create(
            pk=1, defaults={"token": token, "changed_at": now}
        )
    forget_generation()
    transaction.on_commit(forget_generation)


def purge_article(article):
    """Purge the cached pages that may show `article`: its page, lists, tags, feeds, search.

    A publish changes the home page, tag pages, feed, sitemap and search as well as the
    article's own page, so the whole public generation is replaced.
    """
    purge_public_pages()


def purge_article_on_commit(article):
    """Purge the public pages when the current transaction commits.

    The new generation is written in the transaction, so other processes see it exactly when
    the change commits, and not at all if it rolls back.
    """
    purge_article(article)


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
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
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


def _from_entry(entry):
    _, content, headers = entry
    response = HttpResponse(content, headers=headers)
    response["X-Cache"] = "hit"
    return response


def _lookup(key):
    """Return (generation, entry of that generation or None): one cache round trip, and a
    query only when this process's copy of the generation is a second old."""
    generation = public_generation()
    entry = cache.get(key)
    if entry is None or entry[0] != generation:
        return generation, None
    return generation, entry


def _store(key, generation, identity, gzipped):
    """Cache both forms, each under its own key, so a hit reads only the form it sends."""
    cache.set_many({
        key: (generation, *identity),
        key + GZIP_KEY_SUFFIX: (generation, *(gzipped or identity)),
    })


def cached_public_page(view, *, representation=None):
    """Serve an anonymous GET from the public page cache, filling it on a miss.

    A hit costs one cache round trip and no query (but one a second per process, to check
    the generation): the entry holds the response's bytes and headers, and its gzip form,
    sent to clients that accept gzip. Logged-in users get a fresh, private response. With
    `KETASITE_PUBLIC_CACHE` off, pages are rendered on every request but still carry
    validators and answer 304.

    `representation(request)`, when given, names the representation the view will send
    (the API's negotiated media type), which becomes part of the key; None means the request
    is answered by the view and not cached.
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
            # A TemplateResponse (the sitemap) has no content until rendered, and the ETag
            # below is a digest of the content.
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if _cacheable(response):
                _finish_public(response)
            return _conditional(request, response)

        variant = "" if representation is None else representation(request)
        if variant is None:
            return view(request, *args, **kwargs)
        key = page_key(request, variant)
        generation, entry = _lookup(key + GZIP_KEY_SUFFIX if accepts_gzip(request) else key)
        if entry is not None:
            return _conditional(request, _from_entry(entry))
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
