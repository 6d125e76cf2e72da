"""Public pages. Every view starts from published-only data: live publications.

Views are thin: the article page was rendered at publish (`articles.frozen`), so an anonymous
article page is one query and a few concatenations (`public.frozen`), and anonymous responses
are cached whole (`public.caching.cached_public_page`).
"""

import math
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import http_date
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from articles.claimreview import BEST_RATING, RATING_SCALE, WORST_RATING
from articles.frozen import page_context
from articles.models import Publication
from articles.publishing import moved_address
from articles.rendering import (
    CERTAINTY_ICONS,
    CERTAINTY_LABELS,
    VERDICT_ICONS,
    VERDICT_LABELS,
    json_ld_script,
    structured_data,
)
from public.caching import cached_public_page, is_logged_in
from public.frozen import PAGE_FIELDS, accepts_gzip, live_rows, page_response
from public.lists import LivePaginator, tag_page
from public.search import (
    AnonymousSearchThrottle,
    SearchQueryError,
    clean_query,
    search_page,
)
from reviewers.models import EditorialPolicy

PAGE_SIZE = 12
# What a list of articles needs from each publication; the big frozen fields stay unread.
LIST_FIELDS = ("slug", "title", "summary", "tags", "evidence_summary", "published_at")
DETAIL_FIELDS = (
    "slug", "title", "summary", "tags", "body_html", "sources", "evidence_summary",
    "changelog", "reviewed_by", "reviewed_at", "published_at", "first_published_at",
    "trust", "shows_overdue_notice", "page_digest",
)

def publication_structured_data(publication, url):
    """Return the JSON-LD script of a publication at `url`.

    On a miss, reading `annotations` (deferred) costs one more query.
    """
    # The digest changes when a page is re-rendered (a reviewer's credit, the review dates).
    return _structured_data_script(
        publication.pk, publication.published_at, publication.page_digest, url, publication
    )


# A publication never changes once frozen, so its JSON-LD is computed once per process and
# kept (keyed by row and publish time); building it costs milliseconds on a long article.
@lru_cache(maxsize=256)
def _structured_data_script(pk, published_at, page_digest, url, publication):
    return json_ld_script(structured_data(publication, url=url, site_name=settings.SITE_NAME))


@require_safe
@cached_public_page
def home(request):
    # Two queries at any size: the live count (one row) and the page by the list's index.
    page = LivePaginator(LIST_FIELDS, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "articles/home.html", {"page": page})


def raise_404_unless_ever_published(slug):
    """Raise Http404 unless an article was published at `slug` once (it is then gone: 410)."""
    if not Publication.objects.filter(slug=slug).exists():
        raise Http404("No published article here.")


def moved_permanently(request, viewname, slug):
    """A 301 to the same view at the article's new address, keeping the query string."""
    location = reverse(viewname, kwargs={"slug": slug})
    if request.META.get("QUERY_STRING"):
        location = f"{location}?{request.META['QUERY_STRING']}"
    return HttpResponsePermanentRedirect(location)


@require_safe
@cached_public_page
def article_detail(request, slug):
    """The article page. Anonymous readers get the page frozen at publish (one query, no
    rendering); logged-in users get the same templates rendered per request."""
    if not is_logged_in(request):
        rows = live_rows(PAGE_FIELDS, slug=slug)
        if rows and rows[0][PAGE_FIELDS.index("page_digest")]:
            return page_response(rows[0], gzip_ok=accepts_gzip(request))
    publication = Publication.objects.live().only(*DETAIL_FIELDS).filter(slug=slug).first()
    if publication is None:
        moved_to = moved_address(slug)
        if moved_to:
            return moved_permanently(request, "articles:detail", moved_to)
        raise_404_unless_ever_published(slug)
        return render(request, "articles/gone.html", {"slug": slug}, status=410)
    url = settings.SITE_URL + request.path
    context = page_context(
        publication, url=url,
        structured_data_script=publication_structured_data(publication, url),
    )
    response = render(request, "articles/detail.html", context)
    response["Last-Modified"] = http_date(publication.published_at.timestamp())
    return response


@require_safe
@cached_public_page
def tag_detail(request, slug):
    """The live articles under a tag, as their publications froze it (name and address)."""
    if slugify(slug) != slug:
        # Not an address a tag can have (upper case, say): no publication froze it.
        raise Http404("No published article has this tag.")
    page = tag_page(slug, LIST_FIELDS, PAGE_SIZE, request.GET.get("page"))
    if not page.object_list:
        raise Http404("No published article has this tag.")
    # The name as the newest publication on the page froze it.
    name = next(
        (tag for publication in page.object_list for tag in publication.tags
         if slugify(tag) == slug),
        slug,
    )
    return render(request, "articles/tag.html", {"tag": {"name": name, "slug": slug},
                                                 "page": page})


@require_safe
def search(request):
    """The search page. An anonymous search beyond `KETASITE_THROTTLE_SEARCH` gets a plain
    429 page with Retry-After; it is counted before the page cache, so every search counts."""
    throttle = AnonymousSearchThrottle()
    if request.GET.get("q", "").strip() and not throttle.allow_request(request, None):
        wait = math.ceil(throttle.wait() or 1)
        response = render(
            request, "articles/search_throttled.html", {"wait_text": _wait_text(wait)},
            status=429,
        )
        response["Retry-After"] = str(wait)
        response["Cache-Control"] = "no-store"
        return response
    return _search_results(request)


def _wait_text(seconds):
    return "1 second" if seconds == 1 else f"{seconds} seconds"


def _search_results_page(request):
    error = ""
    page = None
    query = ""
    try:
        query = clean_query(request.GET.get("q"))
    except SearchQueryError as exc:
        error = str(exc)
    if query:
        page = search_page(query, number=request.GET.get("page"), per_page=PAGE_SIZE)
    status = 400 if error else 200
    return render(
        request, "articles/search.html",
        {"query": query, "page": page, "error": error}, status=status,
    )


# Not known to `PublicCacheMiddleware`: every search is counted (above) before the cache.
_search_results = cached_public_page(_search_results_page, known=False)


@require_safe
@cached_public_page
def how_we_rate(request):
    verdicts = [
        {"value": value, "label": label, "icon": VERDICT_ICONS[value]}
        for value, label in VERDICT_LABELS.items()
    ]
    certainties = [
        {"value": value, "label": label, "icon": CERTAINTY_ICONS[value]}
        for value, label in CERTAINTY_LABELS.items()
    ]
    return render(
        request, "articles/how_we_rate.html",
        {"verdicts": verdicts, "certainties": certainties, **how_we_rate_trust_context()},
    )


def how_we_rate_trust_context():
    """The editorial policy (edited in the admin) and the rating scale of the JSON-LD."""
    return {
        "policy": EditorialPolicy.objects.order_by("pk").first(),
        "rating_scale": [
            {"value": RATING_SCALE[value], "label": label, "icon": VERDICT_ICONS[value]}
            for value, label in VERDICT_LABELS.items()
        ],
        "best_rating": BEST_RATING,
        "worst_rating": WORST_RATING,
    }


@require_safe
@cached_public_page
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/v1/editorial/",
        "Disallow: /preview/",
        "Disallow: /shared/",
        "Disallow: /accounts/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def bench_bare(request):
    """The yardstick of `make bench`: the cheapest Django response. Only when KETASITE_BENCH."""
    return HttpResponse(b"ok", content_type="text/plain")

