"""Load test: gunicorn on loopback under a mix of readers and editorial writers.

Reader threads fetch public pages and public API answers; writer threads, each signed in
with its own API token, PATCH the note of their own annotations on a draft (with the version
they last saw). Afterwards the database is read back: every write the server acknowledged
must be there (the annotation's note is the last acknowledged one, and its version counts
every acknowledged write). Reported: requests, errors, lost writes, and latency percentiles.

Two modes (`KETASITE_LOAD_MODE`, `make loadtest MODE=...`, `--mode`):
- `sqlite` (the default): one server over a temporary SQLite file, each worker's own memory
  as the cache.
- `pg-redis`: two servers over one throwaway PostgreSQL database and one Redis, as several
  app servers are deployed. Readers and writers alternate between the servers request by
  request, so a writer's next PATCH goes to the other server with the version the first one
  answered (a server with a stale view would answer 412, counted as an error). A publisher
  meanwhile publishes approved articles through one server's API and takes each down through
  the other's; a second after each acknowledgement the server that did not make the change
  must answer the page (200, then 404/410). Every request sends the same `Host`, as a proxy
  would, so the page cache is shared (and purged by each publish). Latency is reported per
  server, and so are the page cache hits and the settings held. The database,
  `<KETASITE_BENCH_DB_PREFIX>_load_<random>` (default prefix `ks_bench`), is made on
  `KETASITE_BENCH_POSTGRES` (default postgres://postgres@127.0.0.1:5432) and dropped
  afterwards; Redis is REDIS_URL (required), under a prefix of its own whose keys are deleted
  afterwards.

`make loadtest` runs it for 60 s (`KETASITE_LOAD_SECONDS` changes that); `python -m
bench.row_load --quick` runs it for 10 s.
"""

import argparse
import contextlib
import http.client
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

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
MODES = ("sqlite", "pg-redis")
# pg-redis: the Host every request names, as a proxy in front of several servers passes the
# public one (the page cache key holds the host: with each server's own address in it, no page
# would be shared).
PUBLIC_HOST = "localhost"
# pg-redis: one publisher publishes approved articles through one server's API and takes each
# down through the other's; a second after each acknowledgement the other server must show it.
ARTICLES_TO_PUBLISH = 40
SEEN_WITHIN_SECONDS = 1.0
# The throttles guard the public site against one noisy client; here that client is the load
# generator itself, so they are lifted to measure the site.
LIFTED_THROTTLES = {"KETASITE_THROTTLE_ANON": "1000000/min",
                    "KETASITE_THROTTLE_USER": "1000000/min"}


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
        # A usable password: a token of an account that cannot sign in is void (401).
        user = User.objects.create_user(f"load-writer-{number}",
                                        password=secrets.token_urlsafe(16))
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
    publisher = _approved_articles_for_a_publisher(blocks)
    manifest = os.environ.get("KETASITE_LOAD_MANIFEST") or Path(
        settings.DATABASES["default"]["NAME"]).with_name(MANIFEST_NAME)
    Path(manifest).write_text(json.dumps({"writers": writers, "publisher": publisher}),
                              encoding="utf-8")


def _approved_articles_for_a_publisher(blocks):
    """ARTICLES_TO_PUBLISH articles taken through the real workflow to approved (a reviewer
    assigned, submitted by their editor, approved by the reviewer), and a publisher's token."""
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from articles import workflow
    from articles.models import Article, Revision

    def member(name, group):
        user = User.objects.create_user(name, password=secrets.token_urlsafe(16))
        user.groups.add(Group.objects.get(name=group))
        return user

    editor = member("load-editor", "Editors")
    reviewer = member("load-reviewer", "Reviewers")
    publisher = member("load-publisher", "Publishers")
    articles = []
    for number in range(ARTICLES_TO_PUBLISH):
        article = Article.objects.create(slug=f"load-news-{number}", created_by=editor)
        revision = Revision.objects.create(
            article=article, number=1, title=f"Load news {number}", author=editor,
            summary="An article published and taken down during the load test.", blocks=blocks,
        )
        article.draft = revision
        article.save(update_fields=["draft"])
        workflow.assign_reviewers(article, actor=editor, reviewers=[reviewer])
        workflow.submit(article, actor=editor)
        workflow.approve(article, actor=reviewer)
        articles.append({"pk": article.pk, "slug": article.slug})
    return {"token": Token.objects.create(user=publisher).key, "articles": articles}


class Recorder:
    """Latencies and failures, shared by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(int)
        self.error_samples = []
        self.by_server = defaultdict(list)
        self.errors_by_server = defaultdict(int)
        # Public reads answered from the page cache (X-Cache: hit), per server.
        self.hits_by_server = defaultdict(int)
        self.reads_by_server = defaultdict(int)

    def record(self, kind, started, status, detail="", server="", cache=None):
        elapsed_ms = (time.monotonic() - started) * 1000
        with self.lock:
            self.latencies[kind].append(elapsed_ms)
            self.by_server[server].append(elapsed_ms)
            if kind != "write":
                self.reads_by_server[server] += 1
                self.hits_by_server[server] += cache == "hit"
            if status not in (200, 304):
                self.errors[kind] += 1
                self.errors_by_server[server] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind} {status} {server} {detail[:200]}")


def request(port, method, path, *, body=None, headers=None, timeout=30, host=None):
    """One request on a fresh connection (gunicorn's sync workers close each one), naming
    `host` in its Host header when given; return (status, body, X-Cache header or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = dict(headers or {})
    if host:
        headers["Host"] = host
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("X-Cache")
    finally:
        connection.close()


class Target:
    """The servers a load thread sends to, in turn: (name, port) pairs, and the Host."""

    def __init__(self, servers, host=None):
        self.servers = servers
        self.host = host

    def pick(self, index):
        return self.servers[index % len(self.servers)]


def reader(target, stop, recorder, offset):
    index = offset
    while not stop.is_set():
        kind, path = PUBLIC_PATHS[index % len(PUBLIC_PATHS)]
        name, port = target.pick(index)
        index += 1
        started = time.monotonic()
        try:
            status, body, cache = request(port, "GET", path, host=target.host)
            recorder.record(kind, started, status, body.decode("utf-8", "replace"), name, cache)
        except OSError as error:
            recorder.record(kind, started, 0, repr(error), name)


def writer(target, stop, recorder, spec, acknowledged, offset=0):
    """PATCH the note of this writer's annotations in turn, each request to the next server;
    remember what was acknowledged."""
    headers = {"Authorization": f"Token {spec['token']}", "Content-Type": "application/json"}
    versions = dict.fromkeys(spec["annotations"], 1)
    count = 0
    while not stop.is_set():
        pk = spec["annotations"][count % len(spec["annotations"])]
        name, port = target.pick(offset + count)
        count += 1
        note = f"Load note {count} from writer {spec['token'][:6]}."
        body = json.dumps({"note": note, "version": versions[pk]})
        started = time.monotonic()
        try:
            status, answer, _ = request(
                port, "PATCH", f"/api/v1/editorial/annotations/{pk}/", body=body,
                headers=headers, host=target.host,
            )
        except OSError as error:
            recorder.record("write", started, 0, repr(error), name)
            continue
        recorder.record("write", started, status, answer.decode("utf-8", "replace"), name)
        if status == 200:
            versions[pk] = json.loads(answer)["version"]
            acknowledged[pk].append(note)


def publisher(target, stop, recorder, spec, seen):
    """Publish an approved article through one server's API, and take it down through the
    other's; SEEN_WITHIN_SECONDS after each acknowledgement, GET its page twice on the
    server that did not make the change. `seen` gets (action, as expected, statuses)."""
    headers = {"Authorization": f"Token {spec['token']}", "Content-Type": "application/json"}
    for number, article in enumerate(spec["articles"]):
        page = f"/articles/{article['slug']}/"
        steps = (("publish", target.pick(number), target.pick(number + 1), (200,)),
                 ("unpublish", target.pick(number + 1), target.pick(number), (404, 410)))
        for action, (name, port), (_, other), expected in steps:
            if stop.is_set():
                return
            body = json.dumps({"action": action, "comment": "Load test."})
            started = time.monotonic()
            try:
                status, answer, _ = request(
                    port, "POST", f"/api/v1/editorial/articles/{article['pk']}/transitions/",
                    body=body, headers=headers, host=target.host,
                )
            except OSError as error:
                recorder.record(action, started, 0, repr(error), name)
                return
            acknowledged_at = time.monotonic()
            recorder.record(action, started, status, answer.decode("utf-8", "replace"), name)
            if status != 200:
                return
            time.sleep(max(0.0, acknowledged_at + SEEN_WITHIN_SECONDS - time.monotonic()))
            statuses = []
            for _ in range(2):
                try:
                    statuses.append(request(other, "GET", page, host=target.host)[0])
                except OSError:
                    statuses.append(0)
            seen.append((action, all(code in expected for code in statuses), statuses))


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


def drive(target, manifest, seconds, *, publishing=False):
    """Warm the servers, run the readers and writers (and with `publishing` the publisher)
    for `seconds`; return (recorder, acknowledged writes, what the publisher saw, elapsed
    seconds)."""
    for _, port in target.servers:  # warm every worker's caches and connections
        for _, path in PUBLIC_PATHS:
            for _ in range(4):
                request(port, "GET", path, host=target.host)
    stop = threading.Event()
    recorder = Recorder()
    acknowledged = defaultdict(list)
    threads = [
        threading.Thread(target=reader, args=(target, stop, recorder, n))
        for n in range(READERS)
    ] + [
        threading.Thread(
            target=writer, args=(target, stop, recorder, spec, acknowledged, number)
        )
        for number, spec in enumerate(manifest["writers"])
    ]
    seen = []
    if publishing:
        threads.append(threading.Thread(
            target=publisher, args=(target, stop, recorder, manifest["publisher"], seen)
        ))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return recorder, acknowledged, seen, time.monotonic() - started


def run_load(seconds):
    """The sqlite mode: one server over a temporary SQLite file."""
    with prepared_database(setup="bench.row_load:setup_load_content") as database:
        manifest = json.loads(database.with_name(MANIFEST_NAME).read_text(encoding="utf-8"))
        with running_site(database, **LIFTED_THROTTLES) as site:
            recorder, acknowledged, seen, elapsed = drive(
                Target([("A", site.port)]), manifest, seconds
            )
        stored = stored_annotations(database)
    settings = {"servers": "1 gunicorn, 2 sync workers", "database": "SQLite (a file)",
                "cache": "each worker's own memory"}
    return recorder, acknowledged, stored, [], elapsed, settings


POSTGRES_URL = os.environ.get("KETASITE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Throwaway databases are named <prefix>_<row>_<random>: a shared server keeps each user's apart.
DATABASE_PREFIX = os.environ.get("KETASITE_BENCH_DB_PREFIX", "ks_bench")


@contextlib.contextmanager
def postgres_load_database():
    """Yield (URL, PostgreSQL version) of a throwaway database, migrated, static files
    collected, filled by `setup_load_content`; drop it afterwards."""
    import psycopg

    base = POSTGRES_URL.rstrip("/")
    name = f"{DATABASE_PREFIX}_load_{secrets.token_hex(4)}"
    url = f"{base}/{name}"
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as admin:
        version = admin.execute("SHOW server_version").fetchone()[0]
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="ketasite-load-") as directory:
            manifest = Path(directory) / MANIFEST_NAME
            env = site_env(url, DJANGO_STATIC_ROOT=Path(directory) / "static",
                           KETASITE_LOAD_MANIFEST=manifest)
            _run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
            _run([PYTHON, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
            code = ("import django; django.setup(); "
                    "from bench.row_load import setup_load_content; setup_load_content()")
            _run([PYTHON, "-c", code], env, "setup_load_content")
            yield url, version, json.loads(manifest.read_text(encoding="utf-8")), env
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _delete_redis_keys(redis_url, prefix):
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])


def run_load_pg_redis(seconds, workers=2):
    """The pg-redis mode: two servers over one PostgreSQL database and one Redis."""
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:
        raise RuntimeError("MODE=pg-redis needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    prefix = f"ks-load-{secrets.token_hex(4)}"
    shared = dict(LIFTED_THROTTLES, REDIS_URL=redis_url, KETASITE_CACHE_PREFIX=prefix,
                  DJANGO_ALLOWED_HOSTS=f"{PUBLIC_HOST},127.0.0.1")
    try:
        with postgres_load_database() as (url, version, manifest, env):
            static = {"DJANGO_STATIC_ROOT": env["DJANGO_STATIC_ROOT"]}
            with (
                running_site(url, workers=workers, **shared, **static) as a,
                running_site(url, workers=workers, **shared, **static) as b,
            ):
                target = Target([("A", a.port), ("B", b.port)], host=PUBLIC_HOST)
                recorder, acknowledged, seen, elapsed = drive(
                    target, manifest, seconds, publishing=True
                )
                ports = {"A": a.port, "B": b.port}
            stored = stored_annotations(url)
    finally:
        _delete_redis_keys(redis_url, prefix)
    settings = {
        "servers": f"2 gunicorn (A :{ports['A']}, B :{ports['B']}), {workers} sync workers "
                   f"each, Host: {PUBLIC_HOST} on every request (as from a proxy)",
        "database": f"PostgreSQL {version}, one throwaway database, CONN_MAX_AGE "
                    f"{os.environ.get('DJANGO_CONN_MAX_AGE', '60')} s",
        "cache": f"Redis {urlsplit(redis_url).netloc}{urlsplit(redis_url).path} shared "
                 f"(prefix {prefix}): page cache, throttle counters",
        "ports": ports,
    }
    return recorder, acknowledged, stored, seen, elapsed, settings


def run(options=None) -> list[dict]:
    options = options or {}
    seconds = options.get("load_seconds") or int(
        os.environ.get("KETASITE_LOAD_SECONDS") or (10 if options.get("quick") else 60)
    )
    mode = options.get("mode") or os.environ.get("KETASITE_LOAD_MODE") or "sqlite"
    if mode not in MODES:
        raise ValueError(f"unknown load mode {mode!r}; use one of {', '.join(MODES)}")
    load_before = os.getloadavg()
    if mode == "pg-redis":
        recorder, acknowledged, stored, seen, elapsed, held = run_load_pg_redis(seconds)
    else:
        recorder, acknowledged, stored, seen, elapsed, held = run_load(seconds)
    load_after = os.getloadavg()
    total = sum(len(values) for values in recorder.latencies.values())
    errors = sum(recorder.errors.values())
    writes = sum(len(notes) for notes in acknowledged.values())
    lost = lost_writes(acknowledged, stored)
    everything = [value for values in recorder.latencies.values() for value in values]
    rows = [
        {
            "benchmark": f"load ({mode}): {seconds} s, {READERS} readers + {WRITERS} writers "
                         + ("+ 1 publisher " if mode == "pg-redis" else "")
                         + "(pages, API reads, annotation PATCH"
                         + (", publish and take-down)" if mode == "pg-redis" else ")"),
            "measured": f"{total} requests, {total / elapsed:.0f} req/s",
            "target": "-",
            "ok": None,
        },
        {
            "benchmark": "load: settings held",
            "measured": "; ".join(f"{key}: {value}" for key, value in held.items()
                                  if key != "ports")
                        + "; throttles lifted (one client); machine load (1 min) "
                        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after "
                        f"on {os.cpu_count()} cores",
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
    if mode == "pg-redis":
        missed = [f"{action} {statuses}" for action, ok, statuses in seen if not ok]
        rows.append({
            "benchmark": "load: publishes and take-downs through one server's API, seen on "
                         f"the other {SEEN_WITHIN_SECONDS:.0f} s after (two GETs of the page)",
            "measured": f"{len(seen) - len(missed)} of {len(seen)} "
                        f"({sum(action == 'publish' for action, _, _ in seen)} publishes)"
                        + (f"; missed: {', '.join(missed[:3])}" if missed else ""),
            "target": "all, at least one",
            "ok": bool(seen) and not missed,
        })
    if len(recorder.by_server) > 1:
        for server in sorted(recorder.by_server):
            values = recorder.by_server[server]
            reads = recorder.reads_by_server[server]
            hits = recorder.hits_by_server[server]
            rows.append({
                "benchmark": f"load: server {server}, all requests",
                "measured": f"{len(values)} requests, {recorder.errors_by_server[server]} "
                            f"errors, p50 {percentile(values, 0.5):.0f} ms, "
                            f"p99 {percentile(values, 0.99):.0f} ms; page cache hits "
                            f"{hits} of {reads} public reads ({hits / max(reads, 1):.0%})",
                "target": "0 errors",
                "ok": recorder.errors_by_server[server] == 0,
            })
    for kind in ("page", "api", "write", "publish", "unpublish"):
        if kind not in recorder.latencies and kind in ("publish", "unpublish"):
            continue
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
    parser.add_argument("--mode", choices=MODES, default=None,
                        help="sqlite (one server) or pg-redis (two servers); default "
                             "KETASITE_LOAD_MODE or sqlite.")
    args = parser.parse_args(argv)
    rows = run({"load_seconds": args.seconds, "quick": args.quick, "mode": args.mode})
    for row in rows:
        verdict = {None: "n/a", True: "ok", False: "MISSED"}[row["ok"]]
        print(f"{row['benchmark']}: {row['measured']} (target {row['target']}) {verdict}")
    return 0 if all(row["ok"] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
