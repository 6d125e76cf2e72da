"""The Atom feed of published articles (live publications only), and an entry for every
republication that changed a claim's rating."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from articles.models import NOT_LIVE_STATES, Publication
from public.frozen import live_page
from public.lists import publications_from_rows

FEED_SIZE = 30
ITEM_FIELDS = ("title", "summary", "evidence_summary", "published_at", "first_published_at",
               "slug", "number")


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = f"{settings.SITE_NAME}: vetted articles"
    subtitle = "Health articles with every claim's evidence rated."

    def link(self):
        return reverse("articles:home")

    def items(self):
        """The live publications, and each publication of a live article that changed a
        rating (a rating change stays news after a later republication), newest first.
        Two queries: the live list by its index (`live_page`), the changes by their partial
        index."""
        live = publications_from_rows(ITEM_FIELDS, live_page(ITEM_FIELDS, size=FEED_SIZE))
        changes = list(
            Publication.objects.filter(rating_changed=True, article__live__isnull=False)
            .exclude(article__state__in=NOT_LIVE_STATES)
            .only(*ITEM_FIELDS, "changelog")
            .newest_first()[:FEED_SIZE]
        )
        for publication in changes:
            publication.is_rating_change = True
        merged = sorted(live + changes, key=lambda p: (p.published_at, p.pk), reverse=True)
        return merged[:FEED_SIZE]

    def item_title(self, item):
        if getattr(item, "is_rating_change", False):
            return f"Ratings changed: {item.title}"
        return item.title

    def item_description(self, item):
        if getattr(item, "is_rating_change", False):
            entry = item.changelog[-1]
            lines = [entry["note"]] + [line["text"] for line in entry.get("claims", ())]
            return "\n".join(lines)
        summary = (item.evidence_summary or {}).get("text", "")
        return f"{item.summary}\n\n{summary}".strip()

    def item_link(self, item):
        url = reverse("articles:detail", kwargs={"slug": item.slug})
        if getattr(item, "is_rating_change", False):
            return f"{url}#changelog-{item.number}"
        return url

    def item_guid(self, item):
        return settings.SITE_URL + self.item_link(item)

    def item_pubdate(self, item):
        if getattr(item, "is_rating_change", False):
            return item.published_at
        return item.first_published_at

    def item_updateddate(self, item):
        return item.published_at
