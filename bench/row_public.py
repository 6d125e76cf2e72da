"""Bench rows of the public site: the article page, cached and uncached, against a bare view.

The yardstick is measured in the same run, on the same server: `/_bench/bare/`, the cheapest
Django response through the same middleware. Targets on a 2-core machine: the cached article
page at least 0.85x the bare view's requests per second, the uncached page (200 annotations)
at least 0.5x, and p99 latency under 50 ms at 16 connections.
"""

from bench.server import BENCH_SLUG, BROWSER_HEADERS, fetch, load, prepared_database, running_site

ARTICLE = f"/articles/{BENCH_SLUG}/"
BARE = "/_bench/bare/"
P99_LIMIT_MS = 50.0


def _option(options, name, default):
    if isinstance(options, dict):
        return options.get(name, default)
    return getattr(options, name, default) if options is not None else default


def _ratio_row(name, page, bare, target):
    ratio = page["rps"] / bare["rps"] if bare["rps"] else 0.0
    return {
        "benchmark": name,
        "measured": f"{page['rps']:.0f} req/s = {ratio:.2f}x bare ({bare['rps']:.0f} req/s)",
        "target": f">= {target:.2f}x bare",
        "ok": ratio >= target and page["errors"] == 0,
    }


def _p99_row(name, page):
    return {
        "benchmark": name,
        "measured": f"p99 {page['p99_ms']:.1f} ms (p50 {page['p50_ms']:.1f} ms)",
        "target": f"< {P99_LIMIT_MS:.0f} ms at 16 connections",
        "ok": page["p99_ms"] < P99_LIMIT_MS,
    }


def run(options=None) -> list[dict]:
    seconds = int(_option(options, "seconds", 10) or 10)
    rows = []
    with prepared_database(setup="bench.server:setup_public_content") as database:
        with running_site(database) as site:
            status, headers, body = fetch(site.url(ARTICLE))
            if status != 200 or body.count(b'class="claim verdict-') < 200:
                raise RuntimeError(f"the bench article is not served as expected ({status})")
            bare = load(site.url(BARE), seconds=seconds, headers=BROWSER_HEADERS)
            cached = load(site.url(ARTICLE), seconds=seconds, headers=BROWSER_HEADERS)
        rows.append(_ratio_row("public: article page, cached (200 annotations)", cached, bare,
                               0.85))
        rows.append(_p99_row("public: article page, cached, latency", cached))
        with running_site(database, KETASITE_PUBLIC_CACHE="false") as site:
            bare = load(site.url(BARE), seconds=seconds, headers=BROWSER_HEADERS)
            uncached = load(site.url(ARTICLE), seconds=seconds, headers=BROWSER_HEADERS)
        rows.append(_ratio_row("public: article page, uncached (200 annotations)", uncached,
                               bare, 0.5))
        rows.append(_p99_row("public: article page, uncached, latency", uncached))
    return rows


if __name__ == "__main__":
    for row in run({"seconds": 5}):
        print(row)
