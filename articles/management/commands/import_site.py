"""Restore a site exported by export_site into an empty database."""

import json

from django.core.management.base import BaseCommand, CommandError

from ketasite.backup import RestoreError, restore_document


class Command(BaseCommand):
    help = (
        "Restore FILE, written by export_site, into a database that has no content yet "
        "(run migrate first). All or nothing: on any error nothing is kept. Users exported "
        "without password hashes get unusable passwords and must reset them."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="An export written by export_site.")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as stream:
                document = json.load(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{file} is not a JSON export: {error}.")
        try:
            counts = restore_document(document)
        except RestoreError as error:
            raise CommandError(str(error))
        summary = ", ".join(f"{count} {label}" for label, count in counts.items() if count)
        self.stdout.write(f"Restored {summary or 'nothing'}.")
