"""Freeze each publication's address (slug) and its tag pages' addresses.

Existing publications take their article's current slug: until now the public address was
the article's slug, so this is the address they were being served at.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.utils.text import slugify


def fill_addresses(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Publication = apps.get_model("articles", "Publication")
    Publication.objects.update(
        slug=Subquery(Article.objects.filter(pk=OuterRef("article_id")).values("slug")[:1])
    )
    for publication in Publication.objects.only("tags").iterator():
        tag_slugs = [slugify(tag) for tag in publication.tags or ()]
        if tag_slugs:
            Publication.objects.filter(pk=publication.pk).update(tag_slugs=tag_slugs)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0005_search_vector"),
    ]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="slug",
            field=models.SlugField(default="", editable=False, max_length=120),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="publication",
            name="tag_slugs",
            field=models.JSONField(
                blank=True, default=list, editable=False,
                help_text="The addresses of the tag pages (/tags/<slug>/), one per frozen tag.",
            ),
        ),
        migrations.RunPython(fill_addresses, migrations.RunPython.noop),
    ]
