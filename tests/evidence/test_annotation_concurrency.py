"""Simultaneous annotation updates on PostgreSQL: the same version lets exactly one win."""


import pytest

from evidence.annotations import StaleAnnotation, update_annotation
from evidence.models import Annotation, RatingChange
from tests.conftest import make_user, run_at_once
from tests.evidence.helpers import annotated_article

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres,  # row locks
    pytest.mark.django_db(transaction=True),
]


def test_parallel_updates_from_the_same_version_give_exactly_one_success():
    _, annotation = annotated_article(make_user("Editors"))
    reviewers = [make_user("Reviewers") for _ in range(3)]
    verdicts = ["supported", "mixed", "unsupported"]
    def update_as(index):
        return lambda: update_annotation(
            Annotation.objects.get(pk=annotation.pk), actor=reviewers[index],
            expected_version=1, verdict=verdicts[index],
        )

    results = run_at_once(*[update_as(i) for i in range(len(reviewers))])

    winners = [r for r in results if isinstance(r, Annotation)]
    assert len(winners) == 1
    assert all(isinstance(r, StaleAnnotation) for r in results if r is not winners[0])
    saved = Annotation.objects.get(pk=annotation.pk)
    assert (saved.version, saved.verdict) == (2, winners[0].verdict)
    assert RatingChange.objects.filter(field="verdict").count() == 1
