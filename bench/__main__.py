"""Run the benchmark rows and print one table.

Each `bench/row_*.py` module defines `run(options) -> list[dict]`; a row has `benchmark`,
`measured`, `target` and `ok` (True, False, or None when there is no verdict). `--only NAME`
runs `row_NAME` alone. The exit status is non-zero only with `--strict` and a missed target,
or when a row module itself fails.
"""

import argparse
import importlib
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def row_modules():
    """Return the names (without "row_") of the bench row modules, sorted."""
    return sorted(
        info.name.removeprefix("row_")
        for info in pkgutil.iter_modules([str(BENCH_DIR)])
        if info.name.startswith("row_")
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="Run only bench/row_NAME.py (repeatable).")
    parser.add_argument("--strict", action="store_true",
                        help="Exit non-zero when a row misses its target.")
    parser.add_argument("--seconds", type=int, default=10,
                        help="Duration of each load measurement, where a row has one.")
    parser.add_argument("--list", action="store_true", help="List the rows and exit.")
    return parser.parse_args(argv)


def run_module(name, options):
    """Return the rows of one module; a crash becomes one failed row with the reason."""
    started = time.monotonic()
    try:
        module = importlib.import_module(f"bench.row_{name}")
        rows = list(module.run(options) or [])
    except Exception as error:  # noqa: BLE001 - one broken row must not hide the others
        traceback.print_exc(file=sys.stderr)
        rows = [{"benchmark": f"{name}: could not run", "measured": f"{type(error).__name__}: "
                 f"{error}", "target": "-", "ok": False, "crashed": True}]
    for row in rows:
        row.setdefault("module", name)
        row.setdefault("seconds", time.monotonic() - started)
    return rows


def verdict(ok):
    if ok is None:
        return "[yellow]n/a[/]"
    return "[green]ok[/]" if ok else "[red]MISSED[/]"


def print_table(rows):
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ketasite benchmarks")
    table.add_column("benchmark", overflow="fold")
    table.add_column("measured", overflow="fold")
    table.add_column("target", overflow="fold")
    table.add_column("ok", justify="center")
    for row in rows:
        table.add_row(str(row["benchmark"]), str(row["measured"]), str(row["target"]),
                      verdict(row.get("ok")))
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    available = row_modules()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = [name for name in args.only if name not in available]
    if unknown:
        print(f"No bench row named {', '.join(unknown)}; available: {', '.join(available)}",
              file=sys.stderr)
        return 2
    options = {"only": args.only, "strict": args.strict, "seconds": args.seconds}
    rows = []
    for name in args.only or available:
        rows.extend(run_module(name, options))
    print_table(rows)
    crashed = any(row.get("crashed") for row in rows)
    missed = any(row.get("ok") is False for row in rows)
    return 1 if crashed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
