import pytest

from evidence.annotations import AnnotationError, AnnotationNotAllowed, create_annotation
from evidence.models import Annotation
from tests.conftest import make_article, make_blocks, make_user
from tests.evidence.helpers import CLAIM_TEXT, QUOTE, annotated_article

pytestmark = pytest.mark.django_db


def test_server_computes_quote_prefix_and_suffix_from_the_draft(editor):
    _, annotation = annotated_article(editor)
    start = CLAIM_TEXT.index(QUOTE)
    assert annotation.exact == QUOTE
    assert annotation.prefix == CLAIM_TEXT[max(0, start - 32) : start]
    assert annotation.suffix == CLAIM_TEXT[start + len(QUOTE) : start + len(QUOTE) + 32]
    assert annotation.author == editor
    assert annotation.version == 1


def _create(article, actor, **fields):
    return create_annotation(article=article, actor=actor, **{"block_id": "p1", **fields})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": 5, "end": 5}, "end"),
        ({"start": 9, "end": 3}, "end"),
        ({"start": 0, "end": 10_000}, "end"),
        ({"start": -1, "end": 4}, "start"),
        ({"start": "x", "end": 4}, "start"),
        ({"block_id": "nope", "start": 0, "end": 4}, "block"),
        ({"start": 0, "end": 8, "exact": "Not this"}, "exact"),
    ],
)
def test_bad_range_is_refused_with_a_field_error_and_nothing_saved(editor, fields, field):
    article = make_article(blocks=make_blocks(CLAIM_TEXT))
    with pytest.raises(AnnotationError) as caught:
        _create(article, editor, **fields)
    assert field in caught.value.errors
    assert caught.value.errors[field][0]
    assert not Annotation.objects.exists()


def test_matching_exact_is_accepted(editor):
    article = make_article(blocks=make_blocks(CLAIM_TEXT))
    annotation = _create(article, editor, start=0, end=8, exact="Ketamine")
    assert annotation.exact == "Ketamine"


def test_user_outside_the_editorial_groups_cannot_annotate(db):
    article = make_article(blocks=make_blocks(CLAIM_TEXT))
    with pytest.raises(AnnotationNotAllowed):
        _create(article, make_user(), start=0, end=8)
    assert not Annotation.objects.exists()


def test_editor_cannot_set_certainty_or_verdict_when_creating(editor):
    article = make_article(blocks=make_blocks(CLAIM_TEXT))
    with pytest.raises(AnnotationNotAllowed, match="reviewers"):
        _create(article, editor, start=0, end=8, verdict="supported")
    assert not Annotation.objects.exists()


def test_reviewer_can_create_a_rated_annotation(reviewer):
    _, annotation = annotated_article(reviewer, certainty="low", verdict="mixed")
    assert (annotation.certainty, annotation.verdict) == ("low", "mixed")


def test_unknown_rating_value_is_refused(reviewer):
    article = make_article(blocks=make_blocks(CLAIM_TEXT))
    with pytest.raises(AnnotationError) as caught:
        _create(article, reviewer, start=0, end=8, certainty="sure")
    assert "certainty" in caught.value.errors


def test_archived_article_cannot_be_annotated(editor):
    article = make_article(blocks=make_blocks(CLAIM_TEXT), state="archived")
    with pytest.raises(AnnotationNotAllowed, match="archived"):
        _create(article, editor, start=0, end=8)
