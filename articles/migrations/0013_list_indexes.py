"""The indexes of the public lists at scale: the feed's rating changes (a partial index,
both databases) and, on PostgreSQL, a GIN index on the frozen tag slugs that serves the tag
page's containment filter (`PublicationQuerySet.with_tag_slug`)."""

from django.db import migrations, models

TAG_INDEX = "publication_tag_slugs_gin"


def create_tag_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TAG_INDEX} ON articles_publication"
        " USING gin (tag_slugs jsonb_path_ops)"
    )


def drop_tag_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TAG_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0012_admin_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="publication",
            index=models.Index(
                condition=models.Q(("rating_changed", True)),
                fields=["-published_at", "-id"],
                name="publication_rating_changed",
            ),
        ),
        migrations.RunPython(create_tag_index, drop_tag_index),
    ]
