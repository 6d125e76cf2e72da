"""The public app's prepared reads (`public.frozen.live_rows`, its own SQL) find exactly the
publications `Publication.objects.live()` finds, in the same order; and the list item the API
documents is the one frozen at publish."""

import json

import pytest

from articles.frozen import publication_item
from articles.models import Article, Publication
from public.api import PublicArticleSerializer
from public.frozen import PAGE_FIELDS, live_rows
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db


def test_the_prepared_reads_see_what_live_sees_in_every_state():
    # Every state an article can be in with its `live` pointer still set (a take-down by a
    # bare update, say), plus one whose pointer names an older publication.
    articles = {
        state: published_article(title=f"In state {state}", slug=f"state-{state}")
        for state in Article.State.values
    }
    for state, article in articles.items():
        Article.objects.filter(pk=article.pk).update(state=state)
    live_slugs = set(Publication.objects.live().values_list("slug", flat=True))
    assert live_slugs and live_slugs != {a.slug for a in articles.values()}
    for state, article in articles.items():
        expected = article.slug in live_slugs
        assert bool(live_rows(PAGE_FIELDS, slug=article.slug)) is expected, state
        detail = live_rows(("api_detail_json", "api_detail_etag", "published_at"),
                           slug=article.slug)
        assert bool(detail) is expected

    listed = live_rows(("slug",), page=(0, 100))
    newest_first = list(Publication.objects.live().newest_first().values_list("slug", flat=True))
    assert [slug for slug, _ in listed] == newest_first
    assert {total for _, total in listed} == {len(newest_first)}


def test_a_page_of_the_list_is_the_slice_of_the_newest_first_order():
    for index in range(5):
        published_article(title=f"Article {index}", slug=f"article-{index}")
    newest_first = list(Publication.objects.live().newest_first().values_list("slug", flat=True))
    assert [slug for slug, _ in live_rows(("slug",), page=(2, 2))] == newest_first[2:4]
    assert live_rows(("slug",), page=(10, 2)) == []


def test_the_values_come_as_the_model_gives_them():
    article = published_article()
    publication = Publication.objects.get(pk=article.live_id)
    (row,) = live_rows(PAGE_FIELDS, slug=article.slug)
    values = dict(zip(PAGE_FIELDS, row, strict=True))
    assert values["page_head_html"] == bytes(publication.page_head_html)
    assert values["page_checksums"] == publication.page_checksums
    assert values["published_at"] == publication.published_at


def test_the_schema_documents_the_frozen_list_item():
    article = published_article()
    publication = Publication.objects.get(pk=article.live_id)
    stored = json.loads(bytes(publication.api_item_json))
    assert stored == publication_item(publication.public_json)
    assert list(stored) == list(PublicArticleSerializer().fields)
