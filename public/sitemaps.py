"""sitemap.xml: the home page and every live article."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Publication


class SiteUrlSitemap(Sitemap):
    """A sitemap whose addresses use settings.SITE_URL, not the request's host."""

    protocol = urlsplit(settings.SITE_URL).scheme or "https"

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ArticleSitemap(SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Publication.objects.live().only("published_at", "slug").order_by("slug")

    def location(self, item):
        return reverse("articles:detail", kwargs={"slug": item.slug})

    def lastmod(self, item):
        return item.published_at


class PageSitemap(SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return ["articles:home", "articles:how_we_rate"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {"pages": PageSitemap, "articles": ArticleSitemap}
