"""Restore a site exported by export_site into an empty database."""

import json

from django.core.management.base import BaseCommand, CommandError

from articles.backup import RestoreError, restore_document


class Command(BaseCommand):
    help = (
        "Restore FILE, written by export_site, into a database that has no content yet "
        "(run migrate first). All or nothing: on any error nothing is kept and the exit "
        "status is 1. A restore never grants rights: accounts and groups that already exist "
        "are left as they are; without --trust-accounts new accounts get no superuser or "
        "staff flag, no permissions, no groups and no password (an administrator sets one), "
        "missing groups and share links are skipped. Each part of the file left out is "
        "named on one line of standard error; the restore still succeeds (exit status 0). "
        "Notes are sanitised again and published pages rendered again from their frozen "
        "content."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="An export written by export_site.")
        parser.add_argument(
            "--trust-accounts",
            action="store_true",
            help=(
                "The file is your own backup: give NEW accounts the flags, permissions, groups "
                "and password hashes it holds, create its missing groups with their "
                "permissions and restore its share links. Existing accounts and groups are "
                "never changed."
            ),
        )

    def handle(self, *args, file, trust_accounts, **options):
        try:
            with open(file, encoding="utf-8") as stream:
                document = json.load(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{file} is not a JSON export: {error}.")
        try:
            report = restore_document(document, trust_accounts=trust_accounts)
        except RestoreError as error:
            raise CommandError(str(error))
        for line in report.skipped:
            self.stderr.write(line, style_func=self.style.WARNING)
        summary = ", ".join(f"{count} {label}" for label, count in report.counts.items() if count)
        skipped = f" Left out {len(report.skipped)} part(s) of the file (listed above)." if (
            report.skipped
        ) else ""
        self.stdout.write(f"Restored {summary or 'nothing'}.{skipped}")
