import pytest

from evidence.annotations import AnnotationNotAllowed, update_annotation
from evidence.models import Annotation
from tests.conftest import make_user
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db


def test_editor_moves_the_anchor(editor):
    _, annotation = annotated_article(editor)
    updated = update_annotation(annotation, actor=editor, expected_version=1, start=0, end=8)
    assert (updated.exact, updated.version) == ("Ketamine", 2)


def test_editor_cannot_set_certainty(editor):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationNotAllowed, match="Only reviewers"):
        update_annotation(annotation, actor=editor, expected_version=1, certainty="high")
    annotation.refresh_from_db()
    assert (annotation.certainty, annotation.version) == ("", 1)


def test_reviewer_sets_certainty_and_verdict(editor, reviewer):
    _, annotation = annotated_article(editor)
    updated = update_annotation(
        annotation, actor=reviewer, expected_version=1, certainty="very_low", verdict="unsupported"
    )
    assert (updated.certainty, updated.verdict) == ("very_low", "unsupported")


def test_author_edits_their_own_note(editor):
    _, annotation = annotated_article(editor, note="First thought.")
    updated = update_annotation(annotation, actor=editor, expected_version=1, note="Second.")
    assert updated.note_html == "<p>Second.</p>"


def test_another_editor_cannot_edit_the_note(editor):
    _, annotation = annotated_article(editor, note="Mine.")
    other = make_user("Editors")
    with pytest.raises(AnnotationNotAllowed, match="author or a reviewer"):
        update_annotation(annotation, actor=other, expected_version=1, note="Theirs.")
    assert Annotation.objects.get().note == "Mine."


def test_reviewer_edits_anyones_note(editor, reviewer):
    _, annotation = annotated_article(editor, note="Mine.")
    updated = update_annotation(annotation, actor=reviewer, expected_version=1, note="Checked.")
    assert updated.note == "Checked."


def test_publisher_cannot_change_annotations(editor, publisher):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationNotAllowed):
        update_annotation(annotation, actor=publisher, expected_version=1, start=0, end=8)


def test_sending_unchanged_ratings_is_not_a_change(editor, reviewer):
    _, annotation = annotated_article(reviewer, certainty="low")
    updated = update_annotation(
        annotation, actor=editor, expected_version=1, certainty="low", note=""
    )
    assert updated.version == 1


def test_unknown_field_is_refused(editor):
    from evidence.annotations import AnnotationError

    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationError) as caught:
        update_annotation(annotation, actor=editor, expected_version=1, author=None)
    assert "author" in caught.value.errors


def test_annotations_on_an_archived_article_cannot_change(editor, reviewer):
    article, annotation = annotated_article(editor)
    article.state = "archived"
    article.save(update_fields=["state"])
    with pytest.raises(AnnotationNotAllowed, match="archived"):
        update_annotation(annotation, actor=reviewer, expected_version=1, verdict="mixed")
