"""freeze_publication: what a publish freezes for the public."""

import datetime as dt

import pytest
from django.utils import timezone

from articles.publishing import freeze_publication
from evidence.models import Citation, Source
from tests.conftest import make_annotation, make_article, make_blocks, make_user, publish_now

pytestmark = pytest.mark.django_db


def freeze(article, **kwargs):
    return freeze_publication(article, actor=None, published_at=timezone.now(), **kwargs)


def test_annotations_carry_global_positions_in_the_plain_text():
    article = make_article(blocks=make_blocks("First para.", "Second para here."))
    make_annotation(article, block_id="p2", start=7, end=11, verdict="mixed", certainty="low")
    publication = freeze(article)
    [frozen] = publication.annotations
    # "Overview\n\nFirst para.\n\nSecond para here.": p2 starts at 23.
    assert frozen["position"] == {"start": 30, "end": 34}
    assert frozen["exact"] == "para"
    assert publication.public_json["annotations"][0]["position"]["start"] == 30


def test_orphaned_annotations_are_not_published():
    article = make_article()
    make_annotation(article, block_id="p1", start=0, end=8, status="orphaned")
    make_annotation(article, block_id="p1", start=9, end=12, status="resolved")
    publication = freeze(article)
    assert [a["exact"] for a in publication.annotations] == ["may"]


def test_sources_are_the_citations_then_uncited_annotation_sources():
    article = make_article()
    cited = Source.objects.create(title="Cited trial", pmid="111")
    uncited = Source.objects.create(title="Only in a note", doi="10.1/x")
    Citation.objects.create(revision=article.draft, source=cited, number=1)
    make_annotation(article, block_id="p1", start=0, end=8, sources=[uncited, cited])
    publication = freeze(article)
    assert [(s["number"], s["title"]) for s in publication.sources] == [
        (1, "Cited trial"), (2, "Only in a note")]
    assert publication.annotations[0]["sources"] == sorted([cited.pk, uncited.pk])


def test_public_json_is_the_api_detail_document():
    reviewer = make_user("Reviewers", first_name="Ada", last_name="Lovelace")
    article = make_article(title="Title", summary="Sum", tags=["adhd"])
    article.approved_by = reviewer
    article.approved_at = timezone.now()
    article.save()
    document = freeze(article).public_json
    assert set(document) == {
        "slug", "title", "summary", "tags", "published_at", "last_reviewed_at",
        "evidence_summary", "url", "revision", "blocks", "body_html", "annotations",
        "sources", "reviewed_by", "rated_independently"}
    assert document["reviewed_by"] == ["Ada Lovelace"]
    assert document["tags"] == ["adhd"]
    assert document["url"].endswith(f"/articles/{article.slug}/")
    assert document["url"].startswith("http")
    assert document["blocks"][0] == {"id": "h1", "type": "heading", "text": "Overview", "level": 2}


def test_a_second_publication_continues_number_and_changelog():
    article = make_article()
    first = publish_now(article)
    second = freeze(article, change_note="Fixed a typo.")
    assert second.number == first.number + 1
    assert [entry["note"] for entry in second.changelog] == ["First published.", "Fixed a typo."]
    assert second.first_published_at == first.first_published_at


def test_save_false_returns_an_unsaved_publication():
    article = make_article()
    publication = freeze(article, save=False)
    assert publication.pk is None
    assert article.publications.count() == 0


def test_search_text_holds_title_summary_and_body():
    article = make_article(title="Ketamine and ADHD", summary="What we know.")
    text = freeze(article).search_text
    assert "Ketamine and ADHD" in text and "What we know." in text
    assert "may help some adults" in text


def test_changelog_dates_are_the_publish_date():
    article = make_article()
    when = timezone.make_aware(dt.datetime(2026, 3, 1, 12, 0))
    publication = freeze_publication(article, actor=None, published_at=when)
    assert publication.changelog[-1]["date"] == "2026-03-01"
