"""Search vectors of publications, stored at publish (the write side of search).

On PostgreSQL each publication stores its search vector (`Publication.search_vector`, what a
query matches) and a small rank vector (title and summary, what results are ranked by), both
computed at publish by `store_search_vectors` with the text-search configuration
`KETASITE_SEARCH_CONFIG`; a query never parses an article's text. Database triggers (the
migrations of this app) copy them into `SearchEntry`, one row per live publication. The
query side, what readers search with, is `public.search`.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connections


def uses_postgres(queryset):
    """Whether `queryset` runs on PostgreSQL (full-text search) rather than SQLite."""
    return connections[queryset.db].vendor == "postgresql"


def publication_search_vector():
    """Return the expression of a publication's search vector, what a search matches: the
    title at weight A and the search text (title, summary, body) at weight B, in
    `KETASITE_SEARCH_CONFIG`."""
    config = settings.KETASITE_SEARCH_CONFIG
    return SearchVector("title", weight="A", config=config) + SearchVector(
        "search_text", weight="B", config=config
    )


def publication_rank_vector():
    """Return the expression of a publication's rank vector: the title at weight A and the
    summary at weight B. Ranking reads it for every match, so it is kept small: ranking by
    the whole text would read every matching article's full vector, which on a site where
    nearly every article mentions ketamine costs as much as the search it was meant to save.
    """
    config = settings.KETASITE_SEARCH_CONFIG
    return SearchVector("title", weight="A", config=config) + SearchVector(
        "summary", weight="B", config=config
    )


def store_search_vectors(publications):
    """Compute and store the search and rank vectors of each publication in the queryset
    `publications` (one UPDATE); return how many rows were updated. Does nothing on SQLite.

    The publish path calls it for the new row, inside the publish transaction; so do
    `rerender_publication` and the migration that added the fields.
    """
    if not uses_postgres(publications):
        return 0
    return publications.update(
        search_vector=publication_search_vector(), rank_vector=publication_rank_vector()
    )
