"""The sitemap: an index (`/sitemap.xml`) of files (`/sitemap-<section>.xml?p=N`) holding the
home and policy pages, every live article and every published reviewer profile.

A large site's articles fill many files of at most `ArticleSitemap.limit` URLs each (search
engines take 50,000; a smaller file is rendered well within a crawler's patience): each file
reads its own rows of the live entries, from whichever end of the list is nearer, and the
index counts them from one row (`public.frozen.live_count`), so neither costs more on a site
of 100,000 articles than on one of 100 (docs/scale.md).
"""

import datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import x_robots_tag
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import http_date

from public.frozen import live_page
from public.lists import LivePaginator
from reviewers.models import ReviewerProfile


class SiteUrlSitemap(Sitemap):
    """A sitemap whose addresses use settings.SITE_URL, not the request's host."""

    protocol = urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


def _slug_and_date(fields, rows):
    return [(slug, published_at) for slug, published_at, _ in rows]


class ArticleSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.8
    limit = 2000

    @cached_property
    def paginator(self):
        return LivePaginator(("slug",), self.limit, items=_slug_and_date)

    def items(self):
        # Only the index's page count and the files read the live list, through the paginator.
        return []

    @cached_property
    def _address(self):
        # One reverse for every item: the address with a marker in place of the slug.
        return reverse("articles:detail", kwargs={"slug": "slug-marker"}).split("slug-marker")

    def location(self, item):
        before, after = self._address
        return f"{before}{item[0]}{after}"

    def lastmod(self, item):
        return item[1]

    def get_latest_lastmod(self):
        newest = live_page((), size=1)
        return newest[0][0] if newest else None

    def get_urls(self, page=1, site=None, protocol=None):
        """Sitemap.get_urls without its per-item lookups: 2,000 addresses are a loop."""
        prefix = f"{self.get_protocol(protocol)}://{self.get_domain(site)}"
        urls = [
            {"item": item, "location": prefix + self.location(item), "lastmod": item[1],
             "changefreq": self.changefreq, "priority": str(self.priority), "alternates": []}
            for item in self.paginator.page(page).object_list
        ]
        self.latest_lastmod = max((url["lastmod"] for url in urls), default=None)
        return urls


def urlset_xml(urls):
    """The <urlset> document of `urls` (Sitemap.get_urls' dicts), as Django's sitemap.xml
    template writes it, built by joining strings: thousands of addresses in milliseconds."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    ]
    for url in urls:
        parts.append(f"<url><loc>{escape(url['location'])}</loc>")
        lastmod = url.get("lastmod")
        if lastmod:
            if isinstance(lastmod, datetime.datetime) and timezone.is_aware(lastmod):
                lastmod = timezone.localtime(lastmod)  # as the template's |date does
            parts.append(f"<lastmod>{lastmod:%Y-%m-%d}</lastmod>")
        if url.get("changefreq"):
            parts.append(f"<changefreq>{escape(url['changefreq'])}</changefreq>")
        if url.get("priority"):
            parts.append(f"<priority>{escape(str(url['priority']))}</priority>")
        parts.append("</url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


@x_robots_tag
def sitemap_file(request, sitemaps, section):
    """One file of the sitemap index: `?p=N` is its page. What Django's sitemap view answers
    (404 for an unknown section or page, `Last-Modified`, `X-Robots-Tag`), with the XML
    written by `urlset_xml` instead of a template loop."""
    if section not in sitemaps:
        raise Http404(f"No sitemap available for section: {section!r}")
    site = sitemaps[section]()
    page = request.GET.get("p", 1)
    try:
        urls = site.get_urls(page=page, site=None, protocol=None)
    except EmptyPage:
        raise Http404(f"Page {page} empty")
    except PageNotAnInteger:
        raise Http404(f"No page {page!r}")
    response = HttpResponse(urlset_xml(urls), content_type="application/xml")
    lastmod = getattr(site, "latest_lastmod", None)
    if lastmod is not None and urls and all(url.get("lastmod") for url in urls):
        if not isinstance(lastmod, datetime.datetime):
            lastmod = datetime.datetime.combine(lastmod, datetime.time.min)
        if timezone.is_naive(lastmod):
            lastmod = timezone.make_aware(lastmod, datetime.UTC)
        response.headers["Last-Modified"] = http_date(lastmod.timestamp())
    return response


class PageSitemap(SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return ["articles:home", "articles:how_we_rate", "reviewers:list"]

    def location(self, item):
        return reverse(item)


class ReviewerSitemap(SiteUrlSitemap):
    """The published reviewer profiles (reviewers app)."""

    changefreq = "monthly"
    priority = 0.4

    def items(self):
        return ReviewerProfile.objects.published().only("public_slug", "published_at").order_by(
            "public_slug"
        )

    def location(self, item):
        return reverse("reviewers:detail", kwargs={"slug": item.public_slug})

    def lastmod(self, item):
        return item.published_at


SITEMAPS = {"pages": PageSitemap, "articles": ArticleSitemap, "reviewers": ReviewerSitemap}
