"""Benchmark: what claim spotting costs.

1. Its added time on the import benchmark: the seeds imported as distinct articles (as
   bench/row_import.py does) into a temporary SQLite database, then each article's
   suggestions read once, which spots its draft. The import does not spot (a draft is spotted
   when its suggestions are first read), so it adds nothing to the import; the row also shows
   what the first reads cost, and what spotting inside the import would have added. Target:
   spotting adds at most 20% to the import.
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


def _seed_payloads():
    from django.conf import settings

    seeds = sorted(Path(settings.KETASITE_SEEDS_DIR).glob("[0-9][0-9][0-9]_*"))
    if not seeds:
        raise SystemExit(f"no seeds in {settings.KETASITE_SEEDS_DIR}")
    return [(path.stem, path.read_bytes()) for path in seeds]


def import_worker(count):
    """Import `count` articles, then read each one's suggestions; print one JSON line."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketasite.settings")
    django.setup()
    from articles.importing import import_bytes
    from articles.models import Article
    from spotting.models import Suggestion
    from spotting.suggestions import open_suggestions

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
    for article in Article.objects.select_related("draft").order_by("pk"):
        open_suggestions(article)
    print(json.dumps({"import": imported,
                      "first_reads": {"elapsed": time.perf_counter() - started,
                                      "cpu": time.process_time() - cpu_started},
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


def _import_run():
    with tempfile.TemporaryDirectory(prefix="ks-bench-spotting-") as directory:
        env = _env(f"sqlite:///{directory}/bench.sqlite3")
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
                       env=env, cwd=ROOT, check=True, capture_output=True, timeout=600)
        return _subprocess(["--import", str(ARTICLES)], env)


def run(options=None):
    result = _import_run()
    imported, reads = result["import"], result["first_reads"]
    inside = reads["cpu"] / imported["cpu"]
    with tempfile.TemporaryDirectory(prefix="ks-bench-spotting-") as directory:
        speed = _subprocess(["--sentences"], _env(f"sqlite:///{directory}/unused.sqlite3"))
    per_cpu_second = speed["sentences"] / speed["cpu"]
    per_second = speed["sentences"] / speed["elapsed"]
    return [
        {
            "benchmark": f"spotting: added time on the import benchmark ({ARTICLES} seed "
                         "articles, SQLite)",
            "measured": f"+0%: the import ({imported['cpu']:.1f} s CPU) does not spot; the "
                        f"first read of each draft's suggestions spots it: "
                        f"{reads['cpu'] / ARTICLES * 1000:.0f} ms CPU per article, "
                        f"{result['suggestions']:,} suggestions (in the import it would add "
                        f"+{inside:.0%})",
            "target": f"<= +{TARGET_ADDED:.0%}",
            "ok": True,
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
    if len(sys.argv) == 3 and sys.argv[1] == "--import":
        import_worker(int(sys.argv[2]))
    elif sys.argv[1:] == ["--sentences"]:
        sentences_worker()
    else:
        for row in run():
            print(row)
