"""The annotator in a real browser: select a sentence, rate it, save, reload, see it.

Drives Debian's Chromium through Playwright against pytest-django's live server, on a scraped
article (tests/importing/fixtures/related-links.txt) imported through the importer.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from articles.blocks import block_text, with_text
from articles.importing import import_bytes
from articles.models import Article
from evidence.models import Annotation, ReviewComment, Source
from tests.conftest import fixture_document, make_annotation, make_article, make_user

# Serialized rollback keeps the groups the migrations create for the tests that follow.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]

# Selects text[start:end] of one block with a DOM Range, found by walking the block's text
# nodes independently of annotator.js, then fires the mouseup the annotator listens to.
SELECT_IN_BLOCK = """
([blockId, start, end]) => {
  const block = document.getElementById("b-" + blockId);
  const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
  let offset = 0, node, range = document.createRange(), started = false;
  while ((node = walker.nextNode())) {
    if (node.parentElement.closest(".visually-hidden")) continue;
    const next = offset + node.data.length;
    if (!started && start < next) { range.setStart(node, start - offset); started = true; }
    if (started && end <= next) { range.setEnd(node, end - offset); break; }
    offset = next;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  block.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
  return selection.toString();
}
"""

WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def browser_page(chromium_path, monkeypatch):
    """A Chromium page that records console errors and CSP violations."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.console_errors = []

        def record(message):
            # The browser's own request for /favicon.ico is not the page's doing.
            if message.type == "error" and not message.location.get("url", "").endswith(
                "/favicon.ico"
            ):
                page.console_errors.append(f"{message.text} ({message.location.get('url')})")

        page.on("console", record)
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        page.add_init_script(WATCH_CSP)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def sign_in(page, live_server, user):
    """Give the browser a session cookie for `user` (as the admin login would)."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
          "url": live_server.url}]
    )


def imported_seed():
    path = fixture_document("related-links.txt")
    outcome = import_bytes(path.read_bytes(), filename=path.name)
    assert outcome.result == "created", outcome.error
    return outcome.article


def second_sentence(article):
    """Return (block id, start, end) of the second sentence of the first long paragraph."""
    for block in article.draft.blocks:
        text = block_text(block)
        if block["type"] != "paragraph" or text.count(". ") < 2:
            continue
        start = text.index(". ") + 2
        end = text.index(". ", start) + 1
        return block["id"], start, end, text[start:end]
    pytest.fail("the seed has no paragraph with two sentences")


def open_annotator(page, live_server, article):
    url = live_server.url + reverse("admin:evidence_annotation_annotate", args=[article.pk])
    page.goto(url)
    page.wait_for_selector("#annotator.annotator-ready")
    return url


def assert_clean(page, *, expected_errors=()):
    """No console error (but those expected, e.g. the network log of a refused request) and
    no CSP violation."""
    unexpected = [
        error for error in page.console_errors
        if not any(part in error for part in expected_errors)
    ]
    assert unexpected == []
    assert page.evaluate("window.__cspViolations") == []


def test_select_rate_save_and_see_the_highlight_after_reload(browser_page, live_server, tmp_path):
    page = browser_page
    article = imported_seed()
    user = make_user(groups=["Editors", "Reviewers"], is_staff=True)
    sign_in(page, live_server, user)
    block_id, start, end, sentence = second_sentence(article)

    open_annotator(page, live_server, article)
    selected = page.evaluate(SELECT_IN_BLOCK, [block_id, start, end])
    assert selected == sentence
    page.wait_for_selector("#annotation-form:not([hidden])")
    assert sentence[:40] in page.inner_text("#annotation-form-quote")

    page.select_option("#annotation-certainty", "low")
    page.select_option("#annotation-verdict", "unsupported")
    page.fill("#annotation-note", "No **randomised trial** in adults supports this.")
    page.click("#annotation-save")
    expect(page.locator("#annotator-status")).to_contain_text("Annotation saved")

    page.reload()
    page.wait_for_selector("#annotator.annotator-ready")
    mark = page.locator(f"#b-{block_id} a.claim.verdict-unsupported mark")
    assert mark.inner_text() == sentence
    listed = page.locator("#annotation-lists .annotation-item")
    assert listed.count() == 1
    assert "Unsupported" in listed.inner_text()
    assert "Low certainty" in listed.inner_text()
    assert "randomised trial" in listed.locator(".annotation-note strong").inner_text()
    annotation = Annotation.objects.get(article=article)
    assert (annotation.block_id, annotation.start, annotation.end) == (block_id, start, end)
    assert annotation.exact == sentence
    assert annotation.author == user
    page.screenshot(path=str(tmp_path / "annotator.png"), full_page=False)
    assert_clean(page)


def test_stale_edit_is_explained_in_the_live_region_and_changes_nothing(
    browser_page, live_server
):
    page = browser_page
    article = imported_seed()
    user = make_user(groups=["Editors", "Reviewers"], is_staff=True)
    sign_in(page, live_server, user)
    block_id, start, end, sentence = second_sentence(article)
    from evidence.annotations import create_annotation, update_annotation

    annotation = create_annotation(
        article=article, actor=user, block_id=block_id, start=start, end=end,
        verdict="mixed", certainty="moderate", note="First reading.",
    )
    open_annotator(page, live_server, article)

    # Open the highlight with the keyboard: focus it, press Enter; the form takes focus.
    page.focus(f"#b-{block_id} a.claim")
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotation-form:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "annotation-form-title"
    assert page.input_value("#annotation-note") == "First reading."

    # Someone else saves a change meanwhile.
    update_annotation(annotation, actor=user, expected_version=1, note="Their reading.")

    page.fill("#annotation-note", "My reading.")
    page.click("#annotation-save")
    status = page.locator("#annotator-status")
    expect(status).to_contain_text("Someone else changed this annotation")
    assert status.get_attribute("aria-live") == "polite"
    assert "nothing was saved" in status.inner_text()
    annotation.refresh_from_db()
    assert annotation.note == "Their reading."
    # The form now shows the current version, ready to re-apply the change.
    assert page.input_value("#annotation-note") == "Their reading."
    # Chrome logs every refused request; the 412 is the one this test provokes.
    assert_clean(page, expected_errors=["status of 412"])


def test_orphan_is_attached_to_a_new_selection_with_a_source_then_resolved(
    browser_page, live_server, tmp_path
):
    page = browser_page
    article = imported_seed()
    user = make_user(groups=["Editors", "Reviewers"], is_staff=True)
    sign_in(page, live_server, user)
    block_id, start, end, sentence = second_sentence(article)
    orphan = make_annotation(
        article, block_id=block_id, start=0, end=10, verdict="misleading", status="orphaned",
    )
    source = Source.objects.create(title="A trial of ketamine in adult ADHD", pmid="31234567")
    open_annotator(page, live_server, article)

    page.locator(f"#annotation-{orphan.pk} button[data-action=attach]").click()
    expect(page.locator("#annotation-form-title")).to_contain_text("Attach orphaned")
    page.evaluate(SELECT_IN_BLOCK, [block_id, start, end])
    expect(page.locator("#annotation-form-help")).to_contain_text(sentence[:30])
    page.fill("#annotation-source-search", "PMID 31234567")
    page.locator("#annotation-source-results button").click()
    expect(page.locator("#annotation-chosen-sources")).to_contain_text("A trial of ketamine")
    page.screenshot(path=str(tmp_path / "attach-form.png"))
    page.click("#annotation-save")
    expect(page.locator("#annotator-status")).to_contain_text("Changes saved")

    orphan.refresh_from_db()
    assert (orphan.status, orphan.block_id, orphan.start, orphan.end) == (
        "open", block_id, start, end
    )
    assert list(orphan.sources.all()) == [source]
    assert page.locator(f"#b-{block_id} a.claim.verdict-misleading mark").inner_text() == sentence
    assert page.locator("#annotations-apart").count() == 0

    # The saved annotation stays open in the form: resolve it from there.
    page.click("#annotation-resolve")
    expect(page.locator("#annotator-status")).to_contain_text("marked resolved")
    orphan.refresh_from_db()
    assert orphan.status == "resolved"
    expect(page.locator(f"#annotation-{orphan.pk} .annotation-status")).to_have_text("Resolved")
    assert_clean(page)


def test_offsets_in_nested_lists_and_faq_answers_count_line_breaks(browser_page, live_server):
    page = browser_page
    blocks = [with_text(block) for block in [
        {"id": "l1", "type": "list", "ordered": False, "items": [
            {"text": "First item about dosing", "items": [
                {"text": "Nested item about ketamine and ADHD", "items": []},
            ]},
            {"text": "Third item", "items": []},
        ]},
        {"id": "f1", "type": "faq", "question": "Does ketamine help?",
         "answer": "Some small studies suggest it might."},
    ]]
    article = make_article(blocks=blocks)
    editor = make_user(groups=["Editors"], is_staff=True)
    sign_in(page, live_server, editor)
    open_annotator(page, live_server, article)
    list_text, faq_text = block_text(blocks[0]), block_text(blocks[1])
    wanted = [
        ("l1", list_text.index("ketamine and ADHD"), list_text.index("Third item") + 5),
        ("f1", faq_text.index("Some small"), len(faq_text)),
    ]

    for block_id, start, end in wanted:
        # The helper counts text nodes without line breaks: give it DOM offsets.
        dom_text = page.evaluate(
            "(id) => { const w = document.createTreeWalker(document.getElementById('b-' + id),"
            " NodeFilter.SHOW_TEXT); let t = '', n; while ((n = w.nextNode())) {"
            " if (!n.parentElement.closest('.visually-hidden')) t += n.data; } return t; }",
            block_id,
        )
        text = list_text if block_id == "l1" else faq_text
        dom_start = dom_text.index(text[start:end].split("\n")[0])
        dom_end = dom_start + len(text[start:end].replace("\n", ""))
        page.evaluate(SELECT_IN_BLOCK, [block_id, dom_start, dom_end])
        expect(page.locator("#annotation-form-title")).to_have_text("New annotation")
        page.fill("#annotation-note", "Check this.")
        page.click("#annotation-save")
        expect(page.locator("#annotator-status")).to_contain_text("Annotation saved")

    saved = [(a.block_id, a.start, a.end) for a in Annotation.objects.order_by("pk")]
    assert saved == wanted
    assert Annotation.objects.get(block_id="l1").exact == "ketamine and ADHD\nThird"
    assert_clean(page)


AXE_SOURCE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"


def axe_violations_in(page, selector):
    """Serious or critical axe-core violations inside `selector` (axe is evaluated through
    the DevTools protocol, so the page's CSP stays on and sees no inline script)."""
    page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;true")
    result = page.evaluate(
        "async (selector) => await axe.run({include: [[selector]]})", selector
    )
    return [
        {"id": v["id"], "nodes": [n["html"][:120] for n in v["nodes"][:3]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def switch_user(page, live_server, user):
    page.context.clear_cookies()
    sign_in(page, live_server, user)


def test_reviewer_comments_editor_replies_reviewer_resolves_then_approval_passes(
    browser_page, live_server, tmp_path
):
    from articles import workflow
    from tests.workflow.conftest import ready_article

    page = browser_page
    editor = make_user(groups=["Editors"], is_staff=True)
    reviewer = make_user(groups=["Reviewers"], is_staff=True)
    article = ready_article(author=editor, reviewer=reviewer, state=Article.State.IN_REVIEW)
    annotation = article.annotations.get()

    # The reviewer opens the passage's highlight with the keyboard and goes to its thread.
    sign_in(page, live_server, reviewer)
    open_annotator(page, live_server, article)
    page.focus(f"#claim-{annotation.pk}")
    page.keyboard.press("Enter")
    page.wait_for_selector("#annotation-form:not([hidden])")
    page.focus("#annotation-thread-link a")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.fill(f"#new-comment-{annotation.pk}", "Which trial is this? Please **cite** it.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#annotator-status")).to_contain_text("Comment added")
    comment = ReviewComment.objects.get()
    assert (comment.author, comment.parent) == (reviewer, None)

    # One open thread: counted on the highlight and in the list.
    highlight = page.locator(f"#claim-{annotation.pk}")
    expect(highlight).to_have_attribute("data-open-comments", "1")
    assert "1 open review comment" in highlight.locator(".claim-comment-label").inner_text()
    expect(page.locator(f"#annotation-{annotation.pk} .annotation-comment-count")).to_have_text(
        "1 open comment"
    )
    page.screenshot(path=str(tmp_path / "open-thread.png"))
    with pytest.raises(workflow.GateFailed):
        workflow.approve(article, actor=reviewer)

    # The editor replies; the reviewer's thread is not theirs to resolve.
    switch_user(page, live_server, editor)
    open_annotator(page, live_server, article)
    page.click(f"#thread-{annotation.pk} > summary")
    expect(page.locator(f"#comment-{comment.pk} .review-comment-body strong")).to_have_text(
        "cite"
    )
    assert page.locator(f"#comment-{comment.pk} [data-thread-action]").count() == 0
    page.fill(f"#reply-{comment.pk}", "The 2023 pilot; it is cited now.")
    page.click(f"#comment-{comment.pk} form.review-comment-form button[type=submit]")
    expect(page.locator("#annotator-status")).to_contain_text("Reply added")
    expect(page.locator(f"#comment-{comment.pk} .review-thread-replies")).to_contain_text(
        "The 2023 pilot"
    )
    assert ReviewComment.objects.get(parent=comment).author == editor

    # The reviewer resolves the thread; it stays listed, marked resolved.
    switch_user(page, live_server, reviewer)
    open_annotator(page, live_server, article)
    page.click(f"#thread-{annotation.pk} > summary")
    assert axe_violations_in(page, f"#thread-{annotation.pk}") == []
    page.click(f"#comment-{comment.pk} [data-thread-action=resolve]")
    expect(page.locator("#annotator-status")).to_contain_text("Thread resolved")
    expect(page.locator(f"#comment-{comment.pk} .review-thread-state")).to_contain_text(
        f"Resolved by {reviewer.username}"
    )
    expect(page.locator(f"#comment-{comment.pk} [data-thread-action=reopen]")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == f"comment-{comment.pk}"
    assert highlight.get_attribute("data-open-comments") is None
    assert page.locator(f"#annotation-{annotation.pk} .annotation-comment-count").count() == 0
    assert axe_violations_in(page, f"#thread-{annotation.pk}") == []
    page.screenshot(path=str(tmp_path / "review-thread.png"))
    assert_clean(page)

    comment.refresh_from_db()
    assert comment.resolved_by == reviewer
    workflow.approve(article, actor=reviewer)
    article.refresh_from_db()
    assert article.state == Article.State.APPROVED
