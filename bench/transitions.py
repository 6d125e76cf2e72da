"""The scale benchmark's in-process rows, query by query, on one database.

    python -m bench.transitions [--explain FILE.json] [--reps N] [--only NAME]

Runs on DATABASE_URL's database (Django's settings from the environment), inside ONE
transaction that is rolled back at the end, so a shared corpus stays as it was: the bench's
500-annotation article (`bench.scale._big_article`) is made in it when the database has none.
Each row of `bench.scale.transition_runs` (submit, approve, publish, re-anchoring and the
approve gate of the 500-annotation article), and the mails its notification jobs send
(`notify_submitted`, `notify_approved`: run in a worker after the commit, so no row of the
table times them), is then run in a savepoint rolled back after it:

- `--reps N` (default 15): the median and the spread of N runs of each, the load average
  before and after, and the query count of one run;
- `--explain FILE`: one more run of each with `auto_explain` logging every statement (the
  ones triggers and functions run inside a statement included) with ANALYZE and BUFFERS as
  notices; writes them to FILE as JSON (name: [{sql, ms, plan}]) and prints, per statement,
  its time, its buffers (hit + read) and the scans in its plan, so two databases can be
  compared statement by statement (`--compare SMALL.json LARGE.json`).

Not a `row_*` module: `make bench` does not run it, nor does CI.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path


def _load_average():
    return os.getloadavg()[0]


def _notify_runs(runs):
    """The notification jobs of submit and approve, run as a worker would after the commit."""
    from articles import notifications
    from articles.models import Article

    in_review = Article.objects.filter(state=Article.State.IN_REVIEW).order_by("pk").first()
    extra = {}
    if in_review is not None:
        actor_id = in_review.created_by_id

        extra["notify_submitted"] = (lambda: notifications.notify_submitted(
            article_id=in_review.pk, actor_id=actor_id), None)
        extra["notify_approved"] = (lambda: notifications.notify_approved(
            article_id=in_review.pk, actor_id=actor_id), None)
    return {**runs, **extra}


class _Notices:
    """Collects auto_explain's plans, sent to this client as notices."""

    def __init__(self):
        self.plans = []

    def __call__(self, diagnostic):
        message = diagnostic.message_primary or ""
        if "plan:" not in message:
            return
        head, _, body = message.partition("plan:")
        try:
            duration = float(head.split("duration:")[1].split("ms")[0])
        except (IndexError, ValueError):
            duration = None
        try:
            plan = json.loads(body)
        except ValueError:
            return
        self.plans.append({"ms": duration, "sql": plan.get("Query Text", ""), "plan": plan})


def _explained(function, prepare):
    """Run `function` once (after `prepare`) with every statement's plan: [{sql, ms, plan}]."""
    from django.db import connection, transaction

    notices = _Notices()
    with transaction.atomic():
        if prepare:
            prepare()
        with connection.cursor() as cursor:
            for setting in ("LOAD 'auto_explain'",
                            "SET LOCAL auto_explain.log_min_duration = 0",
                            "SET LOCAL auto_explain.log_analyze = on",
                            "SET LOCAL auto_explain.log_buffers = on",
                            "SET LOCAL auto_explain.log_nested_statements = on",
                            "SET LOCAL auto_explain.log_triggers = on",
                            "SET LOCAL auto_explain.log_format = json",
                            "SET LOCAL auto_explain.log_level = notice",
                            "SET LOCAL client_min_messages = notice"):
                cursor.execute(setting)
        raw = connection.connection
        raw.add_notice_handler(notices)
        try:
            function()
        finally:
            raw.remove_notice_handler(notices)
            transaction.set_rollback(True)
    return notices.plans


def _walk(node):
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def summary(entry):
    """One statement's line: its time, buffers, and each scan with the rows it read."""
    plan = entry["plan"]["Plan"]
    hit = plan.get("Shared Hit Blocks", 0)
    read = plan.get("Shared Read Blocks", 0)
    scans = []
    for node in _walk(plan):
        kind = node["Node Type"]
        if "Scan" not in kind:
            continue
        target = node.get("Index Name") or node.get("Relation Name") or ""
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        removed = node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
        scans.append(f"{kind.replace(' Scan', '')}:{target}:{rows:.0f}"
                     + (f"-{removed:.0f}" if removed else ""))
    triggers = [f"{t['Trigger Name']}={t['Time']:.2f}"
                for t in entry["plan"].get("Triggers", ())]
    sql = " ".join(entry["sql"].split())[:110]
    return {"ms": entry["ms"], "buffers": hit + read, "read": read, "scans": scans,
            "triggers": triggers, "sql": sql}


def _print_plans(name, plans, out=sys.stdout):
    print(f"\n== {name}: {len(plans)} statements", file=out)
    for number, entry in enumerate(plans, 1):
        line = summary(entry)
        print(f"{number:3} {line['ms'] or 0:8.2f} ms {line['buffers']:7} buf "
              f"({line['read']} read)  {' '.join(line['scans'])}"
              + (f"  triggers {' '.join(line['triggers'])}" if line["triggers"] else "")
              + f"\n      {line['sql']}", file=out)


def compare(small_path, large_path):
    """Print the statements of each row whose buffers or time grow from SMALL to LARGE."""
    small = json.loads(Path(small_path).read_text())
    large = json.loads(Path(large_path).read_text())
    for name in small:
        a, b = small[name], large.get(name, [])
        print(f"\n== {name}: {len(a)} statements small, {len(b)} large")
        for number, (x, y) in enumerate(zip(a, b, strict=False), 1):
            sx, sy = summary(x), summary(y)
            grows = sy["buffers"] > 2 * sx["buffers"] + 20 or (
                (sy["ms"] or 0) > 2 * (sx["ms"] or 0) + 1)
            mark = "GROWS" if grows else "     "
            print(f"{mark} {number:3} {sx['ms'] or 0:7.2f} -> {sy['ms'] or 0:7.2f} ms "
                  f"{sx['buffers']:6} -> {sy['buffers']:6} buf  {' '.join(sy['scans'])}"
                  f"\n      {sy['sql']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--explain", metavar="FILE")
    parser.add_argument("--only", action="append")
    parser.add_argument("--compare", nargs=2, metavar=("SMALL", "LARGE"))
    args = parser.parse_args(argv)
    if args.compare:
        compare(*args.compare)
        return
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.db import transaction

    from bench import scale

    results = {"load_before": _load_average()}
    plans = {}
    with transaction.atomic():
        admin = User.objects.filter(is_superuser=True).first()
        scale._big_article(admin)
        runs = _notify_runs(scale.transition_runs())
        names = [name for name in runs if not args.only or name in args.only]
        for name in names:
            function, prepare = runs[name]
            if args.reps:
                scale._timed(function, prepare, reps=1)  # warm: the first run reads from disk
                timed = scale._timed(function, prepare, reps=args.reps)
                results[name] = timed
                print(f"{name}: median {timed['ms']:.1f} ms, {timed['queries']['count']} q",
                      file=sys.stderr)
            if args.explain:
                plans[name] = _explained(function, prepare)
        transaction.set_rollback(True)
    results["load_after"] = _load_average()
    if args.explain:
        with open(args.explain, "w") as out:
            json.dump(plans, out)
        for name, statements in plans.items():
            _print_plans(name, statements)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
