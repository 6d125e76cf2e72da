import pytest

from evidence.annotations import update_annotation
from evidence.models import RatingChange
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db


def _history(annotation):
    return [
        (c.field, c.old_value, c.new_value, c.actor.username)
        for c in RatingChange.objects.filter(annotation=annotation)
    ]


def test_initial_ratings_and_note_are_recorded_at_creation(reviewer):
    _, annotation = annotated_article(reviewer, certainty="low", verdict="mixed", note="Small n.")
    assert sorted(_history(annotation)) == [
        ("certainty", "", "low", "reviewer"),
        ("note", "", "Small n.", "reviewer"),
        ("verdict", "", "mixed", "reviewer"),
    ]


def test_each_change_records_who_and_old_and_new_value(editor, reviewer):
    _, annotation = annotated_article(editor)
    update_annotation(annotation, actor=reviewer, expected_version=1, certainty="moderate")
    update_annotation(annotation, actor=reviewer, expected_version=2, certainty="low",
                      verdict="unsupported")
    assert _history(annotation) == [
        ("certainty", "", "moderate", "reviewer"),
        ("certainty", "moderate", "low", "reviewer"),
        ("verdict", "", "unsupported", "reviewer"),
    ]


def test_moving_the_anchor_is_not_a_rating_change(editor):
    _, annotation = annotated_article(editor)
    update_annotation(annotation, actor=editor, expected_version=1, start=0, end=8)
    assert _history(annotation) == []
