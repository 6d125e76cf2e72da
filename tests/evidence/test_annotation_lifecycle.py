import pytest
from django.utils import timezone

from articles.approval import annotation_fingerprint_data, approval_fingerprint
from articles.models import Revision
from evidence.anchoring import carry_forward_annotations
from evidence.annotations import (
    AnnotationNotAllowed,
    delete_annotation,
    reopen_annotation,
    resolve_annotation,
    update_annotation,
)
from evidence.models import Annotation
from tests.conftest import make_blocks, make_user
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db

REWRITTEN = "Entirely rewritten: ketamine is studied in adults."


def test_unpublished_annotation_can_be_deleted(editor):
    _, annotation = annotated_article(editor)
    delete_annotation(annotation, actor=editor)
    assert not Annotation.objects.exists()


def test_delete_is_refused_once_published(editor):
    _, annotation = annotated_article(editor)
    Annotation.objects.filter(pk=annotation.pk).update(first_published_at=timezone.now())
    with pytest.raises(AnnotationNotAllowed, match="resolve it instead"):
        delete_annotation(annotation, actor=editor)
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_reviewer_cannot_delete_someone_elses_annotation(editor, reviewer):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationNotAllowed):
        delete_annotation(annotation, actor=reviewer)


def test_author_resolves_and_reopens(editor):
    _, annotation = annotated_article(editor)
    resolved = resolve_annotation(annotation, actor=editor, expected_version=1)
    assert (resolved.status, resolved.version) == ("resolved", 2)
    reopened = reopen_annotation(annotation, actor=editor, expected_version=2)
    assert reopened.status == "open"


def test_other_editor_cannot_resolve(editor):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationNotAllowed, match="reviewer or the annotation's author"):
        resolve_annotation(annotation, actor=make_user("Editors"), expected_version=1)


def test_changing_an_annotation_withdraws_an_approval(editor, reviewer):
    article, annotation = annotated_article(editor)
    article.state = "approved"
    article.approval_fingerprint = approval_fingerprint(article)
    article.save(update_fields=["state", "approval_fingerprint"])
    update_annotation(annotation, actor=reviewer, expected_version=1, verdict="mixed")
    article.refresh_from_db()
    assert article.state == "in_review"


def test_orphaned_annotation_is_reattached_by_placing_it_on_the_draft(editor):
    article, annotation = annotated_article(editor)
    old = article.draft
    new = Revision.objects.create(
        article=article, number=2, title=old.title, parent=old,
        blocks=make_blocks(REWRITTEN),
    )
    article.draft = new
    article.save(update_fields=["draft"])
    carry_forward_annotations(old_revision=old, new_revision=new)
    annotation.refresh_from_db()
    assert annotation.status == "orphaned"
    with pytest.raises(AnnotationNotAllowed, match="orphaned"):
        update_annotation(annotation, actor=editor, expected_version=annotation.version,
                          note="x")
    placed = update_annotation(
        annotation, actor=editor, expected_version=annotation.version,
        block_id="p1", start=REWRITTEN.index("ketamine"), end=REWRITTEN.index(" is"),
    )
    assert (placed.status, placed.revision_id, placed.exact) == ("open", new.pk, "ketamine")


def test_fingerprint_data_changes_when_a_rating_changes(editor, reviewer):
    _, annotation = annotated_article(editor)
    before = annotation_fingerprint_data(annotation)
    updated = update_annotation(annotation, actor=reviewer, expected_version=1, verdict="mixed")
    after = annotation_fingerprint_data(updated)
    assert before != after
    assert after["verdict"] == "mixed"
    assert annotation_fingerprint_data(Annotation.objects.all()) == [after]
