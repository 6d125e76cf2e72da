"""Bench row: the public search page over 10,000 published articles on PostgreSQL, uncached.

How the 10,000 publications are made (honestly): the seeds (real scraped articles, 5-23 KB of
text each) are imported with the importer and frozen with `freeze_publication`, the function
the workflow's publish runs, which stores each search vector. The other publications are bulk
copies of those (article, revision and publication rows, each copy with its own title, slug
and one line of its own text; with what the search page reads, the title, summary, tags,
evidence summary and search text, but not the rendered body, blocks or stored responses,
which it never reads), and their vectors are then stored by `store_search_vectors`,
the very function the publish path calls: the same expression, configuration and weights.
Their search entries (`SearchEntry`) are written by the database triggers when `live` is set
and the vectors stored, as for every publish.
So nearly every article matches "ketamine", as on the real site.

The site runs with gunicorn (2 workers) over a throwaway PostgreSQL database, with the public
page cache off (every request searches) and the anonymous search limit raised (the bench is
one client). One client asks, one after the other, a mix of queries (among them the issue's
`ketamine depression`, a query that matches nothing, and a second page); the row reports
the p50 and p90 latency of the whole HTTP request. Target: p50 under 50 ms. Skipped when no
PostgreSQL is reachable (`KETASITE_BENCH_POSTGRES`, default postgres://postgres@127.0.0.1:5432).
"""

import contextlib
import os
import statistics
import time
import urllib.parse
import uuid

from bench.server import PYTHON, _run, fetch, running_site, site_env

POSTGRES_URL = os.environ.get("KETASITE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Throwaway databases are named <prefix>_<row>_<random>: a shared server keeps each user's apart.
DATABASE_PREFIX = os.environ.get("KETASITE_BENCH_DB_PREFIX", "ks_bench")
ARTICLES = 10_000
TARGET_P50_MS = 50.0
REQUESTS = 300
QUERIES = (
    "ketamine depression",
    "ketamine",
    "treatment resistant depression",
    "esketamine nasal spray",
    "side effects",
    "suicidal thoughts",
    "anxiety OR ptsd",
    "zebrafish",
)
SEARCH_ENV = {"KETASITE_PUBLIC_CACHE": "false", "KETASITE_THROTTLE_SEARCH": "100000000/min"}


def _publish(article, now):
    """Freeze the article's draft and make it live, as the workflow's publish does."""
    from articles.models import Article
    from articles.publishing import freeze_publication

    article.live = freeze_publication(article, actor=None, published_at=now)
    article.state = Article.State.PUBLISHED
    article.first_published_at = article.last_published_at = now
    article.save(update_fields=["live", "state", "first_published_at", "last_published_at"])
    return article.live


def setup_search_content(total=ARTICLES):
    """Publish the seeds through the publish path, then bulk copies up to `total` (see above)."""
    from datetime import timedelta
    from pathlib import Path

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from articles.importing import import_bytes
    from articles.models import Article, Publication, Revision, SearchEntry
    from articles.search import store_search_vectors

    seeds = sorted(Path(settings.KETASITE_SEEDS_DIR).glob("[0-9][0-9][0-9]_*"))
    if not seeds:
        raise RuntimeError(f"no seeds in {settings.KETASITE_SEEDS_DIR}")
    now = timezone.now()
    originals = []
    for path in seeds:
        outcome = import_bytes(path.read_bytes(), filename=path.name)
        if outcome.failed:
            raise RuntimeError(f"could not import {path.name}: {outcome.error}")
        originals.append(_publish(outcome.article, now))

    # What the search page reads is copied; the rendered body, frozen blocks, annotations,
    # sources and stored responses are not (search never reads them, and large values live
    # outside the table's rows anyway), nor the vectors, which are computed below.
    copied = ["summary", "tags", "evidence_summary", "change_note", "changelog",
              "reviewed_by", "reviewed_at", "published_by_id"]
    batch = 500
    for first in range(0, total - len(originals), batch):
        numbers = range(first, min(first + batch, total - len(originals)))
        with transaction.atomic():
            when = [now - timedelta(minutes=n + 1) for n in numbers]
            templates = [originals[n % len(originals)] for n in numbers]
            articles = Article.objects.bulk_create([
                Article(slug=f"bench-search-{n}", state=Article.State.PUBLISHED,
                        first_published_at=at, last_published_at=at)
                for n, at in zip(numbers, when, strict=True)
            ])
            revisions = Revision.objects.bulk_create([
                Revision(article=article, number=1, title=f"{t.title} (copy {n})",
                         summary=t.summary)
                for n, article, t in zip(numbers, articles, templates, strict=True)
            ])
            publications = []
            for n, article, revision, t, at in zip(
                numbers, articles, revisions, templates, when, strict=True
            ):
                fields = {name: getattr(t, name) for name in copied}
                fields.update(
                    title=revision.title, slug=article.slug, tag_slugs=t.tag_slugs,
                    published_at=at, first_published_at=at, number=1,
                    search_text=f"{t.search_text}\n\nBench copy {n} of this article.",
                )
                publications.append(Publication(article=article, revision=revision, **fields))
            publications = Publication.objects.bulk_create(publications)
            for article, revision, publication in zip(
                articles, revisions, publications, strict=True
            ):
                article.draft, article.live = revision, publication
            Article.objects.bulk_update(articles, ["draft", "live"])
            store_search_vectors(Publication.objects.filter(pk__in=[p.pk for p in publications]))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    live = Publication.objects.live().count()
    entries = SearchEntry.objects.exclude(search_vector=None).count()
    if live != total or entries != total:
        raise RuntimeError(
            f"expected {total} live publications with search entries, "
            f"found {live} live and {entries} entries"
        )


def _postgres_admin():
    try:
        import psycopg
    except ImportError:
        return None
    try:
        return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.Error:
        return None


@contextlib.contextmanager
def postgres_database(admin, *, setup):
    """Yield the URL of a throwaway PostgreSQL database, migrated and filled by `setup`."""
    name = f"{DATABASE_PREFIX}_search_{uuid.uuid4().hex[:8]}"
    url = f"{POSTGRES_URL}/{name}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        env = site_env(url)
        _run([PYTHON, "manage.py", "migrate", "--noinput"], env, "migrate")
        _run([PYTHON, "manage.py", "collectstatic", "--noinput"], env, "collectstatic")
        module, function = setup.split(":")
        code = (
            "import django; django.setup(); "
            f"import importlib; importlib.import_module({module!r}).{function}()"
        )
        _run([PYTHON, "-c", code], env, f"setup {setup}")
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(site, requests=REQUESTS):
    """Ask the queries in turn (every fifth request for page 2); return latencies in ms."""
    paths = []
    for index in range(requests):
        query = urllib.parse.quote_plus(QUERIES[index % len(QUERIES)])
        page = "&page=2" if index % 5 == 4 else ""
        paths.append(f"/search/?q={query}{page}")
    for path in paths[: len(QUERIES) * 2]:  # warm each worker's connection and templates
        fetch(site.url(path))
    latencies = []
    for path in paths:
        started = time.perf_counter()
        status, _, body = fetch(site.url(path))
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    return latencies


def _check(site):
    status, _, body = fetch(site.url("/search/?q=ketamine+depression"))
    if status != 200 or body.count(b"<mark>") < 12:
        raise RuntimeError(f"the search page is not served as expected ({status})")
    count = body.split(b'class="result-count"', 1)[-1].split(b">", 1)[-1].split(b"</p>", 1)[0]
    if b"results for" not in count:
        raise RuntimeError("the search page shows no result count")
    return count.decode().split(" results for", 1)[0] + " results"  # "More than 1,000 results"


def run(options=None) -> list[dict]:
    admin = _postgres_admin()
    if admin is None:
        return [{"benchmark": "search: PostgreSQL", "measured": "not reachable, skipped",
                 "target": "-", "ok": None}]
    setup = "bench.row_search:setup_search_content"
    with (
        admin,
        postgres_database(admin, setup=setup) as url,
        running_site(url, **SEARCH_ENV) as site,
    ):
        matches = _check(site)
        latencies = measure(site)
    quantiles = statistics.quantiles(latencies, n=10)
    p50, p90 = statistics.median(latencies), quantiles[8]
    return [{
        "benchmark": f"search: page of results, uncached, {ARTICLES:,} articles (PostgreSQL)",
        "measured": f"p50 {p50:.1f} ms, p90 {p90:.1f} ms over {len(latencies)} searches "
                    f"(\"ketamine depression\": {matches})",
        "target": f"p50 < {TARGET_P50_MS:.0f} ms",
        "ok": p50 < TARGET_P50_MS,
    }]


if __name__ == "__main__":
    for row in run():
        print(row)
