"""The indexes of the search's ranking tiers (`public.search`), on PostgreSQL: a GIN index on
the search entries' rank vectors (title and summary) and one on their title part
(`ts_filter(rank_vector, '{a}')`, the weight-A lexemes, which are the title's).

No column is added and nothing is backfilled: both index what the entries already hold. Unlike
the search vector's (see 0005), these statistics are kept: the vectors are small and stored
in the row, so the planner's estimate of a walk in date order (checking each row) is right,
and it needs the word frequencies to choose between that walk, for a word in many titles,
and the index, for a word in few. ANALYZE at the end gathers the statistics of the title
expression, which only exist once its index does."""

from django.db import migrations

RANK_INDEX = "searchentry_rank_gin"
TITLE_INDEX = "searchentry_title_gin"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {RANK_INDEX} ON articles_searchentry USING gin (rank_vector)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TITLE_INDEX} ON articles_searchentry"
        " USING gin (ts_filter(rank_vector, '{a}'))"
    )
    schema_editor.execute("ANALYZE articles_searchentry")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {RANK_INDEX}")
        schema_editor.execute(f"DROP INDEX IF EXISTS {TITLE_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0014_live_tags"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
