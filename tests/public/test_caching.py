"""Anonymous public pages are cached whole, validated, and purged on publish."""

import time

import pytest
from django.db import transaction

from articles.models import Article
from pagecache import generation as caching
from pagecache.generation import forget_generation, purge_public_pages
from pagecache.models import PublicGeneration
from tests.conftest import publish_now
from tests.public.helpers import published_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_timing(monkeypatch):
    """The generation's copy lasts a second, as required (the suite lengthens it), and is
    read from the database."""
    monkeypatch.setattr(caching, "GENERATION_MAX_AGE", 1.0)
    forget_generation()


def test_a_second_anonymous_request_is_served_from_cache_without_queries(
    client, django_assert_num_queries
):
    article = published_article(annotations=5)
    first = client.get(f"/articles/{article.slug}/")
    assert first["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(f"/articles/{article.slug}/")
    assert second["X-Cache"] == "hit"
    assert second.content == first.content


def test_anonymous_responses_vary_on_cookie_and_carry_validators(client):
    article = published_article()
    response = client.get(f"/articles/{article.slug}/")
    assert "Cookie" in response["Vary"]
    assert response["ETag"].startswith('"')
    assert response.has_header("Last-Modified")
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/", "/articles/{slug}/"])
def test_a_conditional_request_gets_304(client, path):
    article = published_article()
    url = path.format(slug=article.slug)
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


def test_if_modified_since_gets_304(client):
    article = published_article()
    url = f"/articles/{article.slug}/"
    last_modified = client.get(url)["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304


def test_a_logged_in_user_is_never_served_from_or_into_the_cache(client, login_as):
    article = published_article()
    url = f"/articles/{article.slug}/"
    client.get(url)  # fills the anonymous cache
    login_as("Editors")
    response = client.get(url)
    assert "X-Cache" not in response
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_publishing_an_update_and_purging_shows_the_new_version(client):
    article = published_article(title="Old title")
    url = f"/articles/{article.slug}/"
    assert "Old title" in client.get(url).content.decode()
    revision = article.draft
    revision.pk = None
    revision.number = 2
    revision.title = "New title"
    revision.save()
    article.draft = revision
    article.save(update_fields=["draft"])
    publish_now(article)
    # Until the purge the cached page stays: that is what the cache is for.
    assert "Old title" in client.get(url).content.decode()
    purge_public_pages()
    html = client.get(url).content.decode()
    assert "New title" in html and "Old title" not in html


def test_unpublishing_and_purging_makes_the_page_gone_and_lists_forget_it(client):
    article = published_article(title="Going away")
    url = f"/articles/{article.slug}/"
    client.get(url)
    client.get("/")
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)
    purge_public_pages()
    assert client.get(url).status_code == 410
    assert "Going away" not in client.get("/").content.decode()


def test_the_purge_is_rolled_back_with_the_change(client, real_timing):
    """The new generation is written in the transaction of the change: a change that rolls
    back purges nothing, so no page is refilled for a state that never existed."""
    article = published_article(title="Before")
    url = f"/articles/{article.slug}/"
    client.get(url)
    before = PublicGeneration.objects.get().token
    with pytest.raises(RuntimeError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)
        purge_public_pages()
        assert PublicGeneration.objects.get().token != before
        raise RuntimeError("the change fails after the purge")
    assert PublicGeneration.objects.get().token == before
    forget_generation()  # read the database, as a second later
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Cache"] == "hit"


def test_a_purge_written_by_another_process_is_seen_within_a_second(
    client, django_assert_num_queries, real_timing
):
    article = published_article(title="Going away elsewhere")
    url = f"/articles/{article.slug}/"
    client.get(url)
    # Another process (cron, another worker) takes the article down and purges.
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)
    PublicGeneration.objects.filter(pk=1).update(token="set-by-another-process")
    # Within the second, this process serves what it has without asking the database...
    with django_assert_num_queries(0):
        assert client.get(url)["X-Cache"] == "hit"
    # ...and a second later it reads the generation and no longer serves the page.
    time.sleep(1.0)
    assert client.get(url).status_code == 410


def test_a_hit_reads_the_generation_at_most_once_a_second(
    client, django_assert_num_queries, real_timing
):
    article = published_article()
    url = f"/articles/{article.slug}/"
    client.get(url)
    time.sleep(1.0)
    with django_assert_num_queries(1):
        assert client.get(url)["X-Cache"] == "hit"
    with django_assert_num_queries(0):
        for _ in range(20):
            assert client.get(url)["X-Cache"] == "hit"


def test_the_generation_row_is_made_again_when_missing(client):
    """A flushed table (a restore, a test database) must not break the cache."""
    article = published_article()
    PublicGeneration.objects.all().delete()
    forget_generation()
    url = f"/articles/{article.slug}/"
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"
    purge_public_pages()
    assert client.get(url)["X-Cache"] == "miss"


def test_a_410_is_not_cached(client):
    article = published_article()
    Article.objects.filter(pk=article.pk).update(state=Article.State.UNPUBLISHED)
    purge_public_pages()
    client.get(f"/articles/{article.slug}/")
    assert "X-Cache" not in client.get(f"/articles/{article.slug}/")


def test_without_the_page_cache_pages_still_answer_304(client, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    article = published_article()
    url = f"/articles/{article.slug}/"
    first = client.get(url)
    assert "X-Cache" not in first
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
