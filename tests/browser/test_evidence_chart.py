"""The evidence chart, the changelog and the dual review line in a real Chromium: the SVG is
drawn (light, dark and print), axe-core finds no serious or critical violation, the site's own
CSP reports nothing, and a segment leads to its claim. Screenshots go to
KETASITE_SCREENSHOT_DIR (the article page on a phone, a desktop and in dark mode) when set."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from evidence.models import DualReviewPolicy, ReviewerRating
from tests.browser.test_public_accessibility import ARGS, axe_violations, describe
from tests.conftest import make_annotation, make_article, make_user, publish_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARAGRAPH = (
    "Ketamine may reduce ADHD symptoms within hours, some clinics claim. "
    "Infusions lift depression for about a week in trials. "
    "Dissociation is common during infusions. "
    "It is safe for everyone with a heart condition. "
    "Esketamine nasal spray is approved for treatment-resistant depression. "
    "Some patients need repeat infusions."
)
CLAIMS = [
    ("Ketamine may reduce ADHD symptoms within hours", "unsupported", "very_low"),
    ("Infusions lift depression for about a week in trials", "mixed", "low"),
    ("Dissociation is common during infusions", "supported", "moderate"),
    ("It is safe for everyone with a heart condition", "contradicted", "moderate"),
    ("Esketamine nasal spray is approved for treatment-resistant depression", "supported",
     "high"),
    ("Some patients need repeat infusions", "mixed", "moderate"),
]


@pytest.fixture
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def article():
    from articles.blocks import with_text

    blocks = [with_text(b) for b in [
        {"id": "h1", "type": "heading", "level": 2, "text": "What the studies say"},
        {"id": "p1", "type": "paragraph", "text": PARAGRAPH},
    ]]
    first = make_user("Reviewers", first_name="Rita", last_name="Hale")
    second = make_user("Reviewers", first_name="Sam", last_name="Okafor")
    article = make_article(title="Ketamine for ADHD and depression: what holds up",
                           summary="Six claims from a clinic's page, checked.", blocks=blocks,
                           tags=["adhd"])
    article.approved_by = first
    article.approved_at = timezone.now()
    article.save()
    DualReviewPolicy.objects.create(article=article)
    annotations = []
    for quote, verdict, certainty in CLAIMS:
        start = PARAGRAPH.index(quote)
        annotation = make_annotation(
            article, block_id="p1", start=start, end=start + len(quote), verdict=verdict,
            certainty=certainty, note=f"Reviewers' consensus on “{quote[:30]}…”.",
        )
        for reviewer in (first, second):
            ReviewerRating.objects.create(annotation=annotation, reviewer=reviewer,
                                          verdict=verdict, certainty=certainty)
        annotations.append(annotation)
    publish_now(article)
    # A republication that changed one rating: the changelog computes the line.
    annotations[1].verdict, annotations[1].certainty = "supported", "moderate"
    annotations[1].save()
    publish_now(article, change_note="Added the 2026 randomised trial.")
    return article


def watch_csp(page):
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chart_is_drawn_and_axe_clean(article, live_server, browser, scheme):
    page = browser.new_page(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    csp = watch_csp(page)
    page.goto(f"{live_server.url}/articles/{article.slug}/")
    bar = page.locator("svg.evidence-chart-bar")
    assert bar.count() == 1
    box = bar.bounding_box()
    assert box["width"] > 300 and box["height"] > 10
    assert page.locator("svg.evidence-chart-bar rect.chart-segment").count() == 5
    # The segments are coloured from the stylesheet (no inline style), differently per verdict.
    fills = page.eval_on_selector_all(
        "rect.chart-segment", "rects => rects.map(r => getComputedStyle(r).fill)"
    )
    assert len(set(fills)) == 4 and all(fill.startswith("rgb") for fill in fills)
    assert page.locator("text=Rated independently by two reviewers").count() == 1
    assert page.locator("text=rating changed from Mixed/low to Supported/moderate").count() == 1
    assert csp == []

    axe_page = browser.new_page(color_scheme=scheme, bypass_csp=True)
    axe_page.goto(f"{live_server.url}/articles/{article.slug}/")
    violations = axe_violations(axe_page)
    assert violations == [], describe(violations)


def test_a_legend_link_leads_to_the_first_claim_of_its_kind(article, live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/articles/{article.slug}/")
    page.locator(".evidence-chart-legend a", has_text="1 contradicted").click()
    assert page.evaluate("location.hash").startswith("#claim-")
    target = page.evaluate("document.querySelector(location.hash).textContent")
    assert "safe for everyone with a heart condition" in target


def test_the_chart_prints(article, live_server, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/articles/{article.slug}/")
    page.emulate_media(media="print")
    assert page.locator("svg.evidence-chart-bar").bounding_box()["width"] > 300
    assert page.locator(".evidence-chart-legend").is_visible()


def test_screenshots_of_the_article_page(article, live_server, browser, tmp_path):
    # Kept in KETASITE_SCREENSHOT_DIR when it is set (to look at them), else thrown away: the
    # test still proves the page renders on each viewport and scheme.
    folder = os.environ.get("KETASITE_SCREENSHOT_DIR") or str(tmp_path)
    Path(folder).mkdir(parents=True, exist_ok=True)
    url = f"{live_server.url}/articles/{article.slug}/"
    for name, viewport, scheme in [
        ("phone-390x844", {"width": 390, "height": 844}, "light"),
        ("desktop-1280x900", {"width": 1280, "height": 900}, "light"),
        ("desktop-dark-1280x900", {"width": 1280, "height": 900}, "dark"),
    ]:
        page = browser.new_page(viewport=viewport, color_scheme=scheme)
        page.goto(url)
        page.screenshot(path=str(Path(folder) / f"article-{name}.png"))
        page.locator(".changelog").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(folder) / f"changelog-{name}.png"))
        page.close()
        assert (Path(folder) / f"article-{name}.png").stat().st_size > 0
