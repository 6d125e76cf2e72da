"""Search over live publications: PostgreSQL full-text search, a simple fallback on SQLite.

Results carry `snippet`, safe HTML: the text around the match, escaped, with the matched
words in `<mark>`.
"""

import re

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import mark_safe

from articles.models import Publication

MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 240
# Private-use characters mark the highlights inside PostgreSQL's headline, so the text can be
# escaped first and the marks turned into <mark> after: no text can smuggle markup through.
_START, _STOP = "\ue000", "\ue001"
RESULT_FIELDS = ("title", "summary", "tags", "evidence_summary", "published_at", "article__slug",
                 "slug")


class SearchQueryError(ValueError):
    """A query that cannot be searched; the message says why."""


def clean_query(raw):
    """Return the query trimmed, or raise SearchQueryError with a readable reason."""
    query = " ".join(str(raw or "").replace("\x00", " ").split())
    if len(query) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"Please shorten your search to at most {MAX_QUERY_CHARS} characters."
        )
    return query


def uses_postgres():
    return connection.vendor == "postgresql"


def _marked(text):
    return mark_safe(  # noqa: S308 - escaped first; only our own markers become <mark>
        escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


def search_publications(query):
    """Return live publications matching `query`, best first, each with `.snippet`."""
    base = Publication.objects.live().select_related("article")
    if uses_postgres():
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
            SearchVector,
        )

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            "search_text", weight="B", config="english"
        )
        search_query = SearchQuery(query, search_type="websearch", config="english")
        return (
            base.only(*RESULT_FIELDS)
            .annotate(document=vector)
            .filter(document=search_query)
            .annotate(
                rank=SearchRank(vector, search_query),
                headline=SearchHeadline(
                    "search_text", search_query, config="english",
                    start_sel=_START, stop_sel=_STOP, max_words=40, min_words=15,
                    max_fragments=2, fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-published_at")
        )
    results = base.only(*RESULT_FIELDS, "search_text")
    for word in query.split():
        results = results.filter(search_text__icontains=word)
    return results.order_by("-published_at")


def snippet(publication, query):
    """Return the safe HTML snippet of a result."""
    headline = getattr(publication, "headline", None)
    if headline is not None:
        return _marked(headline)
    text = publication.search_text
    words = [w for w in query.split() if w]
    lowered = text.lower()
    first = min((lowered.find(w.lower()) for w in words if w.lower() in lowered), default=0)
    start = max(0, first - SNIPPET_CHARS // 3)
    end = min(len(text), start + SNIPPET_CHARS)
    window = text[start:end]
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
        window = pattern.sub(lambda m: f"{_START}{m.group()}{_STOP}", window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return _marked(f"{prefix}{window}{suffix}")

