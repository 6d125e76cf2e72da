"""Benchmark: what claim spotting costs.

1. Its added time on the import benchmark: the seeds imported as distinct articles (as
   bench/row_import.py does) into a fresh SQLite database, once with spotting on import
   (KETASITE_SPOT_ON_IMPORT, the default: each import queues a spotting job through the
   database task backend) and once without. The import does not spot: it writes the job and
   its task, and a worker spots the draft after the commit. The row compares the two import
   times, then runs the worker over the queued jobs (`jobs_worker --batch`) and shows what
   the spotting itself costs per article there, and what it would have added inside the
   import. Target: spotting adds at most 20% to the import.
2. Sentences per second of the whole spotter (splitting with syntok, then the rules) over the
   seeds and the demo articles, as the importer parses them. Target: at least 2,000.

Both are judged on the process's CPU time (`time.process_time`), because this machine's two
cores are shared: wall-clock time then measures the neighbours. Wall-clock figures are shown
beside them.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.row_import import ROOT, _env

ARTICLES = 300
TARGET_ADDED = 0.20
TARGET_SENTENCES = 2000.0
MIN_SECONDS = 3.0
ROUNDS = 2


def _seed_payloads():
    from django.conf import settings

    seeds = sorted(Path(settings.KETASITE_SEEDS_DIR).glob("[0-9][0-9][0-9]_*"))
    if not seeds:
        raise SystemExit(f"no seeds in {settings.KETASITE_SEEDS_DIR}")
    return [(path.stem, path.read_bytes()) for path in seeds]


def import_worker(count, spot):
    """Import `count` articles (spotting on import on or off), then run the queued jobs;
    print one JSON line."""
    import io
    import os

    os.environ["KETASITE_SPOT_ON_IMPORT"] = "true" if spot == "on" else "false"
    os.environ["KETASITE_JOB_BACKEND"] = "database"
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    django.setup()
    from django.core.management import call_command

    from articles.importing import import_bytes
    from jobs.models import Job
    from spotting.models import SpottedRevision, Suggestion

    payloads = _seed_payloads()
    started, cpu_started = time.perf_counter(), time.process_time()
    for index in range(count):
        stem, data = payloads[index % len(payloads)]
        varied = data + f"\n\nBench copy {index} of this article.\n".encode()
        import_bytes(varied, filename=f"{stem}-{index}.txt")
    imported = {"elapsed": time.perf_counter() - started,
                "cpu": time.process_time() - cpu_started}
    assert not Suggestion.objects.exists(), "the import spotted"
    started, cpu_started = time.perf_counter(), time.process_time()
    call_command("jobs_worker", batch=True, verbosity=0, stderr=io.StringIO())
    worker = {"elapsed": time.perf_counter() - started, "cpu": time.process_time() - cpu_started}
    print(json.dumps({"import": imported, "worker": worker,
                      "jobs": Job.objects.filter(kind="spotting").count(),
                      "spotted": SpottedRevision.objects.count(),
                      "suggestions": Suggestion.objects.count()}))


def sentences_worker():
    """Spot claims in the seeds and the demo articles for a few seconds; print one JSON line."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    django.setup()
    from articles.importing import parse_document
    from spotting.sentences import revision_sentences
    from spotting.spotter import spot_sentences

    files = [(stem, data) for stem, data in _seed_payloads()]
    files += [(path.name, path.read_bytes()) for path in sorted((ROOT / "demo").iterdir())]
    documents = [parse_document(data, filename=name).blocks for name, data in files]
    spot_sentences(revision_sentences(documents[0]))  # load the lexicon before timing
    sentences = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.process_time() - cpu_started < MIN_SECONDS:
        for blocks in documents:
            sentences += len(spot_sentences(revision_sentences(blocks)))
    print(json.dumps({"sentences": sentences, "elapsed": time.perf_counter() - started,
                      "cpu": time.process_time() - cpu_started}))


def _subprocess(args, env):
    completed = subprocess.run([sys.executable, "-m", "bench.row_spotting", *args], env=env,
                               cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if completed.returncode != 0:
        raise RuntimeError((completed.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _import_run(spot):
    with tempfile.TemporaryDirectory(prefix="ks-bench-spotting-") as directory:
        env = _env(f"sqlite:///{directory}/bench.sqlite3")
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
                       env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)
        return _subprocess(["--import", str(ARTICLES), spot], env)


def run(options=None):
    # Each way twice, alternating; the faster of each pair (by CPU) is kept.
    runs = {"off": [], "on": []}
    for _round in range(ROUNDS):
        for spot in ("off", "on"):
            runs[spot].append(_import_run(spot))
    without = min(runs["off"], key=lambda result: result["import"]["cpu"])
    with_ = min(runs["on"], key=lambda result: result["import"]["cpu"])
    added = with_["import"]["cpu"] / without["import"]["cpu"] - 1
    worker = with_["worker"]
    inside = worker["cpu"] / without["import"]["cpu"]
    with tempfile.TemporaryDirectory(prefix="ks-bench-spotting-") as directory:
        speed = _subprocess(["--sentences"], _env(f"sqlite:///{directory}/unused.sqlite3"))
    per_cpu_second = speed["sentences"] / speed["cpu"]
    per_second = speed["sentences"] / speed["elapsed"]
    spotted_all = with_["spotted"] == ARTICLES
    return [
        {
            "benchmark": f"spotting: added time on the import benchmark ({ARTICLES} seed "
                         "articles, SQLite)",
            "measured": f"{added:+.0%}: import {with_['import']['cpu']:.1f} s CPU with "
                        f"spotting queued on import, {without['import']['cpu']:.1f} s without "
                        f"({with_['import']['elapsed']:.1f} s / {without['import']['elapsed']:.1f}"
                        f" s wall); then the worker ran {with_['jobs']} spotting job(s), spotted "
                        f"{with_['spotted']} drafts, "
                        f"{with_['suggestions']:,} suggestions, "
                        f"{worker['cpu'] / ARTICLES * 1000:.0f} ms CPU per article (inside "
                        f"the import it would add +{inside:.0%})",
            "target": f"<= +{TARGET_ADDED:.0%}",
            "ok": added <= TARGET_ADDED and spotted_all,
        },
        {
            "benchmark": "spotting: sentences per second (split and assess; seeds and demo)",
            "measured": f"{per_cpu_second:,.0f} per CPU second ({per_second:,.0f} by the wall "
                        f"clock; {speed['sentences']:,} sentences)",
            "target": f">= {TARGET_SENTENCES:,.0f}",
            "ok": per_cpu_second >= TARGET_SENTENCES,
        },
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--import":
        import_worker(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1:] == ["--sentences"]:
        sentences_worker()
    else:
        for row in run():
            print(row)
