"""Storing imports: rows written, idempotence, new revisions, sources and citations."""

import pytest

from articles.importing import import_bytes
from articles.models import Article, ImportRecord, Revision
from evidence.models import Citation, Source
from tests.conftest import make_user, publish_now
from tests.importing.helpers import row_counts, seed_bytes, seed_name

pytestmark = pytest.mark.django_db


def import_seed(prefix, **kwargs):
    return import_bytes(seed_bytes(prefix), filename=seed_name(prefix), **kwargs)


def test_import_creates_article_revision_and_record():
    editor = make_user("Editors")
    outcome = import_seed("002", actor=editor, tags=["adhd", "infusion"])
    assert outcome.result == "created"
    article = Article.objects.get()
    revision = article.draft
    assert revision.number == 1
    assert revision.title == "Low-Dose Ketamine for ADHD Management: What to Expect"
    assert revision.author == editor
    assert revision.import_record == outcome.record
    assert revision.message.startswith("Imported from 002_")
    assert revision.summary
    assert article.slug == "low-dose-ketamine-for-adhd-management-what-to-expect"
    assert article.original_filename == seed_name("002")
    assert article.origin_key == seed_name("002")
    assert article.original_published_on.isoformat() == "2024-06-19"
    assert article.is_promotional is True
    assert article.created_by == editor
    assert sorted(article.tags.names()) == ["adhd", "infusion"]


def test_import_record_keeps_raw_bytes_encoding_format_and_dropped_text():
    outcome = import_seed("000")
    record = ImportRecord.objects.get(pk=outcome.record.pk)
    assert bytes(record.raw) == seed_bytes("000")
    assert record.encoding == "utf-8"
    assert record.format == "text"
    assert record.result == "created"
    reasons = [item["reason"] for item in record.report["dropped"]]
    assert any("comment" in reason for reason in reasons)
    assert "Leave a Comment" in [item["text"] for item in record.report["dropped"]]


def test_source_url_sets_site_name_and_origin_key():
    outcome = import_seed("001", source_url="https://www.example-clinic.com/adhd/ketamine")
    article = outcome.article
    assert article.site_name == "example-clinic.com"
    assert article.origin_key == "https://www.example-clinic.com/adhd/ketamine"


def test_same_bytes_again_are_unchanged_and_write_nothing():
    import_seed("001")
    before = row_counts()
    outcome = import_seed("001")
    assert outcome.result == "unchanged"
    assert row_counts() == before


def test_changed_bytes_from_same_file_add_a_draft_revision():
    first = import_seed("001")
    changed = seed_bytes("001") + b"\n\nA new closing paragraph was added by the source site.\n"
    outcome = import_bytes(changed, filename=seed_name("001"))
    assert outcome.result == "new_revision"
    article = Article.objects.get()
    assert article.pk == first.article.pk
    assert article.draft.number == 2
    assert article.draft.parent_id == first.revision.pk
    assert article.draft.import_record == outcome.record
    assert Revision.objects.count() == 2


def test_new_revision_leaves_the_live_publication_untouched():
    first = import_seed("001")
    publication = publish_now(first.article)
    changed = seed_bytes("001").replace(b"limited and in its early stages",
                                        b"limited and still early")
    outcome = import_bytes(changed, filename=seed_name("001"))
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
    outcome = import_seed("003")
    assert outcome.sources == 22
    assert Source.objects.count() == 22
    assert Source.objects.exclude(pmid="").count() == 12
    assert Source.objects.filter(doi="10.1007/s00787-024-02458-y").exists()
    numbers = list(Citation.objects.filter(revision=outcome.revision)
                   .values_list("number", "source__pmid"))
    assert numbers[0] == (1, "37340091")
    assert [n for n, _ in numbers] == list(range(1, 23))


def test_sources_are_shared_by_articles_citing_the_same_work():
    import_seed("003")
    other = (b"Another article\n\nKetamine was studied in a small trial (1).\n\nReferences:\n"
             b"- https://pubmed.ncbi.nlm.nih.gov/37340091/\n")
    outcome = import_bytes(other, filename="other.txt")
    assert outcome.sources == 1
    assert Source.objects.count() == 22


def test_dry_run_reports_without_writing():
    before = row_counts()
    outcome = import_seed("003", dry_run=True)
    assert outcome.result == "created"
    assert outcome.sources == 22
    assert outcome.title
    assert row_counts() == before
    assert ImportRecord.objects.count() == 0


def test_dry_run_reports_a_new_revision_for_changed_bytes():
    import_seed("001")
    before = row_counts()
    outcome = import_bytes(seed_bytes("001") + b"\nMore text at the very end of it.\n",
                           filename=seed_name("001"), dry_run=True)
    assert outcome.result == "new_revision"
    assert row_counts() == before


def test_a_race_on_the_same_origin_gives_one_article(monkeypatch):
    from articles.importing import importer

    import_seed("001")
    real_find = importer._find_existing
    calls = []

    def find_nothing_first(origin_key, sha256):
        calls.append(origin_key)
        return (None, "") if len(calls) == 1 else real_find(origin_key, sha256)

    monkeypatch.setattr(importer, "_find_existing", find_nothing_first)
    changed = seed_bytes("001") + b"\nA line the other import did not have at all.\n"
    outcome = import_bytes(changed, filename=seed_name("001"))
    assert outcome.result == "new_revision"
    assert Article.objects.count() == 1
    assert Article.objects.get().draft.number == 2


def test_editor_can_change_the_proposed_summary_later():
    from articles.workflow import save_revision

    editor = make_user("Editors")
    outcome = import_seed("001", actor=editor)
    revision = save_revision(outcome.article, actor=editor, base_number=1,
                             summary="An editor's own summary.")
    assert revision.summary == "An editor's own summary."
