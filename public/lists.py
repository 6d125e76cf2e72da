"""The public lists of articles (home, tag page) a page at a time, flat at any size.

The home page walks the live list by its index (`public.frozen.live_page`) and counts it from
one row (`live_count`); a deep page is read from the nearer end, oldest first, as the API
list does, so the last page costs what the first does. The tag page, on PostgreSQL, does the
same on the tag's rows of `LiveTag` (one per tag of each live publication, in the order of
the page) and its one row of `LiveTagCount`, both kept by triggers in the publishing
transaction. On SQLite, the live join and `with_tag_slug`. Both give Django's `Page` (number,
has_next, paginator.num_pages ...), which the templates use.
"""

from functools import cached_property

from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, connections

from articles.models import Publication
from public.frozen import live_count, live_page


def publications_from_rows(fields, rows):
    """Unsaved-looking `Publication`s from live_page rows of `fields` + (published_at, id)."""
    result = []
    for row in rows:
        publication = Publication(**dict(zip(fields, row, strict=False)))
        publication.pk = row[len(fields) + 1]
        publication._state.adding = False
        result.append(publication)
    return result


class LivePaginator(Paginator):
    """A Paginator over the live publications (with `tag_slug`, those under that tag: on
    PostgreSQL only), newest first, showing `fields` of each.

    Two queries a page whatever the site's size: the count (one row) and the page.
    `items(fields, rows)` makes a page's items from its live_page rows (by default the
    `Publication`s; the sitemap takes (slug, published_at) pairs).
    """

    def __init__(self, fields, per_page, *, tag_slug=None, items=None):
        super().__init__((), per_page, allow_empty_first_page=True)
        self.fields = tuple(fields)
        self.tag_slug = tag_slug
        self.items = items or publications_from_rows

    @cached_property
    def count(self):
        return live_count(tag_slug=self.tag_slug)

    def page(self, number):
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        end = min(start + self.per_page, self.count)
        if end <= start:
            rows = []
        elif self.count - end < start:
            # Nearer the oldest end: read that end, oldest first, and turn the page round.
            rows = live_page(self.fields, size=end - start, offset=self.count - end,
                             newest_first=False, tag_slug=self.tag_slug)
            rows.reverse()
        else:
            rows = live_page(self.fields, size=end - start, offset=start,
                             tag_slug=self.tag_slug)
        return self._get_page(self.items(self.fields, rows), number, self)


def tag_page(slug, fields, per_page, number):
    """The page `number` of the live publications tagged `slug`, newest first (a `Page` of
    `Publication`s with `fields`): two queries, the count and the page."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return LivePaginator(fields, per_page, tag_slug=slug).get_page(number)
    publications = Publication.objects.live().newest_first().only(*fields).with_tag_slug(slug)
    return Paginator(publications, per_page).get_page(number)
