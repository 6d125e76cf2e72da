"""The search page's result count: exact up to 1,000, then "More than 1,000 results"."""

import re

import pytest
from django.test import override_settings

from articles.models import Article, Publication, Revision
from articles.search import store_search_vectors
from tests.conftest import make_article, make_blocks, publish_now

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_search_limit")]


@pytest.fixture
def no_search_limit():
    with override_settings(KETASITE_THROTTLE_SEARCH=""):
        yield


def publish_copies(count, *, word):
    """`count` live articles whose text has `word`: one through the publish path, the others
    bulk copies of it (article, revision and publication rows, `live` set by a bulk update),
    with their vectors stored by the function the publish path calls."""
    template = publish_now(
        make_article(title=f"{word} study", blocks=make_blocks(f"A {word} study."))
    )
    articles = Article.objects.bulk_create([
        Article(slug=f"copy-{n}", state=Article.State.PUBLISHED) for n in range(count - 1)
    ])
    revisions = Revision.objects.bulk_create([
        Revision(article=article, number=1, title=f"{word} study {n}")
        for n, article in enumerate(articles)
    ])
    publications = Publication.objects.bulk_create([
        Publication(
            article=article, revision=revision, number=1, title=revision.title,
            slug=article.slug, search_text=template.search_text, published_at=template.published_at,
            first_published_at=template.published_at,
        )
        for article, revision in zip(articles, revisions, strict=True)
    ])
    for article, revision, publication in zip(articles, revisions, publications, strict=True):
        article.draft, article.live = revision, publication
    Article.objects.bulk_update(articles, ["draft", "live"])
    store_search_vectors(Publication.objects.filter(article__in=articles))


def result_count(client, query, page=1):
    html = client.get(f"/search/?q={query}&page={page}").content.decode()
    return html, re.search(r'class="result-count"[^>]*>([^<]*)<', html).group(1)


def test_a_thousand_matches_are_counted_exactly(client):
    publish_copies(1000, word="okapi")
    _, count = result_count(client, "okapi")
    assert count.startswith("1000 results for")


def test_more_than_a_thousand_matches_are_shown_as_a_capped_count(client):
    publish_copies(1001, word="okapi")
    html, count = result_count(client, "okapi")
    assert count.startswith("More than 1,000 results for “okapi”.")
    assert "1001" not in count and "1,001" not in count
    # Only the best 1,000 are paged: 84 pages of 12, the last one holding 4.
    assert "Page 1 of 84" in html
    last, _ = result_count(client, "okapi", page=84)
    assert last.count('<li class="card">') == 4
    assert 'rel="next"' not in last


def test_a_few_matches_are_counted_exactly(client):
    publish_copies(3, word="okapi")
    _, count = result_count(client, "okapi")
    assert count.startswith("3 results for")
