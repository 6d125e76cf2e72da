"""Matching against the registry in the database: candidates come from PostgreSQL's indexes
(full-text search over the concept key, pg_trgm) or, on SQLite, from rapidfuzz over a bounded
set; either way the claim that says the same thing in other words comes first."""

import pytest
from django.db import connection

from claims import services
from claims.matching import similar_claims


@pytest.fixture
def registry(editor):
    """The claim to find, its hard near-misses, and 150 other claims."""
    wanted = services.create_claim(
        statement="Adverse effects of IV ketamine include a rise in blood pressure.",
        actor=editor)
    for text in ("Adverse effects of IV esketamine include a rise in blood pressure.",
                 "Adverse effects of IV ketamine include a fall in blood pressure.",
                 "Adverse effects of IV ketamine include a rise in heart rate."):
        services.create_claim(statement=text, actor=editor)
    conditions = ["depression", "PTSD", "anxiety", "ADHD", "chronic pain", "OCD"]
    for number in range(150):
        services.create_claim(
            statement=f"Ketamine helps {conditions[number % 6]} within {number + 2} days.",
            actor=editor)
    return wanted


def test_the_same_claim_in_other_words_comes_first_and_is_suggested(registry):
    matches = similar_claims(
        "Intravenous ketamine can raise blood pressure as a side effect.")
    assert matches[0].key == registry.pk
    assert matches[0].comparison.suggested
    assert [m for m in matches if m.comparison.suggested] == [matches[0]]


def test_merged_claims_are_not_offered(registry, reviewer, editor):
    twin = services.create_claim(
        statement="Side effects of intravenous ketamine include higher blood pressure.",
        actor=editor)
    services.merge_claims(twin, into=registry, actor=reviewer)
    keys = [m.key for m in similar_claims("IV ketamine raises blood pressure, a side effect.")]
    assert twin.pk not in keys and registry.pk in keys


@pytest.mark.postgres
def test_postgres_has_the_trigram_extension_and_both_gin_indexes(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == ("pg_trgm",)
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'claims_claim'")
        indexes = dict(cursor.fetchall())
    assert "gin (statement gin_trgm_ops)" in indexes["claims_claim_statement_trgm"]
    assert "gin (match_vector)" in indexes["claims_claim_match_vector_gin"]


@pytest.mark.postgres
def test_the_candidate_query_can_read_the_concept_index(registry):
    """With sequential scans priced out, the plan must use the GIN index: a query shape the
    index cannot serve would still scan the table (150 rows are too few for the planner to
    choose the index on its own; 10,000 are measured by `make bench`)."""
    from django.db import transaction

    from claims.matching import _any_of
    from claims.models import Claim

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Claim.objects.filter(
            match_vector=_any_of([("outcomebloodpressure", "outcomeadverseeffects")])
        ).explain()
    assert "claims_claim_match_vector_gin" in plan


@pytest.mark.postgres
def test_a_claim_stores_its_search_vector(registry):
    from claims.models import Claim

    stored = Claim.objects.filter(pk=registry.pk).values_list("match_vector", flat=True).get()
    assert "outcomebloodpressure" in stored and "routeintravenous" in stored
