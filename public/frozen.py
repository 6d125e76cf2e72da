"""Serving the responses frozen at publish (`articles.frozen`): the anonymous article page and
the API documents, read with one query and sent as stored.

The page is the article's own parts (the head's title, description, canonical link and JSON-LD;
the `<article>`) between the three parts of a shell: the site's chrome from `base.html`, with
the hashed static file names. The shell is rendered once per process, never stored, because
the static names change on every deploy. Its gzip form is built the same way as the article's
parts: each part is compressed on its own into a byte-aligned deflate segment, and the
segments are joined into one gzip member, whose CRC-32 is combined from the parts' checksums
(`crc32_combine`, zlib's algorithm) without reading the body again.

The reads here are written in SQL, once per process, because on a frozen page compiling a
queryset costs more than running it; `live_publication_sql` is the SQL of
`Publication.objects.live()`, and a test holds the two together.
"""

import datetime
import hashlib
import json
import struct
import zlib
from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import http_date

from articles.frozen import deflate_segment
from articles.models import (
    NOT_LIVE_STATES,
    Article,
    LiveCount,
    LiveTag,
    LiveTagCount,
    Publication,
    SearchEntry,
)

HEAD_MARK = "<!--ketasite:page-head-->"
MAIN_MARK = "<!--ketasite:page-main-->"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
# A gzip member's header: magic, deflate, no flags, no mtime, default level, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# The final, empty deflate block that closes a stream of byte-aligned segments.
_DEFLATE_END = b"\x03\x00"


# ---------------------------------------------------------------------------------------------
# Gzip from independently compressed parts


_CRC_POLY = 0xEDB88320


def _multmodp(a, b):
    """Multiply a and b modulo the CRC-32 polynomial (bit-reflected, as zlib does)."""
    m = 1 << 31
    p = 0
    while True:
        if a & m:
            p ^= b
            if (a & (m - 1)) == 0:
                break
        m >>= 1
        b = (b >> 1) ^ _CRC_POLY if b & 1 else b >> 1
    return p


def _x2n_table():
    table = [1 << 30]
    for _ in range(31):
        table.append(_multmodp(table[-1], table[-1]))
    return table


_X2N = _x2n_table()
@lru_cache(maxsize=4096)
def _x8nmodp(length):
    """x^(8 * length) modulo the polynomial: what appending `length` bytes does to a CRC."""
    shift = 1 << 31
    n, k = length, 3
    while n:
        if n & 1:
            shift = _multmodp(_X2N[k & 31], shift)
        n >>= 1
        k += 1
    return shift


def crc32_combine(crc1, crc2, length2):
    """Return the CRC-32 of A + B from crc32(A), crc32(B) and len(B)."""
    return _multmodp(_x8nmodp(length2), crc1) ^ crc2


def gzip_join(parts):
    """Return one gzip member from `parts`, a list of (deflate segment, crc32, length)."""
    crc = 0
    size = 0
    for _, part_crc, length in parts:
        crc = crc32_combine(crc, part_crc, length)
        size += length
    return b"".join(
        [_GZIP_HEADER, *(segment for segment, _, _ in parts), _DEFLATE_END,
         struct.pack("<II", crc, size & 0xFFFFFFFF)]
    )



def gzip_etag(etag):
    """Return the ETag of the gzip form of a representation whose ETag is `etag`."""
    return etag[:-1] + '-gzip"' if etag.endswith('"') else etag + "-gzip"


def identity_etag(etag):
    """Undo `gzip_etag`."""
    return etag.replace('-gzip"', '"')


def accepts_gzip(request):
    return "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", "")


# ---------------------------------------------------------------------------------------------
# The page shell


class PageShell:
    """The site chrome around an article: three parts, as bytes, deflate segments and CRCs."""

    def __init__(self, html):
        before_head, rest = html.split(HEAD_MARK)
        between, after_main = rest.split(MAIN_MARK)
        self.parts = [part.encode("utf-8") for part in (before_head, between, after_main)]
        self.segments = [
            (deflate_segment(part), zlib.crc32(part), len(part)) for part in self.parts
        ]
        self.digest = hashlib.blake2b(b"\0".join(self.parts), digest_size=6).hexdigest()


def page_shell():
    """Return the PageShell of this process (rendered from `articles/page_shell.html`)."""
    return _page_shell(settings.STATIC_URL, settings.DEBUG, settings.SITE_NAME)


@lru_cache(maxsize=1)
def _page_shell(static_url, debug, site_name):
    # The arguments are the settings the shell depends on: the key of the cache.
    return PageShell(render_to_string("articles/page_shell.html", {}))


# ---------------------------------------------------------------------------------------------
# Serving

@lru_cache(maxsize=64)
def _live_sql(fields, *, by_slug, paged, using):
    """The SQL of `Publication.objects.live()` selecting `fields` (and, when `paged`, the
    total count, newest first, a page at a time), built once per process."""
    quote = connections[using].ops.quote_name
    publication, article = Publication._meta, Article._meta

    def column(meta, name):
        return f"{quote(meta.db_table)}.{quote(meta.get_field(name).column)}"

    selected = [column(publication, name) for name in fields]
    if paged:
        selected.append("COUNT(*) OVER ()")
    hidden = ", ".join(["%s"] * len(NOT_LIVE_STATES))
    # Only quoted table and column names from the models go into the text; values are
    # parameters.
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(publication.db_table)}"  # noqa: S608
        f" INNER JOIN {quote(article.db_table)}"
        f" ON {column(article, 'id')} = {column(publication, 'article')}"
        f" WHERE {column(article, 'live')} = {column(publication, 'id')}"
        f" AND {column(article, 'state')} NOT IN ({hidden})"
    )
    if by_slug:
        sql += f" AND {column(publication, 'slug')} = %s"
    if paged:
        sql += (
            f" ORDER BY {column(publication, 'published_at')} DESC,"
            f" {column(publication, 'id')} DESC LIMIT %s OFFSET %s"
        )
    else:
        sql += " LIMIT 1"
    return sql


def _converter(name):
    field_type = Publication._meta.get_field(name).get_internal_type()
    if field_type == "BinaryField":
        return _bytes
    if field_type == "JSONField":
        return _json
    if field_type == "DateTimeField":
        return _aware
    return None


def live_rows(fields, *, slug=None, page=None, using=DEFAULT_DB_ALIAS):
    """Return rows (tuples of `fields`) of the live publications, read with SQL built once
    per process: the one at `slug`, or with `page` = (offset, size) a page of them, newest
    first, each row ending with the number of live publications.

    Values come as the model's fields give them: bytes, decoded JSON, aware datetimes.
    """
    connection = connections[using]
    sql = _live_sql(tuple(fields), by_slug=slug is not None, paged=page is not None,
                    using=using)
    params = list(NOT_LIVE_STATES)
    if slug is not None:
        params.append(slug)
    if page is not None:
        offset, size = page
        params += [size, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _converted(rows, fields)


def _converted(rows, fields):
    """The rows as tuples, each value of `fields` converted as Django would load it."""
    converters = [(index, convert) for index, convert in enumerate(map(_converter, fields))
                  if convert is not None]
    if not converters:
        return [tuple(row) for row in rows]
    result = []
    for row in rows:
        row = list(row)
        for index, convert in converters:
            row[index] = convert(row[index])
        result.append(tuple(row))
    return result


def _json(value):
    # Django reads jsonb and SQLite's JSON as text, for the field to decode.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _aware(value):
    # SQLite gives naive UTC (USE_TZ); PostgreSQL gives an aware datetime.
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def _bytes(value):
    # PostgreSQL gives a memoryview for a bytea column; SQLite gives bytes.
    return value if isinstance(value, bytes) else bytes(value)


PAGE_FIELDS = (
    "page_head_html", "page_main_html", "page_head_deflate", "page_main_deflate",
    "page_checksums", "page_digest", "published_at",
)


def page_response(row, *, gzip_ok):
    """Return the anonymous article page from a row of PAGE_FIELDS values.

    With `gzip_ok`, the body is the gzip form, joined from the stored segments.
    """
    head, main, head_deflate, main_deflate, checksums, digest, published_at = row
    shell = page_shell()
    etag = f'"{digest}-{shell.digest}"'
    if gzip_ok:
        (s1, s2, s3) = shell.segments
        head_crc, main_crc = checksums
        head, main = _bytes(head), _bytes(main)
        body = gzip_join([
            s1, (_bytes(head_deflate), head_crc, len(head)),
            s2, (_bytes(main_deflate), main_crc, len(main)), s3,
        ])
        response = HttpResponse(body, content_type=HTML_CONTENT_TYPE)
        response["Content-Encoding"] = "gzip"
        etag = gzip_etag(etag)
    else:
        first, between, last = shell.parts
        body = b"".join((first, _bytes(head), between, _bytes(main), last))
        response = HttpResponse(body, content_type=HTML_CONTENT_TYPE)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(published_at.timestamp())
    response["Vary"] = "Accept-Encoding"
    return response


# ---------------------------------------------------------------------------------------------
# The live list a page at a time, flat at any size


@lru_cache(maxsize=64)
def _live_page_sql(fields, *, newest_first, keyset, with_count, using, tagged=False):
    """The SQL of a page of live publications (with `tagged`, of those under one tag),
    ordered by (published_at, id), from either end, optionally after a keyset position; each
    row ends with its published_at and id, and with `with_count` the number of live
    publications (under the tag), read in the same snapshot. Returns the SQL and how many
    times it binds the hidden states, then the tag's slug, before the keyset, size and offset.

    On PostgreSQL the page walks the search entries (one per live publication, kept by
    triggers in the publishing transaction) by their index `searchentry_newest`, or a tag's
    rows of `LiveTag` (kept by the same triggers) by their index `livetag_newest`, and joins
    each of its rows to its publication: a page costs its own rows whatever the size of the
    site or of the tag. The count is one row of `LiveCount` (`LiveTagCount`). On SQLite, the
    live join and a COUNT, untagged only (the tag page filters the live join there).
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    publication, article = Publication._meta, Article._meta
    selected = [f"p.{quote(publication.get_field(name).column)}" for name in fields]
    hidden = ", ".join(["%s"] * len(NOT_LIVE_STATES))
    order = "DESC" if newest_first else "ASC"
    comparison = "<" if newest_first else ">"
    if connection.vendor == "postgresql":
        # The page's positions from the index alone (an index-only scan, however deep the
        # offset), then their publications, one by primary key each.
        conditions = ["tag_slug = %s"] if tagged else []
        if keyset:
            conditions.append(f"(published_at, publication_id) {comparison} (%s, %s)")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        entries = quote((LiveTag if tagged else SearchEntry)._meta.db_table)
        source = (
            f"(SELECT published_at, publication_id FROM {entries}"  # noqa: S608
            f"{where} ORDER BY published_at {order}, publication_id {order}"
            f" LIMIT %s OFFSET %s) e"
            f" INNER JOIN {quote(publication.db_table)} p ON p.id = e.publication_id"
        )
        key = ("e.published_at", "e.publication_id")
        if tagged:
            table = quote(LiveTagCount._meta.db_table)
            count = f"COALESCE((SELECT live FROM {table} WHERE tag_slug = %s), 0)"  # noqa: S608
        else:
            table = quote(LiveCount._meta.db_table)
            count = f"COALESCE((SELECT live FROM {table} WHERE id = 1), 0)"  # noqa: S608
        # The date as text, read by `datetime.fromisoformat`: Django's timestamptz loader
        # costs tens of microseconds a value, which a sitemap file of thousands would feel.
        columns = [*selected, f"{key[0]}::text", key[1]] + ([count] if with_count else [])
        sql = (
            f"SELECT {', '.join(columns)} FROM {source}"  # noqa: S608
            f" ORDER BY {key[0]} {order}, {key[1]} {order}"
        )
        # The tag's slug is bound in the count (a selected column), then in the page.
        tag_bindings = (2 if with_count else 1) if tagged else 0
        return sql, 0, tag_bindings
    if tagged:
        raise NotSupportedError("A tag's live page is read by SQL on PostgreSQL only.")
    source = (
        f"{quote(publication.db_table)} p INNER JOIN {quote(article.db_table)} a"
        f" ON a.id = p.article_id AND a.live_id = p.id AND a.state NOT IN ({hidden})"
    )
    key = ("p.published_at", "p.id")
    count = f"(SELECT COUNT(*) FROM {source})"  # noqa: S608 (names only; values are params)
    where = f" WHERE ({key[0]}, {key[1]}) {comparison} (%s, %s)" if keyset else ""
    columns = [*selected, *key] + ([count] if with_count else [])
    sql = (
        f"SELECT {', '.join(columns)} FROM {source}{where}"  # noqa: S608
        f" ORDER BY {key[0]} {order}, {key[1]} {order} LIMIT %s OFFSET %s"
    )
    # How many times the hidden states are bound: the source in the count, then in FROM.
    return sql, (1 if with_count else 0) + 1, 0


def live_page(fields, *, size, offset=0, newest_first=True, after=None, with_count=False,
              tag_slug=None, using=DEFAULT_DB_ALIAS):
    """Return up to `size` live publications (with `tag_slug`, those under that tag:
    PostgreSQL only) as rows of `fields` + (published_at, id) [+ the live count], newest
    first (or oldest first), skipping `offset` rows after the position `after` =
    (published_at, id) when given. Rows come in the order asked.
    """
    connection = connections[using]
    sql, state_bindings, tag_bindings = _live_page_sql(
        tuple(fields), newest_first=newest_first, keyset=after is not None,
        with_count=with_count, using=using, tagged=tag_slug is not None,
    )
    params = list(NOT_LIVE_STATES) * state_bindings + [tag_slug] * tag_bindings
    if after is not None:
        published_at, pk = after
        params += [connection.ops.adapt_datetimefield_value(published_at), pk]
    params += [size, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _converted(rows, (*fields, "published_at"))


def live_count(*, tag_slug=None, using=DEFAULT_DB_ALIAS):
    """The number of live publications (with `tag_slug`, under that tag): one row of
    `LiveCount` (`LiveTagCount`) on PostgreSQL, else a count of the live join."""
    if connections[using].vendor == "postgresql":
        if tag_slug is None:
            counts = LiveCount.objects.using(using).filter(pk=1)
        else:
            counts = LiveTagCount.objects.using(using).filter(pk=tag_slug)
        return counts.values_list("live", flat=True).first() or 0
    publications = Publication.objects.using(using).live()
    if tag_slug is not None:
        publications = publications.with_tag_slug(tag_slug)
    return publications.count()
