"""Serve ketasite with gunicorn on loopback and load it with wrk: the bench's server half.

Reusable by every bench row:

    with prepared_database(setup="bench.server:setup_public_content") as db:
        with running_site(db) as site:
            bare = load(site.url("/_bench/bare/"))
            page = load(site.url("/articles/bench-article/"))

A site is gunicorn (2 sync workers, DEBUG off) on a random free port, over a temporary SQLite
database prepared by `migrate` and a setup function run in a subprocess, with
`KETASITE_BENCH=true` so the `/_bench/bare/` yardstick view exists. `load` runs wrk bounded
in time and returns requests per second and latency percentiles.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_SECRET = "bench-only-secret-key-0123456789-not-for-production"  # noqa: S105
BENCH_SLUG = "bench-article"


def free_port():
    """A free loopback port: the first free one of KETASITE_TEST_PORTS ("9200-9249") when it
    is set (a machine shared by several people gives each a range), else one the system
    picks. A port found here is free until a server binds it: start the next server after."""
    span = os.environ.get("KETASITE_TEST_PORTS", "")
    candidates = range(int(span.split("-")[0]), int(span.split("-")[1]) + 1) if span else [0]
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in KETASITE_TEST_PORTS={span}")


def site_env(database, **extra):
    """Return the environment of a bench server or setup process over `database`: the path
    of a SQLite file, or a database URL (a PostgreSQL one)."""
    env = dict(os.environ)
    for name in ("REDIS_URL", "KETASITE_TESTING", "DJANGO_DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="ketasite.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=BENCH_SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=str(database) if "://" in str(database) else f"sqlite:///{database}",
        KETASITE_BENCH="true",
        KETASITE_SITE_URL="http://127.0.0.1",
        DJANGO_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def _run(args, env, what):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result.stdout


@contextlib.contextmanager
def prepared_database(*, setup=None):
    """Yield the path of a temporary SQLite database, migrated, static files collected, and
    filled by `setup` ("module:function", run in a subprocess with Django set up)."""
    directory = Path(tempfile.mkdtemp(prefix="ketasite-bench-"))
    database = directory / "bench.sqlite3"
    env = site_env(database)
    try:
        _run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
        _run([PYTHON, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        if setup:
            module, function = setup.split(":")
            code = (
                "import django; django.setup(); "
                f"import importlib; importlib.import_module({module!r}).{function}()"
            )
            _run([PYTHON, "-c", code], env, f"setup {setup}")
        yield database
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Site:
    port: int
    process: subprocess.Popen

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.contextmanager
def running_site(database, *, workers=2, **env_extra):
    """Run gunicorn over `database` and yield a Site; stop it afterwards."""
    port = free_port()
    env = site_env(database, **env_extra)
    gunicorn = str(Path(PYTHON).with_name("gunicorn"))
    process = subprocess.Popen(
        [gunicorn, "ketasite.wsgi:application", "--workers", str(workers),
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    site = Site(port=port, process=process)
    try:
        _wait_until_up(site)
        yield site
    finally:
        stop_process(process, timeout=10)


def stop_process(process, timeout):
    """Ask `process` to stop; kill it when it has not stopped after `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_up(site, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {site.process.stderr.read()[-3000:]}")
        try:
            with urllib.request.urlopen(site.url("/_bench/bare/"), timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def fetch(url):
    """GET `url`; return (status, headers, body). Errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


# What a browser sends, so that the site may answer with its gzip form.
BROWSER_HEADERS = ("Accept-Encoding: gzip, deflate, br",)


def load(url, *, seconds=10, connections=16, threads=2, headers=()):
    """Load `url` with wrk, sending `headers` ("Name: value"); return {rps, p50_ms, p99_ms,
    errors, requests}."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    # Warm up each worker (caches, connections) outside the measurement.
    for _ in range(20):
        fetch(url)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         *(argument for header in headers for argument in ("-H", header)), url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    requests = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50_ms": _ms(p50.group(1)) if p50 else float("nan"),
        "p99_ms": _ms(p99.group(1)) if p99 else float("nan"),
        "requests": int(requests.group(1)) if requests else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _seed_blocks(text):
    """Blocks from a plain-text seed: the first line a heading, short lines headings."""
    from articles.blocks import with_text

    blocks = []
    for index, part in enumerate(p.strip() for p in re.split(r"\n\s*\n", text)):
        if not part:
            continue
        kind = "heading" if len(part) < 80 and not part.endswith(".") else "paragraph"
        block = {"id": f"b{index}", "type": kind, "text": " ".join(part.split())}
        if kind == "heading":
            block["level"] = 2
        blocks.append(with_text(block))
    return blocks[1:], blocks[0]["text"] if blocks else "Bench article"


def setup_public_content(annotations=200):
    """Publish seed 001 as BENCH_SLUG with `annotations` rated passages (run via setup)."""
    from django.conf import settings
    from django.utils import timezone

    from articles.models import Article, Revision
    from articles.publishing import freeze_publication
    from evidence.models import Annotation, Citation, Source

    seed = sorted(Path(settings.KETASITE_SEEDS_DIR).glob("001_*"))[0]
    blocks, title = _seed_blocks(seed.read_text(encoding="utf-8", errors="replace"))
    article = Article.objects.create(slug=BENCH_SLUG, state=Article.State.DRAFT)
    article.tags.add("adhd", "ketamine")
    revision = Revision.objects.create(
        article=article, number=1, title=title, summary="A seed article for the benchmark.",
        blocks=blocks,
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    sources = [
        Source.objects.create(title=f"Bench source {n}", pmid=str(1000 + n), year=2020)
        for n in range(1, 11)
    ]
    for number, source in enumerate(sources, start=1):
        Citation.objects.create(revision=revision, source=source, number=number)

    # Spread the passages over the paragraphs, a few words each, without overlaps.
    spans = []
    paragraphs = [b for b in blocks if b["type"] == "paragraph"]
    for block in paragraphs:
        for match in re.finditer(r"\S+ \S+", block["text"]):
            spans.append((block, match.start(), match.end()))
    step = max(1, len(spans) // annotations)
    verdicts = [v for v, _ in Annotation.Verdict.choices]
    certainties = [c for c, _ in Annotation.Certainty.choices]
    for index, (block, start, end) in enumerate(spans[::step][:annotations]):
        row = Annotation.objects.create(
            article=article, revision=revision, block_id=block["id"], start=start, end=end,
            exact=block["text"][start:end], prefix=block["text"][max(0, start - 32):start],
            suffix=block["text"][end:end + 32], verdict=verdicts[index % len(verdicts)],
            certainty=certainties[index % len(certainties)],
            note=f"Reviewer note {index}: the cited trial was small and unblinded.",
            note_html=f"<p>Reviewer note {index}: the cited trial was small and unblinded.</p>",
        )
        row.sources.set([sources[index % len(sources)]])
    now = timezone.now()
    publication = freeze_publication(article, actor=None, published_at=now)
    article.live = publication
    article.state = Article.State.PUBLISHED
    article.first_published_at = article.last_published_at = now
    article.save(update_fields=["live", "state", "first_published_at", "last_published_at"])
    print(f"published {BENCH_SLUG}: {len(publication.annotations)} annotations")
