"""`manage.py import_articles PATH…`: import text, Markdown and HTML files as draft articles."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from articles.importing import import_paths
from articles.importing.importer import importable_files

PROGRESS_FROM_FILES = 4
RESULT_STYLES = {"created": "green", "new_revision": "cyan", "unchanged": "dim", "failed": "red"}


def outcome_table(outcomes, *, dry_run=False):
    """Return the rich summary table: one row per file."""
    title = "Import (dry run: nothing was written)" if dry_run else "Import"
    table = Table(title=title, show_lines=False)
    for name in ("file", "result", "title", "blocks", "sources", "warnings"):
        table.add_column(name, justify="right" if name in ("blocks", "sources") else "left",
                         overflow="fold")
    for outcome in outcomes:
        notes = [outcome.error] if outcome.error else []
        notes += outcome.warnings
        if outcome.dropped:
            notes.append(f"{len(outcome.dropped)} piece(s) of boilerplate dropped")
        table.add_row(
            outcome.filename,
            f"[{RESULT_STYLES.get(outcome.result, '')}]{outcome.result_label}[/]",
            outcome.title,
            str(outcome.blocks) if not outcome.failed else "",
            str(outcome.sources) if not outcome.failed else "",
            "\n".join(notes),
        )
    return table


class Command(BaseCommand):
    help = (
        "Import .txt, .md, .html and .htm files (or directories of them) as draft articles. "
        "Re-importing the same bytes changes nothing; changed bytes from the same source add "
        "a new draft revision."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or directories to import.")
        parser.add_argument("--tag", action="append", default=[], dest="tags",
                            help="Tag every imported article (repeatable).")
        parser.add_argument("--source-url", default="",
                            help="The web address the text was taken from.")
        parser.add_argument("--dry-run", action="store_true",
                            help="Report what would happen; write nothing.")

    def handle(self, *paths, **options):
        paths = options["paths"]
        console = Console(file=self.stdout, highlight=False, soft_wrap=False,
                          width=None if self.stdout.isatty() else 140)
        total = sum(1 for _ in importable_files(paths))
        kwargs = {"tags": options["tags"], "source_url": options["source_url"],
                  "dry_run": options["dry_run"]}
        if total > PROGRESS_FROM_FILES:
            with Progress(TextColumn("Importing"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.description}"), console=console,
                          transient=True) as bar:
                task = bar.add_task("", total=total)

                def advance(done, _total, outcome):
                    bar.update(task, completed=done, description=outcome.filename)

                outcomes = import_paths(paths, progress=advance, **kwargs)
        else:
            outcomes = import_paths(paths, **kwargs)
        for outcome in outcomes:
            if outcome.failed:
                console.print(f"[red]failed[/] {outcome.filename}: {outcome.error}",
                              markup=True, highlight=False)
        console.print(outcome_table(outcomes, dry_run=options["dry_run"]))
        failed = sum(1 for o in outcomes if o.failed)
        if failed:
            raise CommandError(f"{failed} of {len(outcomes)} file(s) failed to import.",
                               returncode=1)
