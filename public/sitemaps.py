"""sitemap.xml: the home page, every live article and every published reviewer profile."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Publication
from reviewers.models import ReviewerProfile


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
