"""Bench rows of the public API: the article list (20 items) and the detail of an article with
200 annotations, anonymous, cached and uncached, against the bare-view yardstick.

Targets on a 2-core machine: detail at least 0.5x the bare view uncached and 0.85x cached;
list at least 0.3x uncached. The anonymous throttle is raised for the run: wrk is one client.
"""

from bench.server import BENCH_SLUG, BROWSER_HEADERS, fetch, load, prepared_database, running_site

BARE = "/_bench/bare/"
LIST = "/api/v1/articles/"
DETAIL = f"/api/v1/articles/{BENCH_SLUG}/"
UNTHROTTLED = {"KETASITE_THROTTLE_ANON": "100000000/min"}


def setup_api_content():
    """The public bench article (200 annotations) and 19 more, so a list page holds 20."""
    from django.utils import timezone

    from articles.models import Article, Revision
    from articles.publishing import freeze_publication
    from bench.server import setup_public_content

    setup_public_content()
    template = Article.objects.get(slug=BENCH_SLUG).draft
    for index in range(19):
        article = Article.objects.create(slug=f"bench-list-{index}")
        article.tags.add("adhd")
        article.draft = Revision.objects.create(
            article=article, number=1, title=f"{template.title} ({index})",
            summary=template.summary, blocks=template.blocks[:6],
        )
        article.save(update_fields=["draft"])
        now = timezone.now()
        article.live = freeze_publication(article, actor=None, published_at=now)
        article.state = Article.State.PUBLISHED
        article.first_published_at = article.last_published_at = now
        article.save(update_fields=["draft", "live", "state", "first_published_at",
                                    "last_published_at"])


def _option(options, name, default):
    if isinstance(options, dict):
        return options.get(name, default)
    return getattr(options, name, default) if options is not None else default


def _row(name, measured, bare, target):
    ratio = measured["rps"] / bare["rps"] if bare["rps"] else 0.0
    return {
        "benchmark": name,
        "measured": f"{measured['rps']:.0f} req/s = {ratio:.2f}x bare ({bare['rps']:.0f} req/s)"
                    f", p99 {measured['p99_ms']:.1f} ms",
        "target": f">= {target:.2f}x bare",
        "ok": ratio >= target and measured["errors"] == 0,
    }


def _check(site):
    status, _, body = fetch(site.url(LIST))
    if status != 200 or b'"count":20' not in body:
        raise RuntimeError(f"the API list is not served as expected ({status})")
    status, _, body = fetch(site.url(DETAIL))
    if status != 200 or body.count(b'"verdict"') < 200:
        raise RuntimeError(f"the API detail is not served as expected ({status})")


def run(options=None) -> list[dict]:
    seconds = int(_option(options, "seconds", 10) or 10)
    rows = []
    with prepared_database(setup="bench.row_api:setup_api_content") as database:
        with running_site(database, **UNTHROTTLED) as site:
            _check(site)
            bare = load(site.url(BARE), seconds=seconds, headers=BROWSER_HEADERS)
            detail = load(site.url(DETAIL), seconds=seconds, headers=BROWSER_HEADERS)
            listing = load(site.url(LIST), seconds=seconds, headers=BROWSER_HEADERS)
        rows.append(_row("api: article detail, cached (200 annotations)", detail, bare, 0.85))
        rows.append(_row("api: article list, cached (20 items)", listing, bare, 0.85))
        with running_site(database, KETASITE_PUBLIC_CACHE="false", **UNTHROTTLED) as site:
            bare = load(site.url(BARE), seconds=seconds, headers=BROWSER_HEADERS)
            detail = load(site.url(DETAIL), seconds=seconds, headers=BROWSER_HEADERS)
            listing = load(site.url(LIST), seconds=seconds, headers=BROWSER_HEADERS)
        rows.append(_row("api: article detail, uncached (200 annotations)", detail, bare, 0.5))
        rows.append(_row("api: article list, uncached (20 items)", listing, bare, 0.3))
    return rows


if __name__ == "__main__":
    for row in run({"seconds": 5}):
        print(row)
