"""Responses frozen at publish: the public page and API documents, ready to send.

A publication never changes once made, so everything an anonymous reader or API client is sent
is built once, in `freeze_responses` (called by `articles.publishing.freeze_publication`), and
stored on the Publication as UTF-8 bytes, with its gzip form and its validator. A request then
costs one query and a few concatenations: no template, no JSON encoding, no hashing.

The page is the article's own parts (the head's title, description, canonical link and JSON-LD;
the `<article>`) between the three parts of a shell: the site's chrome from `base.html`, with
the hashed static file names. The shell is rendered once per process, never stored, because
the static names change on every deploy. Its gzip form is built the same way: each part is
compressed on its own into a byte-aligned deflate segment (the shell's once per process, the
article's at publish), and the segments are joined into one gzip member, whose CRC-32 is
combined from the parts' checksums (`crc32_combine`, zlib's algorithm) without reading the
body again.
"""

import gzip
import hashlib
import json
import struct
import zlib

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import http_date

from articles.evidencechart import evidence_chart

HEAD_MARK = "<!--ketasite:page-head-->"
MAIN_MARK = "<!--ketasite:page-main-->"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
# Compressed once per publish or cache fill and sent many times: the smallest is worth it.
GZIP_LEVEL = 9
# A gzip member's header: magic, deflate, no flags, no mtime, default level, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# The final, empty deflate block that closes a stream of byte-aligned segments.
_DEFLATE_END = b"\x03\x00"


# ---------------------------------------------------------------------------------------------
# Gzip from independently compressed parts


def deflate_segment(data):
    """Return `data` as raw deflate blocks that end byte-aligned and are not final, so that
    segments compressed separately can be concatenated into one deflate stream."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


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
_SHIFTS = {}
_SHIFTS_MAX = 4096


def _x8nmodp(length):
    """x^(8 * length) modulo the polynomial: what appending `length` bytes does to a CRC."""
    shift = _SHIFTS.get(length)
    if shift is None:
        shift = 1 << 31
        n, k = length, 3
        while n:
            if n & 1:
                shift = _multmodp(_X2N[k & 31], shift)
            n >>= 1
            k += 1
        if len(_SHIFTS) >= _SHIFTS_MAX:
            _SHIFTS.clear()
        _SHIFTS[length] = shift
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


def gzip_body(data):
    """Return `data` gzipped, reproducibly (no timestamp)."""
    return gzip.compress(data, GZIP_LEVEL, mtime=0)


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


_SHELL = {}


def page_shell():
    """Return the PageShell of this process (rendered from `articles/page_shell.html`)."""
    key = (settings.STATIC_URL, settings.DEBUG, settings.SITE_NAME)
    shell = _SHELL.get(key)
    if shell is None:
        _SHELL.clear()
        shell = _SHELL[key] = PageShell(render_to_string("articles/page_shell.html", {}))
    return shell


# ---------------------------------------------------------------------------------------------
# Freezing, at publish


def api_json_bytes(data):
    """Return `data` as the API's JSON renderer writes it: compact, UTF-8, U+2028/9 escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode("utf-8")


def content_etag(content):
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def verdict_rows(summary):
    """Return the evidence summary as rows for a table (value, label, icon, count), in the
    verdicts' own order: a JSON column may not keep the order of its keys (jsonb does not)."""
    from articles.rendering import VERDICT_ICONS, VERDICT_LABELS

    counts = (summary or {}).get("by_verdict", {})
    return [
        {"value": value, "label": label, "icon": VERDICT_ICONS[value], "count": counts[value]}
        for value, label in VERDICT_LABELS.items()
        if value in counts
    ]


def page_context(publication, *, url, structured_data_script):
    """Return the context of the article page's templates for `publication` at `url`."""
    return {
        "publication": publication,
        "canonical_url": url,
        "structured_data": structured_data_script,
        "verdict_rows": verdict_rows(publication.evidence_summary),
        "evidence_chart": evidence_chart(publication.annotations or []),
        "updated": publication.published_at != publication.first_published_at,
    }


LIST_ITEM_KEYS = (
    "slug", "title", "summary", "tags", "published_at", "last_reviewed_at", "evidence_summary",
    "url",
)


def freeze_responses(publication, *, page_context):
    """Fill the publication's ready-to-send fields: page parts, API detail and list item.

    `page_context` is the context of `articles/_page_head.html` and `_page_main.html`, the
    same templates the logged-in rendering of `articles/detail.html` includes.
    """
    head = render_to_string("articles/_page_head.html", page_context).encode("utf-8")
    main = render_to_string("articles/_page_main.html", page_context).encode("utf-8")
    publication.page_head_html = head
    publication.page_main_html = main
    publication.page_head_deflate = deflate_segment(head)
    publication.page_main_deflate = deflate_segment(main)
    publication.page_checksums = [zlib.crc32(head), zlib.crc32(main)]
    publication.page_digest = hashlib.blake2b(head + b"\0" + main, digest_size=16).hexdigest()

    detail = api_json_bytes(publication.public_json)
    publication.api_detail_json = detail
    publication.api_detail_gzip = gzip_body(detail)
    publication.api_detail_etag = content_etag(detail)
    publication.api_item_json = api_json_bytes(
        {key: publication.public_json[key] for key in LIST_ITEM_KEYS}
    )


# ---------------------------------------------------------------------------------------------
# Serving

_PARAMETER = "\x00ketasite:parameter\x00"
_PREPARED = {}
_PREPARED_MAX = 256


def prepared_rows(build, *, key, value=None, using=DEFAULT_DB_ALIAS):
    """Return the rows (tuples) of the values_list queryset `build(value)` (or `build()`).

    The queryset is compiled to SQL once per process, connection and `key`, then run with
    `value` in place of the one it was built with: on a frozen page, building the SQL of a
    queryset costs more than running it. The queryset stays the one place of the rule (e.g.
    `Publication.objects.live()`). `key` must name everything the SQL depends on but `value`.
    """
    connection = connections[using]
    compiled = _PREPARED.get((key, id(connection)))
    if compiled is None:
        queryset = build() if value is None else build(_PARAMETER)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = list(params)
        slot = None if value is None else params.index(_PARAMETER)
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        compiled = (compiler, sql, params, slot, compiler.get_converters(fields))
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.clear()
        _PREPARED[(key, id(connection))] = compiled
    compiler, sql, params, slot, converters = compiled
    if slot is not None:
        params = params.copy()
        params[slot] = value
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = compiler.apply_converters(rows, converters)
    return [tuple(row) for row in rows]


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
