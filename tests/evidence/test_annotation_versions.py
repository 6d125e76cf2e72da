import pytest

from evidence.annotations import (
    AnnotationError,
    StaleAnnotation,
    resolve_annotation,
    update_annotation,
)
from evidence.models import Annotation, RatingChange
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db


def test_stale_version_is_refused_and_changes_nothing(editor, reviewer):
    _, annotation = annotated_article(editor)
    update_annotation(annotation, actor=reviewer, expected_version=1, verdict="mixed")
    with pytest.raises(StaleAnnotation) as caught:
        update_annotation(annotation, actor=reviewer, expected_version=1, verdict="supported",
                          note="Late.")
    assert caught.value.current.version == 2
    annotation.refresh_from_db()
    assert (annotation.verdict, annotation.note, annotation.version) == ("mixed", "", 2)
    assert RatingChange.objects.filter(new_value="supported").count() == 0


def test_missing_version_is_refused(editor):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationError) as caught:
        update_annotation(annotation, actor=editor, expected_version=None, start=0, end=8)
    assert "version" in caught.value.errors


def test_two_updates_from_the_same_version_give_exactly_one_success(editor, reviewer):
    _, annotation = annotated_article(editor)
    outcomes = []
    for verdict in ("mixed", "supported"):
        try:
            update_annotation(annotation, actor=reviewer, expected_version=1, verdict=verdict)
            outcomes.append("ok")
        except StaleAnnotation:
            outcomes.append("stale")
    assert outcomes == ["ok", "stale"]
    assert Annotation.objects.get().verdict == "mixed"


def test_stale_resolve_is_refused(editor, reviewer):
    _, annotation = annotated_article(editor)
    update_annotation(annotation, actor=reviewer, expected_version=1, verdict="mixed")
    with pytest.raises(StaleAnnotation):
        resolve_annotation(annotation, actor=reviewer, expected_version=1)
    assert Annotation.objects.get().status == "open"
