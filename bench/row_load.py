"""Load test: gunicorn on loopback under a mix of readers and editorial writers.

Reader threads fetch public pages and public API answers; writer threads, each signed in
with its own API token, PATCH the note of their own annotations on a draft (with the version
they last saw). Afterwards the database is read back: every write the server acknowledged
must be there (the annotation's note is the last acknowledged one, and its version counts
every acknowledged write). Reported: requests, errors, lost writes, and latency percentiles.

`make loadtest` runs it for 60 s (`KETASITE_LOAD_SECONDS` changes that); `python -m
bench.row_load --quick` runs it for 10 s.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from bench.server import PYTHON, _run, prepared_database, running_site, site_env

READERS = 6
WRITERS = 3
ANNOTATIONS_PER_WRITER = 4
DRAFT_SLUG = "load-draft"
PUBLIC_PATHS = [
    ("page", "/"),
    ("page", "/articles/bench-article/"),
    ("api", "/api/v1/articles/"),
    ("api", "/api/v1/articles/bench-article/"),
    ("api", "/api/v1/articles/bench-article/annotations/"),
]
MANIFEST_NAME = "load-manifest.json"


def setup_load_content():
    """Publish the bench article, and give each writer a token and annotations on a draft."""
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from articles.blocks import with_text
    from articles.models import Article, Revision
    from bench.server import setup_public_content
    from evidence.models import Annotation

    setup_public_content(annotations=40)
    text = "Ketamine may help some adults with treatment-resistant depression. " * 3
    blocks = [with_text({"id": f"p{n}", "type": "paragraph", "text": text}) for n in range(8)]
    article = Article.objects.create(slug=DRAFT_SLUG, state=Article.State.DRAFT)
    revision = Revision.objects.create(
        article=article, number=1, title="A draft under load", blocks=blocks
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    reviewers = Group.objects.get(name="Reviewers")
    writers = []
    for number in range(WRITERS):
        user = User.objects.create_user(f"load-writer-{number}", password=None)
        user.groups.add(reviewers)
        token = Token.objects.create(user=user)
        annotation_ids = []
        for index in range(ANNOTATIONS_PER_WRITER):
            block = blocks[(number * ANNOTATIONS_PER_WRITER + index) % len(blocks)]
            start = 9 * index
            annotation = Annotation.objects.create(
                article=article, revision=revision, block_id=block["id"], start=start,
                end=start + 8, exact=block["text"][start:start + 8], author=user,
            )
            annotation_ids.append(annotation.pk)
        writers.append({"token": token.key, "annotations": annotation_ids})
    manifest = Path(settings.DATABASES["default"]["NAME"]).with_name(MANIFEST_NAME)
    manifest.write_text(json.dumps({"writers": writers}), encoding="utf-8")


class Recorder:
    """Latencies and failures, shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(int)
        self.error_samples = []

    def record(self, kind, started, status, detail=""):
        elapsed_ms = (time.monotonic() - started) * 1000
        with self.lock:
            self.latencies[kind].append(elapsed_ms)
            if status not in (200, 304):
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind} {status} {detail[:200]}")


def request(port, method, path, *, body=None, headers=None, timeout=30):
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def reader(port, stop, recorder, offset):
    index = offset
    while not stop.is_set():
        kind, path = PUBLIC_PATHS[index % len(PUBLIC_PATHS)]
        index += 1
        started = time.monotonic()
        try:
            status, body = request(port, "GET", path)
            recorder.record(kind, started, status, body.decode("utf-8", "replace"))
        except OSError as error:
            recorder.record(kind, started, 0, repr(error))


def writer(port, stop, recorder, spec, acknowledged):
    """PATCH the note of this writer's annotations in turn; remember what was acknowledged."""
    headers = {"Authorization": f"Token {spec['token']}", "Content-Type": "application/json"}
    versions = dict.fromkeys(spec["annotations"], 1)
    count = 0
    while not stop.is_set():
        pk = spec["annotations"][count % len(spec["annotations"])]
        count += 1
        note = f"Load note {count} from writer {spec['token'][:6]}."
        body = json.dumps({"note": note, "version": versions[pk]})
        started = time.monotonic()
        try:
            status, answer = request(
                port, "PATCH", f"/api/v1/editorial/annotations/{pk}/", body=body, headers=headers
            )
        except OSError as error:
            recorder.record("write", started, 0, repr(error))
            continue
        recorder.record("write", started, status, answer.decode("utf-8", "replace"))
        if status == 200:
            versions[pk] = json.loads(answer)["version"]
            acknowledged[pk].append(note)


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def stored_annotations(database):
    """Return {annotation id: (note, version)} as the database holds them."""
    code = (
        "import django, json; django.setup(); from evidence.models import Annotation; "
        "print(json.dumps({a.pk: [a.note, a.version] for a in "
        f"Annotation.objects.filter(article__slug={DRAFT_SLUG!r})}}))"
    )
    output = _run([PYTHON, "-c", code], site_env(database), "reading the annotations back")
    return {int(pk): tuple(value) for pk, value in json.loads(output.splitlines()[-1]).items()}


def lost_writes(acknowledged, stored):
    """Count acknowledged writes the database does not show.

    Each acknowledged PATCH changed the note, so the version must have moved by exactly the
    number of acknowledged writes, and the note must be the last acknowledged one.
    """
    lost = 0
    for pk, notes in acknowledged.items():
        note, version = stored[pk]
        missing = max(0, len(notes) - (version - 1))
        if notes and note != notes[-1]:
            missing = max(missing, 1)
        lost += missing
    return lost


def run_load(seconds):
    with prepared_database(setup="bench.row_load:setup_load_content") as database:
        manifest = json.loads(database.with_name(MANIFEST_NAME).read_text(encoding="utf-8"))
        # The throttles guard the public site against one noisy client; here that client is
        # the load generator itself, so they are lifted to measure the site.
        with running_site(
            database, KETASITE_THROTTLE_ANON="1000000/min", KETASITE_THROTTLE_USER="1000000/min"
        ) as site:
            for _, path in PUBLIC_PATHS:  # warm both workers' caches and connections
                for _ in range(4):
                    request(site.port, "GET", path)
            stop = threading.Event()
            recorder = Recorder()
            acknowledged = defaultdict(list)
            threads = [
                threading.Thread(target=reader, args=(site.port, stop, recorder, n))
                for n in range(READERS)
            ] + [
                threading.Thread(
                    target=writer, args=(site.port, stop, recorder, spec, acknowledged)
                )
                for spec in manifest["writers"]
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(seconds)
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            elapsed = time.monotonic() - started
        stored = stored_annotations(database)
    return recorder, acknowledged, stored, elapsed


def run(options=None) -> list[dict]:
    options = options or {}
    seconds = options.get("load_seconds") or int(
        os.environ.get("KETASITE_LOAD_SECONDS") or (10 if options.get("quick") else 60)
    )
    recorder, acknowledged, stored, elapsed = run_load(seconds)
    total = sum(len(values) for values in recorder.latencies.values())
    errors = sum(recorder.errors.values())
    writes = sum(len(notes) for notes in acknowledged.values())
    lost = lost_writes(acknowledged, stored)
    everything = [value for values in recorder.latencies.values() for value in values]
    rows = [
        {
            "benchmark": f"load: {seconds} s, {READERS} readers + {WRITERS} writers "
                         "(pages, API reads, annotation PATCH)",
            "measured": f"{total} requests, {total / elapsed:.0f} req/s",
            "target": "-",
            "ok": None,
        },
        {
            "benchmark": "load: errors (non-2xx/304 or connection failures)",
            "measured": f"{errors}" + (f" e.g. {recorder.error_samples[0]}" if errors else ""),
            "target": "0",
            "ok": errors == 0,
        },
        {
            "benchmark": "load: lost writes (acknowledged PATCH not in the database)",
            "measured": f"{lost} of {writes} acknowledged",
            "target": "0, with at least one write",
            "ok": lost == 0 and writes > 0,
        },
        {
            "benchmark": "load: latency, all requests",
            "measured": f"p50 {percentile(everything, 0.5):.0f} ms, "
                        f"p99 {percentile(everything, 0.99):.0f} ms",
            "target": "reported",
            "ok": None,
        },
    ]
    for kind in ("page", "api", "write"):
        values = recorder.latencies.get(kind, [])
        rows.append({
            "benchmark": f"load: latency, {kind}",
            "measured": f"{len(values)} requests, p50 {percentile(values, 0.5):.0f} ms, "
                        f"p99 {percentile(values, 0.99):.0f} ms",
            "target": "reported",
            "ok": None,
        })
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.row_load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=None, help="Duration (default 60).")
    parser.add_argument("--quick", action="store_true", help="Run for 10 seconds.")
    args = parser.parse_args(argv)
    rows = run({"load_seconds": args.seconds, "quick": args.quick})
    for row in rows:
        verdict = {None: "n/a", True: "ok", False: "MISSED"}[row["ok"]]
        print(f"{row['benchmark']}: {row['measured']} (target {row['target']}) {verdict}")
    return 0 if all(row["ok"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
