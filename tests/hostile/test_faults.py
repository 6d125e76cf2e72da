"""A failure in the middle of an import, a publish, an edit or an annotation leaves no
half-written rows: every table is as it was and the article's state is unchanged."""

from unittest import mock

import pytest

from articles import workflow
from articles.importing import import_bytes
from articles.models import Article, ImportRecord
from evidence.annotations import create_annotation
from evidence.models import Citation, Source
from tests.conftest import fixture_document
from tests.hostile.helpers import build_article, content_blocks, make_team
from tests.hostile.snapshots import snapshot

State = Article.State


class Boom(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Boom("injected fault")


@pytest.fixture
def team(db):
    return make_team()


def without_failed_records(data):
    """The importer keeps the bytes of a failed file in a failed ImportRecord, by design."""
    counts = dict(data["counts"])
    counts["articles.ImportRecord"] = ImportRecord.objects.exclude(
        result=ImportRecord.Result.FAILED).count()
    return {**data, "counts": counts}


def test_a_fault_while_citing_the_references_of_an_import_writes_no_row(team):
    path = fixture_document("images-references.txt")  # a reference list of 8 sources
    data = path.read_bytes()
    before = without_failed_records(snapshot())
    real_create = Source.objects.create
    created = []

    def create_then_count(**kwargs):
        created.append(real_create(**kwargs))
        return created[-1]

    with mock.patch.object(Source.objects, "create", side_effect=create_then_count), \
            mock.patch.object(Citation.objects, "bulk_create", side_effect=explode):
        outcome = import_bytes(data, filename=path.name, actor=team.editor)
    assert created, "the fault was injected after sources were written"
    assert outcome.failed
    assert "Boom" in outcome.error and "\n" not in outcome.error
    assert without_failed_records(snapshot()) == before
    failed = ImportRecord.objects.get()
    assert failed.result == ImportRecord.Result.FAILED and failed.article_id is None


def test_a_fault_after_the_article_row_of_an_import_writes_no_row(team):
    before = without_failed_records(snapshot())
    with mock.patch("articles.importing.importer.Revision.objects.create", side_effect=explode):
        outcome = import_bytes(b"A title\n\nKetamine body text.", filename="fault.txt",
                               actor=team.editor)
    assert outcome.failed
    assert without_failed_records(snapshot()) == before


def test_a_fault_at_the_end_of_a_publish_leaves_the_article_approved(
    team, django_capture_on_commit_callbacks
):
    article = build_article(team, "flt", state=State.APPROVED).article
    before = snapshot()
    with mock.patch("articles.workflow._record", side_effect=explode), \
            django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        workflow.publish(article, actor=team.publisher)
    assert callbacks == []  # no cache purge, no mail
    assert snapshot() == before
    article.refresh_from_db()
    assert article.state == State.APPROVED and article.live_id is None


def test_a_fault_while_freezing_the_publication_leaves_the_article_approved(team):
    article = build_article(team, "flz", state=State.APPROVED).article
    before = snapshot()
    from articles import publishing

    real_freeze = publishing.freeze_publication
    frozen = []

    def freeze_then_fail(*args, **kwargs):
        frozen.append(real_freeze(*args, **kwargs))
        raise Boom("after the publication row was written")

    with mock.patch.object(publishing, "freeze_publication", side_effect=freeze_then_fail), \
            pytest.raises(Boom):
        workflow.publish(article, actor=team.publisher)
    assert frozen and frozen[0].pk is not None
    assert snapshot() == before
    article.refresh_from_db()
    assert article.state == State.APPROVED


def test_a_fault_while_carrying_annotations_forward_saves_no_revision(team):
    article = build_article(team, "flr", state=State.DRAFT).article
    before = snapshot()
    with mock.patch("evidence.anchoring.carry_forward_annotations", side_effect=explode), \
            pytest.raises(Boom):
        workflow.save_revision(article, actor=team.editor, base_number=article.draft.number,
                               blocks=content_blocks("Ketamine changed text here."))
    assert snapshot() == before


def test_a_fault_after_an_annotation_row_writes_nothing(team):
    article = build_article(team, "fla", state=State.DRAFT).article
    before = snapshot()
    with mock.patch("evidence.annotations._record_changes", side_effect=explode), \
            pytest.raises(Boom):
        create_annotation(article=article, actor=team.reviewer, block_id="p1", start=0, end=8,
                          certainty="low", verdict="mixed", note="x")
    assert snapshot() == before
