"""A tag page lists exactly the live articles under the tag, newest first, and counts them,
after every change of what is live: publish, re-publish with other tags, take-down, archive,
restore (issue 15, docs/scale.md). On PostgreSQL the page and its count come from `LiveTag`
and `LiveTagCount`, kept by triggers: they must equal a count of the live publications."""

import math
from collections import Counter

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from articles import workflow
from articles.models import LiveTag, LiveTagCount, Publication
from public.lists import tag_page
from tests.conftest import make_article, make_blocks, publish_now
from tests.reliability.test_backup_restore import (
    build_site,
    flush_site,
    write_export,
    write_export_without_frozen_addresses,
)

pytestmark = pytest.mark.django_db

PER_PAGE = 12  # public.views.PAGE_SIZE, as a reader counts the cards


def publish_tagged(title, tags):
    article = make_article(title=title, tags=tags, blocks=make_blocks(f"{title}."))
    publish_now(article)
    return article


def retag_and_publish(article, tags):
    article.tags.set(tags)
    publish_now(article)


def cards(html):
    return [line.split(">")[-1] for line in html.split("</a></h2>")[:-1]]


def read_tag_pages(client, slug):
    """Walk /tags/<slug>/ page by page as a reader does; return the titles and, per page,
    the "Page n of m" line (None on a single page). 404 gives None."""
    # The test helpers publish without the workflow's purge: start from an empty page cache.
    cache.clear()
    response = client.get(f"/tags/{slug}/")
    if response.status_code == 404:
        return None
    titles, lines, number = [], [], 1
    while True:
        assert response.status_code == 200, (slug, number)
        html = response.content.decode()
        titles += cards(html)
        lines.append(next((line.strip() for line in html.splitlines() if "<span>Page " in line),
                          None))
        if 'rel="next"' not in html:
            return titles, lines
        number += 1
        response = client.get(f"/tags/{slug}/?page={number}")


def assert_tag_pages(client, expected):
    """Each tag's pages list exactly `expected[tag]` (titles, newest first), with the right
    "Page n of m", and (PostgreSQL) the kept rows and counts equal the live publications."""
    for slug, titles in expected.items():
        seen = read_tag_pages(client, slug)
        if not titles:
            assert seen is None, (slug, seen)
            continue
        assert seen is not None, slug
        assert seen[0] == titles, slug
        pages = math.ceil(len(titles) / PER_PAGE)
        if pages > 1:
            assert seen[1] == [f"<span>Page {n} of {pages}</span>" for n in range(1, pages + 1)]
        else:
            assert seen[1] == [None]
        assert tag_page(slug, ("title",), PER_PAGE, 1).paginator.count == len(titles)
    if connection.vendor == "postgresql":
        live = Counter(
            slug for slugs in Publication.objects.live().values_list("tag_slugs", flat=True)
            for slug in slugs
        )
        counts = {tag: n for tag, n in LiveTagCount.objects.values_list("tag_slug", "live")
                  if n}
        assert counts == dict(live)
        assert Counter(LiveTag.objects.values_list("tag_slug", flat=True)) == live
        rows = set(LiveTag.objects.values_list("tag_slug", "publication_id", "published_at"))
        assert rows == {
            (slug, pk, published_at)
            for pk, slugs, published_at in Publication.objects.live().values_list(
                "pk", "tag_slugs", "published_at")
            for slug in slugs
        }


def titles_of(articles):
    """Titles newest first of articles published in the order given."""
    return [article.draft.title for article in reversed(articles)]


def test_the_tag_pages_follow_every_change_of_what_is_live(client, publisher):
    adhd = [publish_tagged(f"Adhd {n}", ["adhd"]) for n in range(12)]
    both = publish_tagged("Adhd and sleep", ["adhd", "Sleep"])
    adhd.append(both)
    assert_tag_pages(client, {"adhd": titles_of(adhd), "sleep": ["Adhd and sleep"],
                              "pain": []})

    # Re-tagged and published again: off one tag's pages, on the other's, newest.
    moved = adhd.pop(3)
    retag_and_publish(moved, ["pain", "sleep"])
    assert_tag_pages(client, {"adhd": titles_of(adhd), "sleep": ["Adhd 3", "Adhd and sleep"],
                              "pain": ["Adhd 3"]})

    # Published again with the same tags: first on the page, counted once.
    again = adhd.pop(0)
    publish_now(again)
    adhd.append(again)
    assert_tag_pages(client, {"adhd": titles_of(adhd)})

    # Taken down, archived: gone from every tag's pages and counts.
    workflow.unpublish(both, actor=publisher, comment="Taken down.")
    adhd.remove(both)
    workflow.archive(moved, actor=publisher, comment="Old.")
    assert_tag_pages(client, {"adhd": titles_of(adhd), "sleep": [], "pain": []})

    # Restored from the archive as a draft: not live until published again.
    workflow.restore(moved, actor=publisher, comment="Back.")
    assert_tag_pages(client, {"pain": []})
    publish_now(moved)
    assert_tag_pages(client, {"adhd": titles_of(adhd), "sleep": ["Adhd 3"], "pain": ["Adhd 3"]})


def test_a_tag_page_deep_in_the_list_shows_its_own_articles(client):
    # 30 articles: page 1 is read from the newest end, pages 2 and 3 from the oldest
    # (PostgreSQL).
    articles = [publish_tagged(f"Deep {n}", ["adhd"]) for n in range(30)]
    newest_first = titles_of(articles)
    cache.clear()
    for number in (1, 2, 3):
        html = client.get(f"/tags/adhd/?page={number}").content.decode()
        assert cards(html) == newest_first[(number - 1) * PER_PAGE:number * PER_PAGE]
        assert f"Page {number} of 3" in html


def test_a_restored_site_has_its_tag_pages(client, tmp_path):
    article = build_site()
    path = write_export(tmp_path)
    flush_site()
    call_command("import_site", str(path))
    assert_tag_pages(client, {"adhd": [article.draft.title], "ketamine": [article.draft.title]})


def test_an_older_export_gets_its_tag_pages_from_the_filled_tag_addresses(client, tmp_path):
    # An export from before publications froze their tag addresses: the restore writes
    # `tag_slugs` after inserting each publication (`fill_missing_addresses`).
    article = build_site()
    path = write_export_without_frozen_addresses(tmp_path)
    flush_site()
    call_command("import_site", str(path))
    assert_tag_pages(client, {"adhd": [article.draft.title], "ketamine": [article.draft.title]})


def test_tag_addresses_written_on_a_live_publication_move_it_between_tag_pages(client):
    # As `fill_missing_addresses` does: the frozen tag addresses written in place.
    moved = publish_tagged("Moved", ["adhd"])
    Publication.objects.filter(pk=moved.live_id).update(tag_slugs=["sleep"])
    assert_tag_pages(client, {"adhd": [], "sleep": ["Moved"]})


def test_a_deleted_live_publication_leaves_the_tag_pages(client):
    kept = publish_tagged("Kept", ["adhd"])
    gone = publish_tagged("Gone", ["adhd"])
    # As `articles.corpus.verify_sample` does (and rolls back): the live row is deleted.
    Publication.objects.filter(pk=gone.live_id).delete()
    assert_tag_pages(client, {"adhd": [kept.draft.title]})


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the counts are kept on PostgreSQL")
def test_a_lost_count_is_counted_again_at_the_next_change(client):
    first = publish_tagged("First", ["adhd"])
    LiveTagCount.objects.all().delete()  # as a flush that deletes every table would
    second = publish_tagged("Second", ["adhd"])
    assert LiveTagCount.objects.get(tag_slug="adhd").live == 2
    assert_tag_pages(client, {"adhd": [second.draft.title, first.draft.title]})
