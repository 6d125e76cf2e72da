"""`manage.py generate_corpus`: a large, realistic corpus to measure on (articles/corpus.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from articles.corpus import CorpusError, generate

CONFIRM_FLAG = "--yes-this-is-a-test-database"


def report(bar, task, done, total):
    """Advance the bar; without a terminal (a log file), also print a line every 5%."""
    bar.update(task, completed=done)
    step = max(1, total // 20)
    if not bar.console.is_terminal and (done // step != (done - 1) // step or done == total):
        elapsed = bar.tasks[0].elapsed or 0.0
        bar.console.print(f"{done}/{total} articles, {elapsed:.0f} s")


class Command(BaseCommand):
    help = (
        "Fill the database with a generated corpus (articles in every workflow state, "
        "rated annotations, sources, publications with their frozen pages) to measure the "
        f"site at scale. Refused outside DEBUG unless {CONFIRM_FLAG} is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, required=True)
        parser.add_argument("--annotations-per-article", type=int, default=20)
        parser.add_argument("--sources", type=int, default=None,
                            help="Size of the source pool (default: articles / 5).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--workers", type=int, default=None,
            help="Processes building the rows (default: 2 on PostgreSQL, 1 elsewhere).",
        )
        parser.add_argument(CONFIRM_FLAG, dest="confirmed", action="store_true",
                            help="Allow it without DEBUG: this database is for tests.")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["confirmed"]:
            raise CommandError(
                "generate_corpus writes thousands of made-up articles: it runs only with "
                f"DEBUG on, or with {CONFIRM_FLAG} on a database made for it."
            )
        workers = options["workers"]
        if workers is None:
            workers = 2 if connection.vendor == "postgresql" else 1
        console = Console(file=self.stderr, highlight=False)
        started = time.monotonic()
        with Progress(TextColumn("Generating"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                      disable=options["verbosity"] < 1) as bar:
            task = bar.add_task("", total=options["articles"])
            try:
                counts = generate(
                    articles=options["articles"],
                    annotations_per_article=options["annotations_per_article"],
                    sources=options["sources"], seed=options["seed"],
                    batch_size=options["batch_size"], workers=workers,
                    progress=lambda done, total: report(bar, task, done, total),
                )
            except CorpusError as error:
                raise CommandError(str(error))
        seconds = time.monotonic() - started
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(f"Generated in {seconds:.0f} s: {summary}. Public cache purged.")
