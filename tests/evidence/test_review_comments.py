import pytest

from evidence.annotations import AnnotationError, AnnotationNotAllowed, add_comment, resolve_comment
from evidence.models import ReviewComment
from tests.conftest import make_user
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db


def test_editors_and_reviewers_comment_in_a_thread(editor, reviewer):
    _, annotation = annotated_article(editor)
    add_comment(annotation, actor=reviewer, body="Which trial is this?")
    add_comment(annotation, actor=editor, body="The 2023 pilot.")
    thread = [(c.author.username, c.body) for c in annotation.comments.all()]
    assert thread == [("reviewer", "Which trial is this?"), ("editor", "The 2023 pilot.")]


def test_empty_comment_is_refused(editor):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationError) as caught:
        add_comment(annotation, actor=editor, body="   ")
    assert "body" in caught.value.errors
    assert not ReviewComment.objects.exists()


def test_publisher_cannot_comment(editor, publisher):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationNotAllowed):
        add_comment(annotation, actor=publisher, body="Hi")


def test_reviewer_resolves_a_comment(editor, reviewer):
    _, annotation = annotated_article(editor)
    comment = add_comment(annotation, actor=editor, body="Check the dose.")
    resolved = resolve_comment(comment, actor=reviewer)
    assert resolved.resolved_by == reviewer
    assert resolved.resolved_at is not None


def test_unrelated_editor_cannot_resolve_a_comment(editor, reviewer):
    _, annotation = annotated_article(editor)
    comment = add_comment(annotation, actor=reviewer, body="Check the dose.")
    with pytest.raises(AnnotationNotAllowed):
        resolve_comment(comment, actor=make_user("Editors"))
    comment.refresh_from_db()
    assert comment.resolved_at is None


def test_annotations_author_cannot_resolve_a_reviewers_comment(editor, reviewer):
    """The rule is the comment's author or a reviewer, not whoever marked the passage."""
    _, annotation = annotated_article(editor)
    comment = add_comment(annotation, actor=reviewer, body="Which trial is this?")
    with pytest.raises(AnnotationNotAllowed):
        resolve_comment(comment, actor=editor)
    comment.refresh_from_db()
    assert comment.resolved_at is None


def test_reply_is_never_resolved_on_its_own(editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which trial is this?")
    reply = add_comment(annotation, actor=editor, body="The pilot.", reply_to=first)
    with pytest.raises(AnnotationNotAllowed) as caught:
        resolve_comment(reply, actor=reviewer)
    assert caught.value.http_status == 409
    resolve_comment(first, actor=reviewer)
    assert list(ReviewComment.objects.unresolved()) == []
    assert ReviewComment.objects.get(pk=reply.pk).resolved_at is None
