"""Give publications made before the API documents were stored (0004) their stored list item
and detail document, so the public API has one path: the stored bytes.

Pure JSON from each publication's frozen `public_json` (no templates), so it is safe in a
migration; the page parts, which need today's templates, are `rerender_publications`'s job.
"""

from django.db import migrations

from articles.frozen import fill_api_documents


def backfill_api_documents(apps, schema_editor):
    Publication = apps.get_model("articles", "Publication")
    fill_api_documents(
        Publication.objects.using(schema_editor.connection.alias).filter(api_detail_etag="")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0007_search_entry"),
    ]

    operations = [
        migrations.RunPython(backfill_api_documents, migrations.RunPython.noop, elidable=True),
    ]
