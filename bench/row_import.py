"""Benchmark: import throughput and peak memory for plain text.

The five seeds are imported as 1,000 distinct articles (each copy gets a unique line and file
name, so every one is a new article with its sources and citations). Each database runs in a
subprocess with its own DATABASE_URL after `manage.py migrate`: a temporary SQLite file, and
a throwaway PostgreSQL database when one is reachable. Targets on a 2-core machine: at least
100 articles per second on SQLite, peak memory (max RSS of the importing process) under
300 MB.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 1000
TARGET_RATE = 100.0
TARGET_MEMORY_MB = 300
POSTGRES_URL = os.environ.get("KETASITE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Throwaway databases are named <prefix>_<row>_<random>: a shared server keeps each user's apart.
DATABASE_PREFIX = os.environ.get("KETASITE_BENCH_DB_PREFIX", "ks_bench")


def _env(database_url):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or "bench-only-secret-key-0123456789",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
    })
    return env


def worker(count):
    """Import `count` articles into the configured database; print one JSON line."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    django.setup()
    from django.conf import settings

    from articles.importing import import_bytes

    seeds = sorted(Path(settings.KETASITE_SEEDS_DIR).glob("[0-9][0-9][0-9]_*"))
    if not seeds:
        raise SystemExit(f"no seeds in {settings.KETASITE_SEEDS_DIR}")
    payloads = [(path.stem, path.read_bytes()) for path in seeds]
    failed = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for index in range(count):
        stem, data = payloads[index % len(payloads)]
        varied = data + f"\n\nBench copy {index} of this article.\n".encode()
        outcome = import_bytes(varied, filename=f"{stem}-{index}.txt")
        failed += outcome.result != "created"
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"count": count, "failed": failed, "elapsed": elapsed, "cpu": cpu,
                      "peak_mb": peak_kb / 1024}))


def _run_worker(database_url, count):
    env = _env(database_url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=600)
    completed = subprocess.run(
        [sys.executable, "-m", "bench.row_import", "--worker", str(count)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(last)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _rows(label, result, *, rate_target):
    rate = result["count"] / result["elapsed"] if result["elapsed"] else 0.0
    failures = f", {result['failed']} not created" if result["failed"] else ""
    # The CPU-only rate shows what the importer costs when other work shares the 2 cores.
    cpu_rate = result["count"] / result["cpu"] if result.get("cpu") else 0.0
    return [
        {
            "benchmark": f"import: {result['count']} plain-text articles ({label})",
            "measured": f"{rate:.0f} articles/s ({result['elapsed']:.1f} s{failures}; "
                        f"{cpu_rate:.0f}/s of importer CPU time)",
            "target": f">= {rate_target:.0f} articles/s" if rate_target else "report only",
            "ok": (rate >= rate_target and not result["failed"]) if rate_target else None,
        },
        {
            "benchmark": f"import: peak memory ({label})",
            "measured": f"{result['peak_mb']:.0f} MB",
            "target": f"< {TARGET_MEMORY_MB} MB",
            "ok": result["peak_mb"] < TARGET_MEMORY_MB,
        },
    ]


def _postgres_available():
    try:
        import psycopg
    except ImportError:
        return None
    try:
        return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.Error:
        return None


def _sqlite_rows(count):
    with tempfile.TemporaryDirectory(prefix="ks-bench-import-") as directory:
        url = f"sqlite:///{directory}/bench.sqlite3"
        return _rows("SQLite", _run_worker(url, count), rate_target=TARGET_RATE)


def _postgres_rows(count):
    connection = _postgres_available()
    if connection is None:
        return [{"benchmark": "import: PostgreSQL", "measured": "not reachable, skipped",
                 "target": "-", "ok": None}]
    name = f"{DATABASE_PREFIX}_import_{uuid.uuid4().hex[:8]}"
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        try:
            result = _run_worker(f"{POSTGRES_URL}/{name}", count)
        finally:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return _rows("PostgreSQL", result, rate_target=None)


def run(options=None):
    """Return the rows: throughput and peak memory on SQLite, and on PostgreSQL if reachable."""
    count = ARTICLES
    if isinstance(options, dict) and options.get("import_articles"):
        count = int(options["import_articles"])
    return _sqlite_rows(count) + _postgres_rows(count)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]))
    else:
        for row in run():
            print(row)
