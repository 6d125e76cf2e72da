"""The Atom feed of published articles (live publications only)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles.models import Publication

FEED_SIZE = 30


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = f"{settings.SITE_NAME}: vetted articles"
    subtitle = "Health articles with every claim's evidence rated."

    def link(self):
        return reverse("articles:home")

    def items(self):
        return (
            Publication.objects.live()
            .only("title", "summary", "evidence_summary", "published_at", "first_published_at",
                  "slug")
            .newest_first()[:FEED_SIZE]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        summary = (item.evidence_summary or {}).get("text", "")
        return f"{item.summary}\n\n{summary}".strip()

    def item_link(self, item):
        return reverse("articles:detail", kwargs={"slug": item.slug})

    def item_guid(self, item):
        return settings.SITE_URL + self.item_link(item)

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.published_at
