from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

TRIGRAM_INDEX = "claims_claim_statement_trgm"
VECTOR_INDEX = "claims_claim_match_vector_gin"


def create_indexes(apps, schema_editor):
    """On PostgreSQL: a trigram index on the statement and a GIN index on the concept vector,
    which `claims.matching.similar_claims` reads to find candidates among many claims."""
    if schema_editor.connection.vendor != "postgresql":
        return
    # No statistics on the vector (as for articles' search vector): the planner then keeps
    # its default estimate and reads the GIN index, instead of scanning every claim when a
    # term is common.
    schema_editor.execute(
        "ALTER TABLE claims_claim ALTER COLUMN match_vector SET STATISTICS 0"
    )
    schema_editor.execute(
        f"CREATE INDEX {TRIGRAM_INDEX} ON claims_claim USING gin (statement gin_trgm_ops)"
    )
    schema_editor.execute(
        f"CREATE INDEX {VECTOR_INDEX} ON claims_claim USING gin (match_vector)"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {VECTOR_INDEX}")


class Migration(migrations.Migration):
    """pg_trgm and the GIN indexes of claim matching (SQLite has neither; there matching
    scores a bounded set with rapidfuzz)."""

    dependencies = [
        ("claims", "0001_registry"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
