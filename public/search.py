"""Search over live publications: PostgreSQL full-text search, a simple fallback on SQLite.

On PostgreSQL each publication stores its search vector and rank vector at publish
(`articles.search.store_search_vectors`); a query never parses an article's text. A search reads
`SearchEntry`, a narrow, GIN-indexed copy of those vectors with one row per live publication
and no other (kept by database triggers in the transaction that moves the live pointer), so
matching, counting and ranking thousands of articles neither read the wide publication rows
nor check each one is live. The count stops at `COUNT_CAP` ("more than 1,000 results"), and
only the best `COUNT_CAP` can be paged through. Snippets (`ts_headline`, which does parse
text) are built only for the results on the page shown, from the first `HEADLINE_CHARS`
characters of the text (title, summary, then the body), so a snippet costs the same however
long the article is.

Ranking, in tiers (`TIERS`): the articles with every word of the query in the title first, then
those with every word in the title and summary together, then those with the words only in
the text; newest first within a tier. A tier is a yes or no, never a score, so when thousands
match (a word in nearly every article) each page is read in date order, tier by tier, and
stops after that page's results instead of scoring every match (`_ranked_entries`).

Results carry `snippet`, safe HTML: the text around the match, escaped, with the matched
words in `<mark>`.
"""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVectorField
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, F, Func, Q, Value, When
from django.db.models.functions import Left
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from rest_framework.throttling import SimpleRateThrottle

from articles.models import Publication, SearchEntry
from articles.search import uses_postgres
from ketasite.ratelimit import client_address
from public.caching import is_logged_in

MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 240
# Counting stops here: on a site about ketamine nearly every article matches "ketamine", and
# an exact count of 10,000 matches costs more than the page itself. Readers see "more than
# 1,000 results" and can page through the best 1,000.
COUNT_CAP = 1000
# Snippets are built from this many characters at the start of the text (the title, the
# summary, then the body): ts_headline's cost grows with the text it parses. A match that
# occurs only further in gives a snippet of the article's opening lines, unmarked.
HEADLINE_CHARS = 1200
# Private-use characters mark the highlights inside PostgreSQL's headline, so the text can be
# escaped first and the marks turned into <mark> after: no text can smuggle markup through.
_START, _STOP = "\ue000", "\ue001"
RESULT_FIELDS = ("title", "summary", "tags", "evidence_summary", "published_at", "article__slug",
                 "slug")
# Within a tier (and in the SQLite fallback) newest first; the id makes the order total, so a
# result never shows on two pages or on none.
TIEBREAK = ("-published_at", "-pk")
# The ranking tiers, best first: where every word of the query occurs.
TIERS = ("title", "title and summary", "text")
# When more than COUNT_CAP match, every page is read tier by tier in date order (see
# `_ranked_entries`); the text tier is walked for the results up to here (the first pages)
# only: a row found there is known to match only once its search vector, TOASTed, is unpacked,
# so further in the tier's matches are listed from the search vector's GIN index instead.
WALKED_RESULTS = 48


class AnonymousSearchThrottle(SimpleRateThrottle):
    """The anonymous search rate, `KETASITE_THROTTLE_SEARCH`, per client address.

    Each new query is a database search (the page cache helps only a repeated one), so
    anonymous clients get a lower rate here than anywhere else; a signed-in user is not
    counted. DRF's sliding window in the default cache: shared by every process with Redis.
    """

    scope = "search"

    def get_rate(self):
        return settings.KETASITE_THROTTLE_SEARCH or None  # empty: no limit

    def get_cache_key(self, request, view):
        if is_logged_in(request):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


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


def _search_query(query):
    return SearchQuery(query, search_type="websearch", config=settings.KETASITE_SEARCH_CONFIG)


class CappedPaginator(Paginator):
    """A Paginator whose count stops at `cap`: only the first `cap` results are paged.

    `count_queryset` is what is counted, without the ranking's ORDER BY (a sliced count of
    the ranked queryset would rank every match first). `capped` says whether more matched.
    """

    def __init__(self, object_list, per_page, *, count_queryset, cap=None):
        super().__init__(object_list, per_page)
        self.count_queryset = count_queryset
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def _matched(self):
        return self.count_queryset[: self.cap + 1].count()

    @cached_property
    def count(self):
        return min(self._matched, self.cap)

    @cached_property
    def capped(self):
        return self._matched > self.cap

    @property
    def cap_text(self):
        return f"{self.cap:,}"


class TitleVector(Func):
    """The title's part of a rank vector: its weight-A lexemes (`publication_rank_vector`
    gives the title weight A and the summary weight B). Indexed on the search entries
    (`searchentry_title_gin`, migration 0014), written exactly so the planner finds it."""

    function = "ts_filter"
    template = "%(function)s(%(expressions)s, '{a}')"
    output_field = SearchVectorField()


class AsksOnlyForWords(Func):
    """Whether a query only asks for words, joined by AND and OR: no "-word" (NOT, `!`) and
    no phrase (quotes, or a hyphenated word: `<->`). A title or summary that matches such a
    query is part of a search vector that matches it too. A NOT can be answered by the rest
    of the text, and a phrase's positions differ between the two vectors (the summary follows
    the title at another offset in each). A lexeme holding `!` or `<` only costs the check.
    The query is a constant, so PostgreSQL works this out once, while planning."""

    template = "(%(expressions)s)::text !~ '[!<]'"
    output_field = BooleanField()


class CheckedEachRow(Func):
    """`vector @@ query` written as a function call: the same test, which the planner cannot
    answer from a GIN index, so a walk in date order checks it on the rows it reaches instead
    of the index listing every match first."""

    function = "ts_match_vq"
    output_field = BooleanField()


def _tier(search_query):
    """The tier of a row (0 best, see `TIERS`) from its rank vector, as an SQL expression over
    a queryset with the alias `title_vector` (entries and publications both hold the vector)."""
    return Case(
        When(Q(title_vector=search_query), then=Value(0)),
        When(Q(rank_vector=search_query), then=Value(1)),
        default=Value(2),
    )


def _tiered(queryset, search_query, *, pk):
    return queryset.alias(title_vector=TitleVector("rank_vector")).annotate(
        tier=_tier(search_query)
    ).order_by("tier", "-published_at", pk)


def _ranked_entries(search_query, *, start, stop, walk):
    """Return the publication ids of the ranked matches from `start` to `stop`, as a
    subquery.

    `walk`, for a query that matches more than COUNT_CAP articles: each tier is read newest
    first, until it has given `stop` rows; the tiers are read in turn and the next one only
    when the page is not yet full. The title and summary tiers are walked from the date index
    (`searchentry_newest`), checking each row's rank vector, or read from their GIN indexes
    when their words are rare (the planner knows from the statistics): with that many matches
    the rows checked are few. The text tier is walked the same way up to WALKED_RESULTS; after
    that its matches are listed from the search vector's GIN index and the newest kept, as
    walking would unpack the search vector of each row it passes. Otherwise every match is
    read through the search vector's GIN index and sorted by tier: at most COUNT_CAP rows.
    """
    entries = SearchEntry.objects.alias(title_vector=TitleVector("rank_vector"))
    if not walk:
        matches = entries.filter(search_vector=search_query)
        ranked = _tiered(matches, search_query, pk="-publication_id")
        return ranked.values("publication_id")[start:stop]
    in_title = Q(title_vector=search_query)
    in_title_and_summary = Q(rank_vector=search_query)
    # The tiers exclude the ones before them, as `_tier` does: with a "-word" in the query the
    # title can match where the title and summary together do not ("a or b -c", c in the
    # summary), and such a row belongs to the title's tier only.
    # A query that asks only for words and is not in the title and summary is not in the
    # title: the title's test (a tsvector built for each row) is then left out.
    in_text_only = ~in_title_and_summary & (Q(AsksOnlyForWords(search_query)) | ~in_title)
    tiers = [
        entries.filter(in_title, _then_matched(in_title, search_query, in_part=True)),
        entries.filter(in_title_and_summary & ~in_title, _then_matched(
            in_title_and_summary & ~in_title, search_query, in_part=True)),
        entries.filter(in_text_only, _then_matched(in_text_only, search_query, in_part=False))
        if stop <= WALKED_RESULTS
        else entries.filter(in_text_only, search_vector=search_query),
    ]
    first, *rest = [
        tier.order_by("-published_at", "-publication_id").values("publication_id")[:stop]
        for tier in tiers
    ]
    return first.union(*rest, all=True)[start:stop]


def _then_matched(tier, search_query, *, in_part):
    """Whether a row in `tier` matches the whole search vector, tested only once the tier's own
    test (on the small rank vector, in the row) has passed: the search vector is TOASTed
    (5 KB unpacked from another table), and PostgreSQL orders a filter's conditions by a cost
    that does not count unpacking, so it would test the search vector of every row walked.

    `in_part`: the tier's test matched the query on part of the row's text (the title, or the
    title and summary); when the query asks only for words, the whole text holds them too and
    the search vector is not unpacked at all."""
    matched = CheckedEachRow(F("search_vector"), search_query)
    if in_part:
        matched = Case(When(AsksOnlyForWords(search_query), then=Value(True)), default=matched)
    return Case(When(tier, then=matched), default=Value(False), output_field=BooleanField())


def search_publications(query):
    """Return the live publications matching `query`, best first (without snippets).

    On PostgreSQL the search entries' vectors are matched through their GIN index and the
    results ranked in tiers (every word in the title, then in the title and summary, then in
    the text), newest first within a tier; on SQLite every word must occur in the text,
    newest first. (The search page does not use this: see `search_page`.)
    """
    base = Publication.objects.live().select_related("article").only(*RESULT_FIELDS)
    if uses_postgres(base):
        search_query = _search_query(query)
        matches = SearchEntry.objects.filter(search_vector=search_query).values("publication_id")
        return _tiered(base.filter(pk__in=matches), search_query, pk="-pk")
    return _sqlite_matches(base, query)


def _sqlite_matches(base, query):
    results = base.only(*RESULT_FIELDS, "search_text")
    for word in query.split():
        results = results.filter(search_text__icontains=word)
    return results.order_by(*TIEBREAK)


class _RankedPage:
    """What the paginator slices on PostgreSQL: each slice is the subquery of that page's
    ranked ids, shaped by `_ranked_entries` for how many matched."""

    def __init__(self, search_query, paginator_of):
        self.search_query = search_query
        self.paginator_of = paginator_of

    def __getitem__(self, part):
        walk = self.paginator_of().capped
        return _ranked_entries(self.search_query, start=part.start, stop=part.stop, walk=walk)


def search_page(query, *, number, per_page):
    """Return the page `number` (invalid numbers give the first or last page) of the results
    for `query`, each result with `.snippet`. The page's paginator is a `CappedPaginator`.

    Two queries however many articles match: the capped count, and the page's rows. On
    PostgreSQL the page's ids are chosen first, on the search entries (`_ranked_entries`,
    ranked, sliced), and only those rows are read from the publications, each with a
    headline; they are read through `Publication.objects.live()` too, so a result that is not
    live cannot be shown.
    """
    base = Publication.objects.live().select_related("article").only(*RESULT_FIELDS)
    if not uses_postgres(base):
        results = _sqlite_matches(base, query)
        page = CappedPaginator(results, per_page, count_queryset=results).get_page(number)
        page.object_list = list(page.object_list)
        for publication in page.object_list:
            publication.snippet = snippet(publication, query)
        return page
    search_query = _search_query(query)
    matches = SearchEntry.objects.filter(search_vector=search_query)
    paginator = CappedPaginator(
        _RankedPage(search_query, lambda: paginator), per_page, count_queryset=matches
    )
    page = paginator.get_page(number)
    rows = _tiered(base.filter(pk__in=page.object_list), search_query, pk="-pk").annotate(
        headline=SearchHeadline(
            Left("search_text", HEADLINE_CHARS), search_query,
            config=settings.KETASITE_SEARCH_CONFIG, start_sel=_START, stop_sel=_STOP,
            max_words=40, min_words=15, max_fragments=2, fragment_delimiter=" … ",
        ),
    )
    page.object_list = list(rows)
    for publication in page.object_list:
        publication.snippet = snippet(publication, query)
    return page


def _marked(text):
    return mark_safe(  # noqa: S308 - escaped first; only our own markers become <mark>
        escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    )


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
