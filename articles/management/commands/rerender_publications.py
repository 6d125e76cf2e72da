"""`manage.py rerender_publications`: re-render published pages after a template change."""

from django.core.management.base import BaseCommand
from django.db import transaction

from articles.models import Publication
from articles.publishing import rerender_publication
from pagecache.generation import purge_public_pages


class Command(BaseCommand):
    help = (
        "Render every publication again from its frozen content with the current templates "
        "(after a deploy that changed the article page or its rendering), then purge the "
        "public page cache. The published text and ratings do not change."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true",
            help="Also earlier publications, not only the live ones.",
        )

    def handle(self, *args, **options):
        publications = Publication.objects.select_related("article").order_by("pk")
        if not options["all"]:
            publications = publications.live()
        count = 0
        try:
            for publication in publications.iterator(chunk_size=100):
                with transaction.atomic():
                    rerender_publication(publication)
                count += 1
        finally:
            # Even when one fails, what was re-rendered must reach every process.
            purge_public_pages()
        self.stdout.write(f"Re-rendered {count} publication(s); the public cache is purged.")
