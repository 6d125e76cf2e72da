"""Home, tag page and feed at any size: a constant number of queries whether the site has
1 or 50 live articles, deep pages read from the nearer end in the right order, and no draft
or taken-down article on any of them (issue 15, docs/scale.md)."""

import datetime

import pytest

from articles.models import Article, Publication, Revision
from tests.conftest import make_article, make_blocks, publish_now

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def live_copies(count, *, tags=("adhd",)):
    """`count` live articles "Copy 0" (oldest) .. "Copy count-1" (newest), a minute apart:
    one through the publish path, the others bulk copies of its rows (`live` set by a bulk
    update, which the search entries' triggers follow on PostgreSQL)."""
    template = publish_now(make_article(title="Copy 0", tags=tags, blocks=make_blocks("Text.")))
    Publication.objects.filter(pk=template.pk).update(published_at=START)
    articles = Article.objects.bulk_create([
        Article(slug=f"copy-{n}", state=Article.State.PUBLISHED) for n in range(1, count)
    ])
    revisions = Revision.objects.bulk_create([
        Revision(article=article, number=1, title=f"Copy {n}")
        for n, article in enumerate(articles, start=1)
    ])
    publications = Publication.objects.bulk_create([
        Publication(
            article=article, revision=revision, number=1, title=revision.title,
            slug=article.slug, tags=template.tags, tag_slugs=template.tag_slugs,
            evidence_summary=template.evidence_summary,
            published_at=START + datetime.timedelta(minutes=n),
            first_published_at=START + datetime.timedelta(minutes=n),
        )
        for n, (article, revision) in enumerate(zip(articles, revisions, strict=True), start=1)
    ])
    for article, revision, publication in zip(articles, revisions, publications, strict=True):
        article.draft, article.live = revision, publication
    Article.objects.bulk_update(articles, ["draft", "live"])


def titles(html):
    return [line.split(">")[-1] for line in html.split("</a></h2>")[:-1]]


@pytest.mark.parametrize("count", [1, 50])
def test_home_costs_the_same_queries_at_1_and_50_articles(
    client, django_assert_num_queries, count
):
    live_copies(count)
    with django_assert_num_queries(2):
        html = client.get("/").content.decode()
    assert titles(html)[0] == f"Copy {count - 1}"
    assert html.count('class="card"') == min(count, 12)


def test_home_pages_run_newest_to_oldest_to_the_last_page(client, django_assert_num_queries):
    live_copies(50)
    # 50 articles, 12 a page: pages 1-4 hold 12, page 5 the two oldest.
    seen = []
    for number in range(1, 6):
        with django_assert_num_queries(2):
            html = client.get(f"/?page={number}").content.decode()
        assert f"Page {number} of 5" in html
        seen += titles(html)
    assert seen == [f"Copy {n}" for n in range(49, -1, -1)]
    # Past the end: the last page, as before.
    assert titles(client.get("/?page=99").content.decode()) == ["Copy 1", "Copy 0"]


@pytest.mark.parametrize("count", [1, 50])
def test_tag_page_costs_the_same_queries_at_1_and_50_articles(
    client, django_assert_num_queries, count
):
    live_copies(count)
    with django_assert_num_queries(2):
        html = client.get("/tags/adhd/").content.decode()
    assert html.count('class="card"') == min(count, 12)


def test_tag_pages_run_newest_to_oldest_to_the_last_page(client, django_assert_num_queries):
    live_copies(50, tags=("adhd", "sleep"))
    # 50 articles, 12 a page: pages 1-4 hold 12, page 5 the two oldest; the pages from 3 on
    # are read from the oldest end on PostgreSQL, at the same cost.
    seen = []
    for number in range(1, 6):
        with django_assert_num_queries(2):
            html = client.get(f"/tags/sleep/?page={number}").content.decode()
        assert f"Page {number} of 5" in html
        seen += titles(html)
    assert seen == [f"Copy {n}" for n in range(49, -1, -1)]
    assert titles(client.get("/tags/sleep/?page=99").content.decode()) == ["Copy 1", "Copy 0"]


@pytest.mark.parametrize("count", [1, 50])
def test_feed_costs_the_same_queries_at_1_and_50_articles(
    client, django_assert_num_queries, count
):
    live_copies(count)
    with django_assert_num_queries(2):
        xml = client.get("/feed/").content.decode()
    assert xml.count("<entry>") == min(count, 30)
    assert "<title>Copy 0</title>" in xml or count > 30


def test_drafts_and_taken_down_articles_are_on_no_list(client):
    live_copies(30)
    make_article(title="Only a draft", tags=("adhd",))
    Article.objects.filter(slug__in=["copy-29", "copy-1"]).update(
        state=Article.State.UNPUBLISHED
    )
    Article.objects.filter(slug="copy-15").update(state=Article.State.ARCHIVED)
    pages = [client.get(path).content.decode() for path in (
        "/", "/?page=2", "/?page=3", "/tags/adhd/", "/tags/adhd/?page=2",
        "/tags/adhd/?page=3", "/feed/",
    )]
    for html in pages:
        for gone in ("Only a draft", "Copy 29<", "Copy 1<", "Copy 15<"):
            assert gone not in html
    # 27 live: 3 pages on the home page, the last with the 3 oldest of them.
    assert "Page 1 of 3" in pages[0]
    assert titles(pages[2]) == ["Copy 3", "Copy 2", "Copy 0"]
    assert pages[-1].count("<entry>") == 27
