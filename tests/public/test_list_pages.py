"""Home, tag, search, feed, sitemap, robots and the other public pages."""

import pytest

from articles.models import Article
from tests.conftest import make_article
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db


def unpublish(article):
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)


def test_home_lists_published_articles_with_evidence_summary_and_tags(client):
    published_article(annotations=2, title="Published one", tags=("depression",))
    make_article(title="Only a draft")
    html = client.get("/").content.decode()
    assert "Published one" in html and "Only a draft" not in html
    assert "2 claims rated: 1 supported, 1 mixed" in html
    assert 'href="/tags/depression/"' in html


def test_home_leaves_out_unpublished_articles(client):
    article = published_article(title="Taken down")
    unpublish(article)
    assert "Taken down" not in client.get("/").content.decode()


def test_home_is_paginated(client):
    for i in range(13):
        published_article(title=f"Article {i}")
    first = client.get("/").content.decode()
    second = client.get("/?page=2").content.decode()
    assert "Page 1 of 2" in first and first.count('class="card"') == 12
    assert second.count('class="card"') == 1
    assert client.get("/?page=nonsense").status_code == 200


@pytest.mark.parametrize("count", [1, 12])
def test_home_costs_a_constant_number_of_queries(client, django_assert_num_queries, count):
    for i in range(count):
        published_article(title=f"Article {i}", annotations=3)
    with django_assert_num_queries(2):
        response = client.get("/")
    assert response.content.decode().count('class="card"') == count


@pytest.mark.parametrize("count", [1, 8])
def test_tag_page_lists_its_articles_in_constant_queries(
    client, django_assert_num_queries, count
):
    for i in range(count):
        published_article(title=f"Tagged {i}", tags=("adhd",))
    published_article(title="Other topic", tags=("pain",))
    with django_assert_num_queries(2):
        html = client.get("/tags/adhd/").content.decode()
    assert html.count('class="card"') == count and "Other topic" not in html


def test_unknown_tag_is_a_friendly_404(client):
    response = client.get("/tags/nothing-here/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_search_finds_published_text_with_an_escaped_highlighted_snippet(client):
    published_article(title="Ketamine and <b>ADHD</b>", summary="About <script>x</script>")
    html = client.get("/search/?q=ketamine").content.decode()
    assert "1 result for" in html
    assert "<mark>" in html.lower()
    assert "<script>x</script>" not in html and "<b>ADHD</b>" not in html


def test_search_never_finds_drafts_or_unpublished_articles(client):
    make_article(title="Zebrafish draft")
    gone = published_article(title="Zebrafish gone")
    unpublish(gone)
    html = client.get("/search/?q=zebrafish").content.decode()
    assert "0 results" in html


def test_an_overlong_search_gets_a_readable_error(client):
    response = client.get("/search/?q=" + "a" * 300)
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


@pytest.mark.parametrize("count", [1, 8])
def test_search_costs_a_constant_number_of_queries(client, django_assert_num_queries, count):
    for i in range(count):
        published_article(title=f"Found {i}")
    with django_assert_num_queries(2):
        html = client.get("/search/?q=ketamine").content.decode()
    assert html.count('class="card"') == count


def test_the_atom_feed_lists_published_articles_only(client):
    published_article(title="In the feed")
    make_article(title="Not in the feed")
    response = client.get("/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "In the feed" in body and "Not in the feed" not in body


def test_the_sitemap_lists_live_articles_only(client):
    live = published_article()
    draft = make_article()
    gone = published_article()
    unpublish(gone)
    index = client.get("/sitemap.xml").content.decode()
    assert "<sitemapindex" in index and "/sitemap-articles.xml</loc>" in index
    body = client.get("/sitemap-articles.xml").content.decode()
    assert f"/articles/{live.slug}/" in body
    assert f"/articles/{draft.slug}/" not in body and f"/articles/{gone.slug}/" not in body


def test_robots_txt_points_at_the_sitemap(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: " in body and body.rstrip().endswith("/sitemap.xml")
    assert "Disallow: /admin/" in body


def test_robots_txt_keeps_crawlers_off_previews_and_share_links(client):
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /preview/" in body
    assert "Disallow: /shared/" in body


def test_how_we_rate_explains_every_level(client):
    html = client.get("/how-we-rate-evidence/").content.decode()
    for label in ["Supported", "Mixed", "Unsupported", "Misleading", "Contradicted",
                  "High certainty", "Moderate certainty", "Low certainty", "Very low certainty"]:
        assert label.split()[0] in html


def test_the_500_page_renders_without_context():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html


@pytest.mark.parametrize("path", ["/", "/tags/pain-relief/", "/search/?q=ketamine"])
def test_every_card_links_to_its_article_and_to_each_tag_page(client, path):
    # A tag named with capitals and a space is linked by its slug, and each link opens.
    article = published_article(title="Ketamine for pain", tags=("Pain Relief", "adhd"),
                                slug="ketamine-for-pain")
    html = client.get(path).content.decode()

    assert 'href="/articles/ketamine-for-pain/"' in html
    assert 'href="/tags/pain-relief/"' in html
    assert 'href="/tags/adhd/"' in html
    for link in ("/articles/ketamine-for-pain/", "/tags/pain-relief/", "/tags/adhd/"):
        page = client.get(link)
        assert page.status_code == 200, link
        assert article.title in page.content.decode()

