"""`make bench-scale`: each row of issue 15's table on a large corpus against a 100-article one.

    python -m bench.scale [--scale 20000] [--reuse-database NAME] [--reuse-small NAME]

Builds two PostgreSQL databases with `generate_corpus` (SCALE articles and 100 articles, 20
annotations each) unless told to reuse one, serves each on gunicorn with the same settings as
`make bench` (`bench.server.running_site`: 2 sync workers, DEBUG off), and measures every row
on both, in the same run: latency percentiles with wrk, query counts and the in-process rows
(transitions, publishing, re-anchoring) in a probe subprocess on each database. Prints one
table, large against small, and writes the figures to bench/results/scale-<SCALE>-<time>.json
with the machine's load. Not a `row_*` module: `make bench` does not run it, nor does CI.

Needs PostgreSQL (KETASITE_BENCH_POSTGRES, default postgres://postgres@127.0.0.1:5432) and
wrk. The databases it creates are named <--db-prefix>_<size> and kept, so a second run can
pass them to --reuse-database / --reuse-small.
"""

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.server import (
    BROWSER_HEADERS,
    PYTHON,
    ROOT,
    _run,
    load,
    running_site,
    site_env,
)

SMALL = 100
ANNOTATIONS = 20
BIG_ARTICLE_ANNOTATIONS = 500
BIG_ARTICLE_SLUG = "bench-scale-500-annotations"
BENCH_ADMIN = "bench-scale-admin"
RESULTS = ROOT / "bench" / "results"
BARE = "/_bench/bare/"
POSTGRES = os.environ.get("KETASITE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REPS = 5
# As `make bench`'s API and search rows: no throttle counts the benchmark's own requests.
UNTHROTTLED = {"KETASITE_THROTTLE_ANON": "100000000/min",
               "KETASITE_THROTTLE_USER": "100000000/min",
               "KETASITE_THROTTLE_SEARCH": "100000000/min"}


def database_url(name):
    return f"{POSTGRES.rstrip('/')}/{name}"


def _admin_sql(sql):
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def vacuum_database(name):
    """VACUUM (ANALYZE) a reused corpus database before it is measured.

    Each run re-anchors and publishes its 500-annotation article many times and rolls each
    back: the dead row versions stay on that article's pages until a vacuum, and this
    machine's PostgreSQL runs with autovacuum off. Reused three times without one, the
    re-anchoring row went from 1.09x to 1.18x to 1.32x (33,000 dead annotation rows), while
    the small database, built afresh each run, had none."""
    import psycopg

    with psycopg.connect(database_url(name), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def build_database(name, articles, *, workers):
    """Create `name` afresh, migrate it and fill it with a corpus of `articles`."""
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    _admin_sql(f'CREATE DATABASE "{name}"')
    env = site_env(database_url(name))
    _run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
    started = time.monotonic()
    _run([PYTHON, "manage.py", "generate_corpus", "--articles", str(articles),
          "--annotations-per-article", str(ANNOTATIONS), "--workers", str(workers),
          "--yes-this-is-a-test-database", "-v", "0"], env, "generate_corpus")
    return time.monotonic() - started


def _probe(name, what, **env):
    """Run `probe_<what>()` below in a subprocess on database `name`; return its JSON."""
    code = ("import django; django.setup(); import json, bench.scale as s; "
            f"print('@@' + json.dumps(s.probe_{what}()))")
    output = _run([PYTHON, "-c", code], site_env(database_url(name), **env), f"probe {what}")
    line = next(line for line in output.splitlines() if line.startswith("@@"))
    return json.loads(line[2:])


def _probe_or_error(name, what, **env):
    try:
        return _probe(name, what, **env)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return {"error": str(error)[-2000:], "queries": {}}


# In the probe subprocess (Django set up on one database) ----------------------------------


def probe_setup():
    """Idempotent fixtures of the bench: an admin with a session, an editor's API token, an
    article with 500 rated annotations (in review), and the URLs to measure."""
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Max, Min
    from django.test import Client

    from accounts.tokens import issue_token
    from articles.models import Article, LiveTagCount, Publication

    admin, _ = User.objects.get_or_create(
        username=BENCH_ADMIN, defaults={"is_staff": True, "is_superuser": True})
    session = SessionStore()
    session["_auth_user_id"] = str(admin.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = admin.get_session_auth_hash()
    session.create()
    # A token needs an account that may sign in (the corpus's staff have no password).
    editor, created = User.objects.get_or_create(username="bench-scale-editor",
                                                 defaults={"is_staff": True})
    if created:
        editor.set_password(User.objects.make_random_password()
                            if hasattr(User.objects, "make_random_password")
                            else "bench-scale-" + session.session_key)
        editor.save()
        editor.groups.add(Group.objects.get(name="Editors"))
    token = issue_token(user=editor).key
    big = _big_article(admin)
    live = Publication.objects.live()
    bounds = live.aggregate(low=Min("pk"), high=Max("pk"))
    middle = live.filter(pk__gte=(bounds["low"] + bounds["high"]) // 2).order_by("pk").first()
    count = live.count()
    # The tag page is measured on each side's largest tag: the 100-article corpus's tags hold
    # under a page each (about 10 live articles), so a fixed tag compared 6 cards with 12.
    biggest_tag = LiveTagCount.objects.order_by("-live", "tag_slug").first()
    # The page size as the API itself gives it (nothing outside the public app imports it).
    first_page = Client(SERVER_NAME="127.0.0.1").get("/api/v1/articles/").json()
    last_page = max(1, math.ceil(first_page["count"] / max(1, len(first_page["results"]))))
    return {
        "session": session.session_key, "token": token, "big_article": big,
        "slug": middle.slug, "live": count, "last_page": last_page,
        "articles": Article.objects.count(),
        "editorial_matches": Article.objects.filter(
            state=Article.State.IN_REVIEW, tags__name__iexact="depression").count(),
        "tag": biggest_tag.tag_slug if biggest_tag else "depression",
        "tag_live": biggest_tag.live if biggest_tag else None,
    }


def _big_article(admin):
    """The article of the re-anchoring and approve-gate rows: 500 rated passages on a
    corpus text, in review (made once through the real services)."""
    from articles import workflow
    from articles.corpus import TextSource
    from articles.models import Article
    from evidence.annotations import create_annotation

    existing = Article.objects.filter(slug=BIG_ARTICLE_SLUG).first()
    if existing:
        return existing.pk
    import random
    import re

    from django.contrib.auth.models import User

    editor = User.objects.get(username="corpus-editor-1")
    reviewer = User.objects.get(username="corpus-reviewer-1")
    rng = random.Random(500)
    text = TextSource(seed=500)
    blocks = []
    while len(blocks) < 120:
        blocks += [b for b in text.article_text(rng)[2] if b["type"] == "paragraph"]
    seen = set()
    unique = []
    for block in blocks:
        if block["id"] not in seen:
            seen.add(block["id"])
            unique.append(block)
    article = workflow.create_article(actor=editor, slug=BIG_ARTICLE_SLUG, tags=["depression"])
    workflow.save_revision(article, actor=editor, base_number=0, title="Five hundred claims",
                           summary="The bench's article with 500 rated passages.",
                           blocks=unique[:150])
    article.refresh_from_db()
    made = 0
    for block in article.draft.blocks:
        for match in re.finditer(r"\S+ \S+ \S+", block["text"]):
            if made >= BIG_ARTICLE_ANNOTATIONS:
                break
            if match.start() % 3:
                continue
            create_annotation(article=article, actor=reviewer, block_id=block["id"],
                              start=match.start(), end=match.end(), certainty="moderate",
                              verdict="supported", note="Bench passage.")
            made += 1
    workflow.assign_reviewers(article, actor=editor, reviewers=[reviewer])
    workflow.submit(article, actor=editor)
    return article.pk


def _timed(function, prepare=None, reps=REPS):
    """Run `function` `reps` times, each in a transaction rolled back (after `prepare`, not
    timed); return the median milliseconds and the queries of one run (count, slowest)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    times, queries = [], None
    for _ in range(reps):
        with transaction.atomic():
            if prepare:
                prepare()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                function()
                times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
        if queries is None:
            queries = {"count": len(captured.captured_queries),
                       "slowest_ms": max((float(q["time"]) * 1000
                                          for q in captured.captured_queries), default=0.0)}
    return {"ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000,
            "max_ms": max(times) * 1000, "queries": queries}


def transition_runs():
    """The in-process rows as {name: (function, prepare)}: each workflow transition (gate and
    notifications included) on the first article of its state, publishing one article with
    the purge, re-anchoring and the approve gate of the 500-annotation article (made by
    `probe_setup`). `prepare` (or None) readies the article and is not timed. Each function
    changes the database: run it in a transaction that is rolled back (`_timed`)."""
    from django.contrib.auth.models import User

    from articles import workflow
    from articles.models import Article

    editor = User.objects.get(username="corpus-editor-1")
    reviewer = User.objects.get(username="corpus-reviewer-2")
    publisher = User.objects.get(username="corpus-publisher-1")

    def first(state, **extra):
        return Article.objects.filter(state=state, **extra).exclude(
            slug=BIG_ARTICLE_SLUG).order_by("pk").first()

    draft = first(Article.State.DRAFT)
    in_review = first(Article.State.IN_REVIEW)
    approved = first(Article.State.APPROVED)
    big = Article.objects.get(slug=BIG_ARTICLE_SLUG)

    def assign():  # the submit gate wants a reviewer: assigned first, not timed
        workflow.assign_reviewers(draft, actor=editor, reviewers=[reviewer])

    def submit():
        workflow.submit(Article.objects.get(pk=draft.pk), actor=draft.created_by)

    def rate():  # the approve gate wants every open passage rated: done first, not timed
        from evidence.models import Annotation

        Annotation.objects.filter(revision_id=in_review.draft_id, certainty="").update(
            certainty="low", verdict="mixed")

    def approve():
        article = Article.objects.get(pk=in_review.pk)
        workflow.approve(article, actor=article.review_assignments.first().reviewer)

    def publish():
        workflow.publish(Article.objects.get(pk=approved.pk), actor=publisher)

    def reanchor():
        article = Article.objects.get(pk=big.pk)
        blocks = [dict(b) for b in article.draft.blocks]
        blocks[0] = dict(blocks[0], text="A new first sentence. " + blocks[0]["text"])
        workflow.save_revision(article, actor=editor, base_number=article.draft.number,
                               blocks=blocks)

    def gate():
        workflow.approve_gate(Article.objects.get(pk=big.pk))

    runs = {}
    if draft:
        runs["submit"] = (submit, assign)
    if in_review:
        runs["approve"] = (approve, rate)
    if approved:
        runs["publish"] = (publish, None)
    runs["reanchor_500"] = (reanchor, None)
    runs["approve_gate_500"] = (gate, None)
    return runs


def probe_inprocess():
    """The rows measured in process (`transition_runs`, median of REPS runs each) and the
    query counts of the public pages."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    runs = transition_runs()
    results = {name: (_timed(*runs[name]) if name in runs else None)
               for name in ("submit", "approve", "publish", "reanchor_500",
                            "approve_gate_500")}

    setup = probe_setup()
    client = Client(SERVER_NAME="127.0.0.1")
    counts = {}
    for name, url in _public_urls(setup).items():
        reset_queries()  # what each request's start does, so the count starts at 0
        with CaptureQueriesContext(connection) as captured:
            status = client.get(url, headers={"accept-encoding": "gzip"}).status_code
        counts[name] = {"status": status, "queries": len(captured.captured_queries)}
    results["queries"] = counts
    return results


def _public_urls(setup):
    return {
        "article": f"/articles/{setup['slug']}/",
        "api_detail": f"/api/v1/articles/{setup['slug']}/",
        "home": "/",
        "tag": f"/tags/{setup.get('tag', 'depression')}/",
        "feed": "/feed/",
        "search_common": "/search/?q=ketamine",
        "search_rare": "/search/?q=bladder+damage",
        "api_list_first": "/api/v1/articles/",
        "api_list_last": f"/api/v1/articles/?page={setup['last_page']}",
        "sitemap": "/sitemap.xml",
    }


# HTTP rows --------------------------------------------------------------------------------


def _timed_get(url, timeout=60):
    """GET `url`: (status or "timeout", milliseconds, body)."""
    import urllib.error
    import urllib.request

    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    except TimeoutError:
        body, status = b"", "timeout"
    return status, (time.perf_counter() - started) * 1000, body


def _sitemap_files(site):
    """Fetch the sitemap; time each file it lists (or itself), uncached: {path: ms}."""
    import re

    status, _, body = _timed_get(site.url("/sitemap.xml"))
    timings = {}
    locations = re.findall(rb"<loc>([^<]+)</loc>", body) if b"<sitemapindex" in body else []
    paths = ["/sitemap.xml"] + [
        "/" + loc.decode().split("/", 3)[3] for loc in locations
    ]
    for path in paths:
        samples = []
        urls = 0
        for _ in range(3):
            status, ms, content = _timed_get(site.url(path))
            samples.append(ms)
            urls = max(urls, content.count(b"<url>"))
            if status != 200:
                break
        timings[path] = {"ms": statistics.median(samples), "status": status, "urls": urls}
    return timings


def _status(url, headers):
    """The status of one GET of `url` with `headers` ("Name: value")."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers=dict(
        (part.strip() for part in header.split(":", 1)) for header in headers))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _load(site, path, *, seconds, headers=(), **options):
    """wrk on `path`, after checking that it answers 200 (else every request is an error).
    A row that cannot be measured (a timeout) is recorded as failed, not raised."""
    try:
        status = _status(site.url(path), headers)
        result = load(site.url(path), seconds=seconds, headers=headers, **options)
    except (OSError, RuntimeError, subprocess.SubprocessError) as error:
        return {"rps": 0.0, "p50_ms": float("nan"), "p99_ms": float("nan"), "requests": 0,
                "errors": 1, "status": f"{type(error).__name__}: {error}"}
    result["status"] = status
    if status != 200:
        result["errors"] = max(result["errors"], result["requests"], 1)
    return result


CACHED_ROUNDS = 3


def _median_round(results, measure):
    """The wrk result of the round whose `measure` is the median of the rounds."""
    return sorted(results, key=lambda result: result[measure])[len(results) // 2]


def _cached_against_bare(site, urls, *, seconds):
    """The bare view, the cached page and the cached API detail in turns, CACHED_ROUNDS
    rounds, each row the round of median req/s: load from elsewhere on a 2-core machine
    moves one 5-second run by 2x, and taking turns lets all three see the same load."""
    paths = {"bare": BARE, "article_cached": urls["article"],
             "api_detail_cached": urls["api_detail"]}
    runs = {key: [] for key in paths}
    for _ in range(CACHED_ROUNDS):
        for key, path in paths.items():
            runs[key].append(_load(site, path, seconds=seconds, headers=BROWSER_HEADERS))
    out = {key: dict(_median_round(results, "rps"),
                     rounds_rps=[round(result["rps"]) for result in results])
           for key, results in runs.items()}
    out["bare_after"] = out["bare"]
    return out


EDITORIAL_LIST = "/api/v1/editorial/articles/?state=in_review&tag=depression"


def measure_http(name, setup, *, seconds, page_rows=20):
    """All wrk rows on database `name`: a cached and an uncached server."""
    urls = _public_urls(setup)
    token = ("Authorization: Token " + setup["token"],)
    cookie = (f"Cookie: sessionid={setup['session']}",)
    out = {}
    one = {"connections": 1, "threads": 1}
    with running_site(database_url(name), **UNTHROTTLED) as site:
        out.update(_cached_against_bare(site, urls, seconds=seconds))
        # The same number of rows on both sides: the 100-article corpus has one or two
        # articles in review with the tag, and a page of 20 serialised costs 0.35 ms a row
        # more than a page of one at any size; the row is about finding and counting them.
        out["editorial_list"] = _load(
            site, f"{EDITORIAL_LIST}&page_size={page_rows}", seconds=seconds, headers=token,
            **one)
        out["editorial_full_page"] = _load(
            site, "/api/v1/editorial/articles/?state=published", seconds=seconds,
            headers=token, **one)
        for model in ("articles/article", "evidence/annotation", "evidence/source",
                      "articles/workflowevent"):
            out[f"admin_{model.split('/')[1]}"] = _load(
                site, f"/admin/{model}/", seconds=seconds, headers=cookie, **one)
    with running_site(database_url(name), KETASITE_PUBLIC_CACHE="false", **UNTHROTTLED) as site:
        out["sitemap"] = _sitemap_files(site)
    return out


UNCACHED_ROWS = ("article", "home", "tag", "feed", "search_common", "search_rare",
                 "api_list_first", "api_list_last")
UNCACHED_ROUNDS = 3


def uncached_in_turns(names, setups, *, seconds):
    """The uncached latency rows (p50, one connection) of both databases in turns: a server
    on each, cache off, every row on one and then on the other, UNCACHED_ROUNDS rounds; each
    row the round of median p50. Measured one database after the other, minutes apart, a
    5-second p50 of 6 ms moved by a fifth with the machine's load in between (the tag page
    came out 1.23x in one such run and 1.08 to 1.14x in turns minutes later).

    Returns {name: {"<row>_uncached": wrk result with `rounds_p50_ms`}}."""
    one = {"connections": 1, "threads": 1}
    runs = {name: {key: [] for key in UNCACHED_ROWS} for name in names}
    with contextlib.ExitStack() as stack:
        sites = {name: stack.enter_context(running_site(
            database_url(name), KETASITE_PUBLIC_CACHE="false", **UNTHROTTLED))
            for name in names}
        for _ in range(UNCACHED_ROUNDS):
            for key in UNCACHED_ROWS:
                for name in names:
                    url = _public_urls(setups[name])[key]
                    runs[name][key].append(_load(sites[name], url, seconds=seconds,
                                                 headers=BROWSER_HEADERS, **one))
    out = {}
    for name in names:
        out[name] = {}
        for key, results in runs[name].items():
            out[name][f"{key}_uncached"] = dict(
                _median_round(results, "p50_ms"),
                rounds_p50_ms=[result["p50_ms"] for result in results],
                errors=sum(result["errors"] for result in results))
    return out


# The table --------------------------------------------------------------------------------


def _ratio(large, small):
    return large / small if small else float("inf")


def rows_of(small, large):
    """The table: one row per target of the issue, small and large side by side."""
    rows = []

    def p50_row(label, key, limit):
        s, b = small["http"][key]["p50_ms"], large["http"][key]["p50_ms"]
        errors = small["http"][key]["errors"] + large["http"][key]["errors"]
        rows.append({"row": label, "small": f"{s:.1f} ms", "large": f"{b:.1f} ms",
                     "ratio": _ratio(b, s), "target": f"<= {limit}x",
                     "ok": _ratio(b, s) <= limit and not errors})

    def queries_row(label, key, most=None):
        s = small["inprocess"]["queries"].get(key, {}).get("queries")
        b = large["inprocess"]["queries"].get(key, {}).get("queries")
        target = "unchanged" if most is None else f"<= {most}"
        if s is None or b is None:
            rows.append({"row": f"{label}: queries", "small": s, "large": b,
                         "ratio": float("nan"), "target": target, "ok": False})
            return
        rows.append({"row": f"{label}: queries", "small": s, "large": b, "ratio": _ratio(b, s),
                     "target": target, "ok": s == b if most is None else b <= most})

    def bare_row(label, key):
        for size, data in (("small", small), ("large", large)):
            bare = max(data["http"]["bare"]["rps"], data["http"]["bare_after"]["rps"])
            ratio = data["http"][key]["rps"] / bare if bare else 0.0
            rows.append({"row": f"{label} vs bare view ({size})",
                         "small" if size == "small" else "large":
                         f"{data['http'][key]['rps']:.0f} req/s vs {bare:.0f}",
                         "ratio": ratio, "target": ">= 0.9x bare", "ok": ratio >= 0.9})

    def absolute_row(label, key, limit_ms):
        s, b = small["http"][key]["p50_ms"], large["http"][key]["p50_ms"]
        rows.append({"row": label, "small": f"{s:.1f} ms", "large": f"{b:.1f} ms",
                     "ratio": _ratio(b, s), "target": f"< {limit_ms} ms",
                     "ok": b < limit_ms and not large["http"][key]["errors"]})

    def inprocess_row(label, key, limit):
        s, b = small["inprocess"].get(key), large["inprocess"].get(key)
        if not s or not b:
            rows.append({"row": label, "small": "-", "large": "-", "ratio": float("nan"),
                         "target": f"<= {limit}x", "ok": None})
            return
        rows.append({
            "row": label,
            "small": f"{s['ms']:.1f} ms, {s['queries']['count']} q",
            "large": f"{b['ms']:.1f} ms, {b['queries']['count']} q "
                     f"(slowest {b['queries']['slowest_ms']:.1f} ms)",
            "ratio": _ratio(b["ms"], s["ms"]), "target": f"<= {limit}x",
            "ok": _ratio(b["ms"], s["ms"]) <= limit,
        })

    p50_row("article page, uncached: p50", "article_uncached", 1.2)
    queries_row("article page, uncached", "article")
    for key in ("api_detail", "home", "tag", "feed", "search_common", "api_list_first",
                "sitemap"):
        queries_row(key.replace("_", " "), key)
    # The last page of a small list is read with its count in one query; a long list's is
    # read from the oldest end, which needs the count first (one row): two at any size.
    queries_row("api list last (count, then the page)", "api_list_last", most=2)
    p50_row("article page, cached: p50", "article_cached", 1.2)
    bare_row("article page, cached", "article_cached")
    bare_row("API detail, cached", "api_detail_cached")
    p50_row("home: p50 (uncached)", "home_uncached", 1.2)
    tags = [f"{data['setup'].get('tag', 'depression')} ({data['setup'].get('tag_live')} live)"
            for data in (small, large)]
    p50_row(f"tag page, largest tag {tags[0]} / {tags[1]}: p50 (uncached)", "tag_uncached",
            1.2)
    p50_row("feed: p50 (uncached)", "feed_uncached", 1.2)
    absolute_row("search, common word: p50", "search_common_uncached", 50)
    absolute_row("search, two rarer words: p50", "search_rare_uncached", 50)
    small_first = small["http"]["api_list_first_uncached"]["p50_ms"]
    for key, label in (("api_list_first_uncached", "public API list, page 1"),
                       ("api_list_last_uncached", "public API list, last page")):
        b = large["http"][key]["p50_ms"]
        rows.append({"row": f"{label}: p50", "small": f"{small_first:.1f} ms (page 1)",
                     "large": f"{b:.1f} ms", "ratio": _ratio(b, small_first),
                     "target": "<= 1.5x small page 1",
                     "ok": _ratio(b, small_first) <= 1.5 and not large["http"][key]["errors"]})
    rows_shown = small["setup"].get("editorial_page_rows", 20)
    p50_row(f"editorial list, state + tag, {rows_shown} row(s) a side: p50", "editorial_list",
            1.5)
    if "editorial_full_page" in small["http"]:
        p50_row("editorial list, state only, a full page of 20: p50", "editorial_full_page",
                1.5)
    for model in ("article", "annotation", "source", "workflowevent"):
        absolute_row(f"admin changelist, {model}s: p50", f"admin_{model}", 300)
    for size, data in (("small", small), ("large", large)):
        files = data["http"]["sitemap"]
        worst = max(files.values(), key=lambda f: f["ms"])
        most = max(f["urls"] for f in files.values())
        shown = f"{worst['ms']:.0f} ms, <= {most} URLs a file"
        if worst["status"] != 200:
            shown += f" ({worst['status']})"
        rows.append({"row": f"sitemap ({size}): {len(files)} file(s), slowest, uncached",
                     size: shown,
                     "ratio": float("nan"), "target": "< 200 ms, <= 50,000 URLs",
                     "ok": worst["ms"] < 200 and most <= 50_000
                     and all(f["status"] == 200 for f in files.values())})
    inprocess_row("publish one article (freeze + purge)", "publish", 1.5)
    inprocess_row("submit (gate, notifications)", "submit", 1.5)
    inprocess_row("approve (gate, notifications)", "approve", 1.5)
    inprocess_row("re-anchoring, 500 annotations", "reanchor_500", 1.2)
    inprocess_row("approve gate, 500 annotations", "approve_gate_500", 1.2)
    return rows


def _verdict(ok):
    if ok is None:
        return "[yellow]n/a[/]"
    return "[green]ok[/]" if ok else "[red]MISSED[/]"


def print_table(rows, *, scale, load_text):
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bench-scale: {SMALL} vs {scale:,} articles ({load_text})")
    for column in ("row", "small", "large", "ratio", "target", "ok"):
        table.add_column(column, overflow="fold")
    for row in rows:
        ok = row.get("ok")
        table.add_row(str(row["row"]), str(row.get("small", "")), str(row.get("large", "")),
                      "" if math.isnan(row["ratio"]) else f"{row['ratio']:.2f}",
                      row["target"],
                      _verdict(ok))
    Console(width=None if sys.stdout.isatty() else 170).print(table)


def markdown_table(results):
    """The README's table from a results file: small and large side by side."""
    small = results["measured"]["small"]["setup"]["articles"]
    large = results["measured"]["large"]["setup"]["articles"]
    lines = [f"| row | {small:,} articles | {large:,} articles | ratio | target | met |",
             "|---|---|---|---:|---|---|"]
    for row in results["rows"]:
        ratio = "" if math.isnan(row["ratio"]) or math.isinf(row["ratio"]) else (
            f"{row['ratio']:.2f}")
        met = {None: "n/a", True: "yes", False: "**no**"}[row.get("ok")]
        lines.append(f"| {row['row']} | {row.get('small', '')} | {row.get('large', '')} | "
                     f"{ratio} | {row['target']} | {met} |")
    return "\n".join(lines)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def interleaved_transitions(small, large, reps=15):
    """The in-process transition rows of both databases measured in turns (one run on one,
    then one on the other; `bench.transitions`), in the shape `probe_inprocess` gives them.

    Measured one database after the other, minutes apart, the ratio of these 30 to 150 ms
    rows was mostly the change of the machine's load in between (1.4 to 2.5 on the same
    code); in turns, the load falls on both alike.
    """
    from bench.transitions import interleave

    table = interleave([database_url(small), database_url(large)], reps=reps,
                       env=site_env(database_url(small), KETASITE_PUBLIC_CACHE="false"))
    out = {"load_average": table["load_average"]}
    for database, name in ((database_url(small), small), (database_url(large), large)):
        out[name] = {
            row: {"ms": medians[database]["wall_ms"],
                  "cpu_ms": medians[database]["client_cpu_ms"]
                  + (medians[database]["server_cpu_ms"] or 0),
                  "queries": {"count": round(medians[database]["queries"]),
                              "slowest_ms": medians[database]["slowest_query_ms"]},
                  "in_turns": reps}
            for row, medians in table["rows"].items()
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", 20_000)))
    parser.add_argument("--reuse-database", metavar="NAME",
                        help="Measure this existing corpus database as the large one.")
    parser.add_argument("--reuse-small", metavar="NAME",
                        help="Measure this existing corpus database as the small one.")
    parser.add_argument("--db-prefix", default="ks_bench_scale")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="generate_corpus --workers")
    parser.add_argument("--markdown", metavar="RESULTS",
                        help="Print the table of a results file as Markdown and exit.")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table(json.loads(Path(args.markdown).read_text())))
        return 0
    os.chdir(ROOT)
    _run([PYTHON, "manage.py", "collectstatic", "--noinput"], site_env("/dev/null"),
         "collectstatic")
    built = {}
    names = {}
    for size, reuse in ((SMALL, args.reuse_small), (args.scale, args.reuse_database)):
        if reuse:
            names[size] = reuse
            print(f"Vacuuming {reuse} …", file=sys.stderr)
            vacuum_database(reuse)
        else:
            names[size] = f"{args.db_prefix}_{size}"
            print(f"Building {size:,} articles in {names[size]} …", file=sys.stderr)
            built[size] = build_database(names[size], size, workers=args.workers)
    results = {"scale": args.scale, "started": datetime.now(UTC).isoformat(),
               "databases": names, "build_seconds": built, "load": {}}
    measured = {}
    for label, size in (("small", SMALL), ("large", args.scale)):
        name = names[size]
        print(f"Measuring {label}: {name} …", file=sys.stderr)
        setup = _probe(name, "setup")
        if label == "small":
            page_rows = max(1, min(20, setup.get("editorial_matches") or 20))
        setup["editorial_page_rows"] = page_rows
        results["load"][f"{label}_before"] = uptime()
        measured[label] = {
            "setup": setup,
            # The public pages' queries counted uncached: what a cache miss costs.
            "inprocess": _probe_or_error(name, "inprocess", KETASITE_PUBLIC_CACHE="false"),
            "http": measure_http(name, setup, seconds=args.seconds, page_rows=page_rows),
        }
        results["load"][f"{label}_after"] = uptime()
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"scale-{args.scale}-partial.json").write_text(
            json.dumps({**results, "measured": measured}, indent=2, default=str))
    print("Uncached rows in turns …", file=sys.stderr)
    uncached = uncached_in_turns(
        [names[SMALL], names[args.scale]],
        {names[SMALL]: measured["small"]["setup"],
         names[args.scale]: measured["large"]["setup"]},
        seconds=args.seconds)
    for label, size in (("small", SMALL), ("large", args.scale)):
        measured[label]["http"].update(uncached[names[size]])
    results["load"]["uncached_after"] = uptime()
    try:
        turns = interleaved_transitions(names[SMALL], names[args.scale])
    except (OSError, RuntimeError, ValueError) as error:
        # The rows then keep each database's own probe (timed apart, so noisier).
        print(f"transitions in turns: {error}", file=sys.stderr)
    else:
        for label, size in (("small", SMALL), ("large", args.scale)):
            measured[label]["inprocess"].update(turns[names[size]])
        results["load"]["transitions"] = turns["load_average"]
    results["measured"] = measured
    rows = rows_of(measured["small"], measured["large"])
    results["rows"] = rows
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"scale-{args.scale}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    load_text = results["load"]["large_after"].split("load average:")[-1].strip()
    print_table(rows, scale=measured["large"]["setup"]["articles"],
                load_text=f"load {load_text}")
    print(f"Results: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
