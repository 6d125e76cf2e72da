"""Write the whole site (accounts, articles, evidence, tags, audit log) to one JSON file."""

import sys

from django.core.management.base import BaseCommand, CommandError

from articles.backup import dump_document, export_document


class Command(BaseCommand):
    help = (
        "Write everything to FILE as one JSON document (ketasite-export version 1): users and "
        "groups, articles, revisions, publications, events, import records, sources, "
        "annotations (with their W3C form), comments and tags. Password hashes are left out "
        "unless --with-passwords is given. Use - to write to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the export; - for standard output.")
        parser.add_argument(
            "--with-passwords",
            action="store_true",
            help="Include the password hashes (keep such a file as safe as the database).",
        )

    def handle(self, *args, file, with_passwords, **options):
        document = export_document(with_passwords=with_passwords)
        if file == "-":
            dump_document(document, sys.stdout)
        else:
            try:
                with open(file, "w", encoding="utf-8") as stream:
                    dump_document(document, stream)
            except OSError as error:
                raise CommandError(f"Cannot write {file}: {error.strerror}.")
        counts = {label: len(rows) for label, rows in document["models"].items() if rows}
        summary = ", ".join(f"{count} {label}" for label, count in counts.items())
        self.stderr.write(f"Exported {summary or 'nothing'}.")
