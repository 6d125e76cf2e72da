"""The public pages in a real Chromium: axe-core finds no serious or critical violations,
a rated passage is reachable by keyboard and leads to its note; screenshots for a human."""

import json
from pathlib import Path

import pytest

from tests.conftest import make_annotation, make_article, publish_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


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
        {"id": "p1", "type": "paragraph",
         "text": "Ketamine may reduce ADHD symptoms within hours, some clinics claim (1,2)."
                 " Larger trials are still missing.",
         "cites": [{"start": 67, "end": 72, "refs": [1, 2]}]},
        {"id": "l1", "type": "list", "ordered": False, "items": [
            {"text": "Dissociation is common during infusions", "items": [
                {"text": "It usually passes within an hour", "items": []}]},
            {"text": "Blood pressure rises briefly", "items": []}]},
        {"id": "f1", "type": "faq", "question": "Is it approved for ADHD?",
         "answer": "No regulator has approved ketamine for ADHD."},
    ]]
    article = make_article(title="Does ketamine help with ADHD?", summary="What we know.",
                           blocks=blocks, tags=["adhd"])
    make_annotation(article, block_id="p1", start=0, end=46, verdict="unsupported",
                    certainty="very_low", note="No controlled trial supports this.")
    make_annotation(article, block_id="l1", start=0, end=39, verdict="supported",
                    certainty="moderate", note="Seen in most trials.")
    make_annotation(article, block_id="f1", start=25, end=69, verdict="supported",
                    certainty="high", note="Checked against regulators' lists.")
    publish_now(article)
    return article


def axe_violations(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def describe(violations):
    return json.dumps([{"id": v["id"], "help": v["help"],
                        "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
                       for v in violations], indent=1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_pages_have_no_serious_accessibility_violations(
    article, live_server, browser, scheme
):
    # Only so that axe itself can be injected; the site's own CSP stays on for real readers.
    page = browser.new_page(color_scheme=scheme, bypass_csp=True)
    for path in ["/", f"/articles/{article.slug}/", "/search/?q=ketamine"]:
        page.goto(live_server.url + path)
        violations = axe_violations(page)
        assert violations == [], f"{path} ({scheme}): {describe(violations)}"


def test_keyboard_reaches_a_rated_passage_and_its_note(article, live_server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/articles/{article.slug}/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('claim')"):
            break
    else:
        pytest.fail("no rated passage is reachable with Tab")
    note_id = page.evaluate("document.activeElement.getAttribute('href')").lstrip("#")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == note_id
    note = page.locator(f"#{note_id}")
    assert note.is_visible()
    assert "Unsupported" in note.inner_text() and "Very low certainty" in note.inner_text()


def test_screenshots_of_the_article_at_phone_and_desktop_widths(
    article, live_server, browser, tmp_path
):
    for name, width in [("phone", 390), ("desktop", 1400)]:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(f"{live_server.url}/articles/{article.slug}/")
        path = tmp_path / f"article-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        # Nothing may overflow sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    print(f"screenshots in {tmp_path}")
