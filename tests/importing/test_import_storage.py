"""Storing imports: rows written, idempotence, new revisions, sources and citations.

On the documents in tests/importing/fixtures/ (shaped like the real seeds); one test checks the
real seed 003's reference list when the seeds are there.
"""

import pytest

from articles.importing import import_bytes
from articles.models import Article, ImportRecord, Revision
from evidence.models import Citation, Source
from tests.conftest import make_user, publish_now
from tests.importing.helpers import fixture_bytes, row_counts, seed_bytes, seed_name

pytestmark = pytest.mark.django_db


TOC = "toc-boilerplate-faq.txt"
LINKS = "related-links.txt"
PROMO = "promotional.txt"
REFS = "images-references.txt"


def import_fixture(name, **kwargs):
    return import_bytes(fixture_bytes(name), filename=name, **kwargs)


def test_import_creates_article_revision_and_record():
    editor = make_user("Editors")
    outcome = import_fixture(PROMO, actor=editor, tags=["back-pain", "physiotherapy"])
    assert outcome.result == "created"
    article = Article.objects.get()
    revision = article.draft
    assert revision.number == 1
    assert revision.title == "Gentle Physiotherapy for Lower Back Pain: What to Expect"
    assert revision.author == editor
    assert revision.import_record == outcome.record
    assert revision.message.startswith("Imported from promotional.txt")
    assert revision.summary
    assert article.slug == "gentle-physiotherapy-for-lower-back-pain-what-to-expect"
    assert article.original_filename == PROMO
    assert article.origin_key == PROMO
    assert article.original_published_on.isoformat() == "2024-03-04"
    assert article.is_promotional is True
    assert article.created_by == editor
    assert sorted(article.tags.names()) == ["back-pain", "physiotherapy"]


def test_import_record_keeps_raw_bytes_encoding_format_and_dropped_text():
    outcome = import_fixture(TOC)
    record = ImportRecord.objects.get(pk=outcome.record.pk)
    assert bytes(record.raw) == fixture_bytes(TOC)
    assert record.encoding == "utf-8"
    assert record.format == "text"
    assert record.result == "created"
    reasons = [item["reason"] for item in record.report["dropped"]]
    assert any("comment" in reason for reason in reasons)
    assert "Leave a Comment" in [item["text"] for item in record.report["dropped"]]


def test_source_url_sets_site_name_and_origin_key():
    outcome = import_fixture(LINKS, source_url="https://www.example-clinic.com/adhd/ketamine")
    article = outcome.article
    assert article.site_name == "example-clinic.com"
    assert article.origin_key == "https://www.example-clinic.com/adhd/ketamine"


def test_same_bytes_again_are_unchanged_and_write_nothing():
    import_fixture(LINKS)
    before = row_counts()
    outcome = import_fixture(LINKS)
    assert outcome.result == "unchanged"
    assert row_counts() == before


def test_changed_bytes_from_same_file_add_a_draft_revision():
    first = import_fixture(LINKS)
    changed = fixture_bytes(LINKS) + b"\n\nA new closing paragraph was added by the source site.\n"
    outcome = import_bytes(changed, filename=LINKS)
    assert outcome.result == "new_revision"
    article = Article.objects.get()
    assert article.pk == first.article.pk
    assert article.draft.number == 2
    assert article.draft.parent_id == first.revision.pk
    assert article.draft.import_record == outcome.record
    assert Revision.objects.count() == 2


def test_new_revision_leaves_the_live_publication_untouched():
    first = import_fixture(LINKS)
    publication = publish_now(first.article)
    changed = fixture_bytes(LINKS).replace(b"encouraging rather than conclusive",
                                           b"encouraging but not conclusive")
    assert changed != fixture_bytes(LINKS)
    outcome = import_bytes(changed, filename=LINKS)
    assert outcome.result == "new_revision"
    article = Article.objects.get()
    assert article.live_id == publication.pk
    assert article.live.revision_id == first.revision.pk
    assert article.draft.number == 2


def test_slug_is_unique_with_a_numbered_suffix():
    import_bytes(b"Ketamine basics\n\nA first text about ketamine and its uses in clinics.",
                 filename="a.txt")
    outcome = import_bytes(
        b"Ketamine basics\n\nA different text about ketamine and how it is dosed.",
        filename="b.txt",
    )
    assert outcome.article.slug == "ketamine-basics-2"


def test_slug_is_ascii_and_at_most_120_characters():
    title = "Kétamine " + "très " * 30
    outcome = import_bytes(f"# {title}\n\nSome body text here.".encode(), filename="long.md")
    assert outcome.article.slug.isascii()
    assert len(outcome.article.slug) <= 120


def test_references_become_deduplicated_sources_cited_in_order():
    outcome = import_fixture(REFS)
    assert outcome.sources == 8
    assert Source.objects.count() == 8
    assert Source.objects.exclude(pmid="").count() == 4
    assert Source.objects.filter(doi="10.1007/s00000-021-00001-a").exists()
    numbers = list(Citation.objects.filter(revision=outcome.revision)
                   .values_list("number", "source__pmid"))
    assert numbers[0] == (1, "10000001")
    assert [n for n, _ in numbers] == list(range(1, 9))


@pytest.mark.seeds
def test_the_real_seed_references_become_sources_cited_in_order():
    outcome = import_bytes(seed_bytes("003"), filename=seed_name("003"))
    assert outcome.sources == 22
    assert Source.objects.count() == 22
    assert Source.objects.exclude(pmid="").count() == 12
    assert Source.objects.filter(doi="10.1007/s00787-024-02458-y").exists()
    numbers = list(Citation.objects.filter(revision=outcome.revision)
                   .values_list("number", "source__pmid"))
    assert numbers[0] == (1, "37340091")
    assert [n for n, _ in numbers] == list(range(1, 23))


def test_sources_are_shared_by_articles_citing_the_same_work():
    import_fixture(REFS)
    other = (b"Another article\n\nHay fever was studied in a small trial (1).\n\nReferences:\n"
             b"- https://pubmed.ncbi.nlm.nih.gov/10000001/\n")
    outcome = import_bytes(other, filename="other.txt")
    assert outcome.sources == 1
    assert Source.objects.count() == 8


def test_dry_run_reports_without_writing():
    before = row_counts()
    outcome = import_fixture(REFS, dry_run=True)
    assert outcome.result == "created"
    assert outcome.sources == 8
    assert outcome.title
    assert row_counts() == before
    assert ImportRecord.objects.count() == 0


def test_dry_run_reports_a_new_revision_for_changed_bytes():
    import_fixture(LINKS)
    before = row_counts()
    outcome = import_bytes(fixture_bytes(LINKS) + b"\nMore text at the very end of it.\n",
                           filename=LINKS, dry_run=True)
    assert outcome.result == "new_revision"
    assert row_counts() == before


def test_a_race_on_the_same_origin_gives_one_article(monkeypatch):
    from articles.importing import importer

    import_fixture(LINKS)
    real_find = importer._find_existing
    calls = []

    def find_nothing_first(origin_key, sha256):
        calls.append(origin_key)
        return (None, "") if len(calls) == 1 else real_find(origin_key, sha256)

    monkeypatch.setattr(importer, "_find_existing", find_nothing_first)
    changed = fixture_bytes(LINKS) + b"\nA line the other import did not have at all.\n"
    outcome = import_bytes(changed, filename=LINKS)
    assert outcome.result == "new_revision"
    assert Article.objects.count() == 1
    assert Article.objects.get().draft.number == 2


def test_editor_can_change_the_proposed_summary_later():
    from articles.workflow import save_revision

    editor = make_user("Editors")
    outcome = import_fixture(LINKS, actor=editor)
    revision = save_revision(outcome.article, actor=editor, base_number=1,
                             summary="An editor's own summary.")
    assert revision.summary == "An editor's own summary."
