"""`manage.py spot_claims FILE… [--json]`: the claims the spotter would suggest, written nowhere.

Each file goes through the importer's own parsing (`parse_document`: decoding, format, blocks,
boilerplate removal) and then the spotter, exactly as an import would, but nothing touches the
database. A file that cannot be read (missing, binary, empty, too large) gets one line on
standard error; the others still run, and the command exits non-zero at the end.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from articles.importing import ImportFailure, parse_document
from articles.importing.decoding import check_size
from articles.importing.importer import importable_files
from spotting.spotter import KINDS, spot_blocks


def spot_file(path: Path) -> list[dict]:
    """Return the claims of one file as dicts; raise ImportFailure when it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportFailure(f"cannot be read ({error.strerror}).")
    if size == 0:
        raise ImportFailure("the file is empty.")
    check_size(size)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFailure(f"cannot be read ({error.strerror}).")
    parsed = parse_document(data, filename=path.name)
    return [
        {"quote": claim.sentence.text, "kind": claim.kind, "score": claim.score,
         "reasons": list(claim.reasons)}
        for claim in spot_blocks(parsed.blocks)
    ]


class Command(BaseCommand):
    help = (
        "Show the health claims the claim spotter finds in text, Markdown and HTML files, "
        "after the importer's parsing. Writes nothing to the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="FILE",
                            help="Files (or directories of them) to read.")
        parser.add_argument("--json", action="store_true",
                            help="One JSON object per claim per line: file, quote, kind, "
                            "score, reasons.")

    def handle(self, *args, **options):
        as_json = options["json"]
        console = Console(file=self.stdout, highlight=False, soft_wrap=False,
                          width=None if self.stdout.isatty() else 160)
        table = Table(title="Suggested claims", show_lines=True)
        for name in ("file", "kind", "score", "sentence", "reasons"):
            table.add_column(name, overflow="fold", justify="right" if name == "score" else "left")
        failed = total = claims_found = 0
        for path, problem in importable_files(options["paths"]):
            total += 1
            shown = str(path)
            if not problem:
                try:
                    claims = spot_file(path)
                except ImportFailure as error:
                    problem = f"{shown}: {error}"
            if problem:
                failed += 1
                self.stderr.write(problem.replace("\n", " "))
                continue
            for claim in claims:
                claims_found += 1
                if as_json:
                    self.stdout.write(json.dumps({"file": shown, **claim}, ensure_ascii=False))
                else:
                    table.add_row(shown, KINDS[claim["kind"]], f"{claim['score']:.2f}",
                                  claim["quote"], "\n".join(claim["reasons"]))
        if not as_json:
            console.print(table)
            console.print(f"{claims_found} claim(s) in {total - failed} file(s).")
        if failed:
            raise CommandError(f"{failed} of {total} file(s) could not be read.", returncode=1)
