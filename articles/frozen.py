"""Responses frozen at publish: the public page and API documents, made ready to send.

A publication never changes once made, so everything an anonymous reader or API client is sent
is built once, in `freeze_responses` (called by `articles.publishing.freeze_publication`), and
stored on the Publication as UTF-8 bytes, with its gzip form and its validator. The public app
(`public.frozen`) then serves them with one query and a few concatenations: no template, no
JSON encoding, no hashing.

The page's gzip form is made of parts compressed on their own into byte-aligned deflate
segments (the article's head and `<article>` here, the site's shell once per process where it
is served), which are joined into one gzip member without reading the body again.
"""

import gzip
import hashlib
import json
import zlib
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string

from articles.rendering import VERDICT_ICONS, VERDICT_LABELS

# Compressed once per publish or cache fill and sent many times: the smallest is worth it.
GZIP_LEVEL = 9


def deflate_segment(data: bytes) -> bytes:
    """Return `data` as raw deflate blocks that end byte-aligned and are not final, so that
    segments compressed separately can be concatenated into one deflate stream."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def gzip_body(data: bytes) -> bytes:
    """Return `data` gzipped, reproducibly (no timestamp)."""
    return gzip.compress(data, GZIP_LEVEL, mtime=0)


def api_json_bytes(data: Any) -> bytes:
    """Return `data` as the API's JSON renderer writes it: compact, UTF-8, U+2028/9 escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode("utf-8")


def content_etag(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=16).hexdigest() + '"'


def verdict_rows(summary: dict | None) -> list[dict]:
    """Return the evidence summary as rows for a table (value, label, icon, count), in the
    verdicts' own order: a JSON column may not keep the order of its keys (jsonb does not)."""
    counts = (summary or {}).get("by_verdict", {})
    return [
        {"value": value, "label": label, "icon": VERDICT_ICONS[value], "count": counts[value]}
        for value, label in VERDICT_LABELS.items()
        if value in counts
    ]


def page_context(publication, *, url: str, structured_data_script: str) -> dict:
    """Return the context of the article page's templates for `publication` at `url`."""
    return {
        "publication": publication,
        "canonical_url": url,
        "structured_data": structured_data_script,
        "verdict_rows": verdict_rows(publication.evidence_summary),
        "updated": publication.published_at != publication.first_published_at,
    }


# The keys of an article in the public API's list, in the order they are sent. The API's
# schema (`public.api.PublicArticleSerializer`) documents exactly these; a test holds the two
# together.
PUBLICATION_ITEM_KEYS = (
    "slug", "title", "summary", "tags", "published_at", "last_reviewed_at", "evidence_summary",
    "url",
)


def publication_item(public_json: dict) -> dict:
    """The public list item of a publication: the first keys of its frozen API document.

    The one definition of the list item: frozen at publish (`freeze_responses`), backfilled
    for publications made before it was stored (`fill_api_documents`), and documented by the
    API's schema.
    """
    return {key: public_json[key] for key in PUBLICATION_ITEM_KEYS}


def freeze_api_documents(publication) -> None:
    """Fill the publication's API bytes from its `public_json`: the detail document (with
    its gzip form and ETag) and the list item."""
    detail = api_json_bytes(publication.public_json)
    publication.api_detail_json = detail
    publication.api_detail_gzip = gzip_body(detail)
    publication.api_detail_etag = content_etag(detail)
    publication.api_item_json = api_json_bytes(publication_item(publication.public_json))


API_DOCUMENT_FIELDS = ("api_detail_json", "api_detail_gzip", "api_detail_etag", "api_item_json")


def fill_api_documents(publications: QuerySet) -> int:
    """Store the API bytes of `publications` that lack them (made before they were stored);
    return how many were filled. Takes a queryset of the current or a migration's model."""
    count = 0
    for publication in publications:
        if bytes(publication.api_item_json or b"") and publication.api_detail_etag:
            continue
        freeze_api_documents(publication)
        publication.save(update_fields=API_DOCUMENT_FIELDS, using=publications.db)
        count += 1
    return count


def freeze_responses(publication, *, page_context: dict) -> None:
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
    freeze_api_documents(publication)
