"""Simultaneous annotation updates on PostgreSQL: the same version lets exactly one win."""

import threading

import pytest
from django.db import connection

from evidence.annotations import StaleAnnotation, update_annotation
from evidence.models import Annotation, RatingChange
from tests.conftest import make_user
from tests.evidence.helpers import annotated_article

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_parallel_updates_from_the_same_version_give_exactly_one_success():
    _, annotation = annotated_article(make_user("Editors"))
    reviewers = [make_user("Reviewers") for _ in range(3)]
    verdicts = ["supported", "mixed", "unsupported"]
    barrier = threading.Barrier(len(reviewers))
    results = [None] * len(reviewers)

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = update_annotation(
                Annotation.objects.get(pk=annotation.pk), actor=reviewers[index],
                expected_version=1, verdict=verdicts[index],
            )
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(reviewers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [r for r in results if isinstance(r, Annotation)]
    assert len(winners) == 1
    assert all(isinstance(r, StaleAnnotation) for r in results if r is not winners[0])
    saved = Annotation.objects.get(pk=annotation.pk)
    assert (saved.version, saved.verdict) == (2, winners[0].verdict)
    assert RatingChange.objects.filter(field="verdict").count() == 1
