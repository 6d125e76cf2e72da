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

`--interleave SMALL LARGE` (database names on the same server) measures both in turns, one
run of each row on one, then on the other, `--reps` times: the machine's load (shared by
other people's test suites) then falls on both alike. Besides the wall time it reports the
CPU time of one run: this process's (`time.thread_time`) and its PostgreSQL backend's
(`/proc/<pid>/schedstat`, so the server must be on this machine), which a busy machine
changes far less than the wall time.

Not a `row_*` module: `make bench` does not run it, nor does CI.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def _backend_cpu_ns(pid):
    """CPU time the PostgreSQL backend `pid` has used (ns), or None when it cannot be read."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _one_run(function, prepare, backend_pid):
    """One run in a savepoint rolled back: wall ms, client and server CPU ms, queries."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # the log keeps 9,000 queries: once full, a capture would count none
    with transaction.atomic():
        if prepare:
            prepare()
        with CaptureQueriesContext(connection) as captured:
            server = _backend_cpu_ns(backend_pid)
            client = time.thread_time_ns()
            started = time.perf_counter_ns()
            function()
            wall = time.perf_counter_ns() - started
            client = time.thread_time_ns() - client
            after = _backend_cpu_ns(backend_pid)
        transaction.set_rollback(True)
    slowest = max(captured.captured_queries, key=lambda query: float(query["time"]),
                  default={"time": "0", "sql": ""})
    return {"wall_ms": wall / 1e6, "client_cpu_ms": client / 1e6,
            "server_cpu_ms": (after - server) / 1e6 if server is not None else None,
            "queries": len(captured.captured_queries),
            "slowest_query": [float(slowest["time"]) * 1000, slowest["sql"][:160]]}


# The mails of the notification rows go nowhere: the rows time the work, not a mail server.
QUIET_MAIL = "django.core.mail.backends.locmem.EmailBackend"


def serve():
    """Child of --interleave: set up, then run the row named on each line of stdin once."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    os.environ["DJANGO_EMAIL_BACKEND"] = QUIET_MAIL
    django.setup()
    from django.db import connection, transaction

    from bench import scale

    with transaction.atomic():
        scale._big_article(None)
        runs = _notify_runs(scale.transition_runs())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid = cursor.fetchone()[0]
        print("@@" + json.dumps(sorted(runs)), flush=True)
        for line in sys.stdin:
            name = line.strip()
            if not name:
                break
            print("@@" + json.dumps(_one_run(*runs[name], backend_pid)), flush=True)
        transaction.set_rollback(True)


def _child(database, env=None):
    """A `--serve` process on `database`: a name on DATABASE_URL's server, or a URL."""
    import re
    import subprocess

    env = dict(env or os.environ)
    url = database if "://" in database else re.sub(
        r"/[^/]*$", "/" + database, env["DATABASE_URL"])
    return subprocess.Popen(
        [sys.executable, "-m", "bench.transitions", "--serve"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, env={**env, "DATABASE_URL": url})


def _answer(child):
    for line in child.stdout:
        if line.startswith("@@"):
            return json.loads(line[2:])
    raise RuntimeError("the probe process ended")


def interleave(databases, *, reps, only=None, env=None):
    """Run each row on each database in turns, `reps` times; return the medians.

    `databases`: names on DATABASE_URL's server, or URLs; `env`: the children's environment
    (this one's by default)."""
    children = {database: _child(database, env) for database in databases}
    names = None
    for child in children.values():
        available = _answer(child)
        names = [n for n in (names or available) if n in available]
    names = [n for n in names if not only or n in only]
    samples = {database: {name: [] for name in names} for database in databases}
    load = [_load_average()]
    for rep in range(reps + 1):  # the first round warms each database's caches: not kept
        for name in names:
            for database, child in children.items():
                child.stdin.write(name + "\n")
                child.stdin.flush()
                result = _answer(child)
                if rep:
                    samples[database][name].append(result)
        load.append(_load_average())
    for child in children.values():
        child.stdin.write("\n")
        child.stdin.close()
        child.wait()
    table = {"load_average": [min(load), max(load)], "reps": reps, "rows": {}}
    for name in names:
        row = {}
        for database in databases:
            runs = samples[database][name]

            def median(key, runs=runs):
                values = [run[key] for run in runs if run[key] is not None]
                return statistics.median(values) if values else None

            row[database] = {key: median(key) for key in
                             ("wall_ms", "client_cpu_ms", "server_cpu_ms", "queries")}
            row[database]["slowest_query_ms"] = statistics.median(
                run["slowest_query"][0] for run in runs)
            slow = sorted(runs, key=lambda run: run["wall_ms"])[-3:]
            row[database]["slowest_ms"] = [run["wall_ms"] for run in slow]
            row[database]["slowest_runs"] = slow
        table["rows"][name] = row
    return table


def print_interleaved(table, databases):
    small, large = databases
    print(f"median of {table['reps']} runs each, in turns; load average "
          f"{table['load_average'][0]:.1f} to {table['load_average'][1]:.1f}")
    print(f"{'row':18} {'wall small':>10} {'wall large':>10} {'ratio':>6}   "
          f"{'cpu small':>9} {'cpu large':>9} {'ratio':>6}  queries  slowest small | large")
    for name, row in table["rows"].items():
        a, b = row[small], row[large]
        cpu_a = a["client_cpu_ms"] + (a["server_cpu_ms"] or 0)
        cpu_b = b["client_cpu_ms"] + (b["server_cpu_ms"] or 0)
        print(f"{name:18} {a['wall_ms']:8.1f}ms {b['wall_ms']:8.1f}ms "
              f"{b['wall_ms'] / a['wall_ms']:6.2f}   {cpu_a:7.1f}ms {cpu_b:7.1f}ms "
              f"{cpu_b / cpu_a:6.2f}  {a['queries']:.0f}/{b['queries']:.0f}  "
              f"{' '.join(f'{ms:.0f}' for ms in a['slowest_ms'])} | "
              f"{' '.join(f'{ms:.0f}' for ms in b['slowest_ms'])}")


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
    parser.add_argument("--interleave", nargs=2, metavar=("SMALL", "LARGE"))
    parser.add_argument("--json", metavar="FILE", help="--interleave: write the medians")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.compare:
        compare(*args.compare)
        return
    if args.serve:
        serve()
        return
    if args.interleave:
        table = interleave(args.interleave, reps=args.reps, only=args.only)
        if args.json:
            Path(args.json).write_text(json.dumps(table, indent=1))
        print_interleaved(table, args.interleave)
        return
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    os.environ["DJANGO_EMAIL_BACKEND"] = QUIET_MAIL
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
    main()
