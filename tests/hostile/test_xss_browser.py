"""Hostile text never runs as script in a real browser, even when every link is clicked.

The HTML-level tests (test_xss.py) parse each page and look for anything that could run. These
load the pages in Chromium (via Playwright), on a site built by `build_hostile_site`: every
title chunk of the payloads (tests/hostile/payloads.py) is an article title, the bodies and
summaries carry all of them, and tags, notes, review comments, source titles and user names
carry the short ones. On each page that shows such text:

- the hooks below watch for a payload running: assigning `window.__xss` (a setter that calls
  back into the test), any `alert`/`confirm`/`prompt` dialog but the annotator's own delete
  confirmation, and any Content-Security-Policy violation (what the CSP stops is a payload
  that got into the page);
- the parsed DOM has no `on*` attribute, no `javascript:`/`data:` address and no script but
  the site's own files;
- every link, button and summary in the areas where user text lands is clicked, with
  navigations answered "204 No Content" so the page stays put and a `javascript:` address
  would run where the hooks see it.

The positive controls serve the same article page with the escaped title put back raw, once
without the CSP header (a payload must run, also on a click) and once with it (the CSP
violation must be seen): without them, hooks that silently stopped firing would pass.

These tests live in their own module: in test_xss.py, pytest-django runs transactional tests
after the module's others while the module-scoped `site` fixture (an open transaction holding
the same imported files) is still set up, so importing them again here said "unchanged".
"""

import html
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils.text import slugify

from articles import workflow
from tests.hostile.test_xss import FORMATS, build_hostile_site, document

# Minutes of clicking in Chromium: run once per CI run, on SQLite (what a page escapes does not
# depend on the database; the HTML-level tests in test_xss.py run on both).
pytestmark = [pytest.mark.browser, pytest.mark.sqlite, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Injected in every frame before the page's own scripts (Playwright's init scripts are not
# subject to the page's CSP). Payloads assign `window.__xss` or `parent.__xss`.
HOOKS = """
(() => {
  const hit = (kind, detail) => { try { window.__xssHit(kind, String(detail)); } catch (e) {} };
  Object.defineProperty(window, "__xss", {
    configurable: false, get() { return undefined; }, set(value) { hit("__xss", value); },
  });
  document.addEventListener("securitypolicyviolation", (event) => {
    hit("csp", event.violatedDirective + " " + event.blockedURI + " " + (event.sample || ""));
  });
})();
"""

# What in the parsed page could run script: handlers, script addresses, scripts not ours.
AUDIT_DOM = """
() => {
  const bad = [];
  const scheme = /^(javascript|data|vbscript):/i;
  const urlAttrs = new Set(["href", "src", "action", "formaction", "xlink:href", "data",
                            "srcdoc", "poster", "background", "ping"]);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) bad.push(`<${el.tagName} ${name}>`);
      const value = attr.value.replace(/[\\x00-\\x20\\x7f]+/g, "");
      if (urlAttrs.has(name) && scheme.test(value) && !(el.tagName === "IMG" && name === "src"
          && /^data:image\\//i.test(value))) {
        bad.push(`<${el.tagName} ${name}=${attr.value.slice(0, 60)}>`);
      }
    }
  }
  for (const script of document.querySelectorAll("script")) {
    const data = ["application/ld+json", "application/json"].includes(script.type);
    const ours = script.src && new URL(script.src).origin === location.origin;
    if (!data && !ours) bad.push("script: " + script.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("iframe, frame, object, embed, base, applet")) {
    bad.push(`<${el.tagName}>`);
  }
  return bad;
}
"""

# Everything a payload could turn into that a person could click, in the areas where user text
# is shown (the public <main>, the admin's #content, popups and menus inside them): each is
# clicked, and the count returned.
CLICK_ALL = """
async () => {
  const selector = "a[href], area[href], button, input[type=submit], input[type=button], " +
                   "input[type=image], input[type=reset], summary, [onclick], [role=button], " +
                   "[role=link], [tabindex]";
  const seen = new Set();
  for (const root of document.querySelectorAll("main, #content")) {
    for (const el of root.querySelectorAll(selector)) seen.add(el);
  }
  let count = 0;
  for (const el of seen) {
    if (!el.isConnected) continue;  // Gone after an earlier click (a list refreshed).
    // SVG links (the evidence chart) have no click(): send them the event instead.
    if (typeof el.click === "function") el.click();
    else el.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
    count += 1;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return count;
}
"""

# The annotator asks before deleting; that dialog is the page's own.
OWN_DIALOGS = ("Delete this annotation?",)


def squash(text):
    return " ".join(text.split())


class Watch:
    """Everything the hooks saw, with the page and the phase (load or click) it happened in."""

    def __init__(self, origin):
        self.origin = origin
        self.where = ""
        self.phase = "load"
        self.block_navigation = False
        self.hits, self.dialogs, self.errors, self.navigations = [], [], [], []
        self.outside, self.click_errors = [], []
        self.pages, self.clicks = [], {}

    def hit(self, _source, kind, detail):
        self.hits.append((self.where, self.phase, kind, detail))

    def attach(self, page):
        self.pages.append(page)
        page.on("dialog", self.on_dialog)
        page.on("pageerror", lambda error: self.error(str(error)))
        page.on("console", lambda message: self.error(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text
                else None)

    def error(self, text):
        # Clicking everything at once, the admin's own scripts (related-object popups,
        # calendar widgets) stumble over clicks no person makes in that order; only what a
        # page does on its own must be error-free.
        if self.phase == "load":
            self.errors.append((self.where, text))
        else:
            self.click_errors.append((self.where, text))

    def on_dialog(self, dialog):
        self.dialogs.append((self.where, self.phase, dialog.type, dialog.message))
        dialog.dismiss()

    def route(self, route):
        request = route.request
        if self.block_navigation and request.is_navigation_request():
            # "No Content": the browser stays on the page, so the next click still finds it.
            self.navigations.append((self.where, request.url))
            route.fulfill(status=204)
        elif not request.url.startswith((self.origin + "/", "data:", "blob:", "about:")):
            # The site loads nothing from elsewhere; a payload's <script src=//evil…> would.
            self.outside.append((self.where, request.url))
            route.abort()
        else:
            route.continue_()

    def payload_dialogs(self):
        return [d for d in self.dialogs
                if not (d[2] == "confirm" and d[3].startswith(OWN_DIALOGS))]


def new_context(browser, watch, *, cookies=()):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(15_000)
    context.expose_binding("__xssHit", watch.hit)
    context.add_init_script(HOOKS)
    context.route("**/*", watch.route)
    context.on("page", watch.attach)
    if cookies:
        context.add_cookies(list(cookies))
    return context


def click_everything(page, watch):
    """Click each element CLICK_ALL finds, one at a time, then tab and hover.

    The clicks are the DOM's own `click()`, which follows a link (a `javascript:` one too),
    sends a form and fires handlers, also on elements that are hidden or covered; Playwright's
    pointer clicks would take a second or more each on this machine. The pause after each lets
    a `javascript:` navigation run, and the navigation reach the route that answers it.
    """
    watch.phase = "click"
    watch.block_navigation = True
    try:
        count = page.evaluate(CLICK_ALL)
        page.wait_for_timeout(300)
        page.keyboard.press("Tab")
        page.mouse.move(300, 300)
        page.wait_for_timeout(100)
    finally:
        watch.block_navigation = False
        watch.phase = "load"
    return count


def visit(context, watch, url, *, status=200, click=True, text=()):
    """Load `url`, check its DOM, click everything clickable; return the page's text."""
    watch.where = url
    page = context.new_page()
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    # The annotator draws its highlights and threads after fetching them.
    page.wait_for_load_state("networkidle" if "/annotate/" in url else "load")
    problems = page.evaluate(AUDIT_DOM)
    assert problems == [], (url, problems[:5])
    shown = squash(page.locator("body").inner_text()) if page.locator("body").count() else ""
    for words in text:
        assert squash(words) in shown, (url, words)
    if click:
        watch.clicks[url] = click_everything(page, watch)
        assert page.evaluate(AUDIT_DOM) == [], url
    # The admin's popup windows call into their opener as they close: still the clicks' doing.
    watch.phase = "click"
    for other in context.pages:
        other.close()
    watch.phase = "load"
    return shown


def assert_nothing_ran(watch):
    assert watch.hits == [], watch.hits[:5]
    assert watch.payload_dialogs() == [], watch.payload_dialogs()[:5]
    assert watch.errors == [], watch.errors[:5]
    assert not [e for e in watch.click_errors if re.search(r"xss|alert", e[1], re.I)]
    assert watch.outside == [], watch.outside[:5]
    for where, url in watch.navigations:
        # Only pages of the site (links followed, forms sent, or the admin's own
        # external link to the public page), never a script or data address.
        assert url.startswith(("http://", "https://")), (where, url)


@pytest.fixture
def chromium(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls between browser
    # steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def staff_cookie(live_server, user):
    client = Client()
    client.force_login(user)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host,
            "path": "/"}


def test_in_chromium_no_payload_runs_on_any_page_that_shows_user_text(
    chromium, live_server
):
    site = build_hostile_site()
    articles = site["articles"]
    team = site["team"]
    root = User.objects.create_superuser("rootb", "rootb@example.org", "pw-for-tests-only")
    # One article is taken down: its address answers 410.
    gone, _ = articles[-1]
    workflow.unpublish(gone, actor=team.publisher, comment="<script>window.__xss=1</script>")
    live = articles[:-1]
    base = live_server.url
    watch = Watch(base)

    anonymous = new_context(chromium, watch)
    visit(anonymous, watch, f"{base}/", text=[live[0][1][0]])
    for article, chunk in live:
        visit(anonymous, watch, f"{base}/articles/{article.slug}/", text=[" ".join(chunk)])
    tags = sorted({name for article, _ in live for name in article.tags.names()})
    assert len(tags) >= 30
    for name in tags[::6]:
        visit(anonymous, watch, f"{base}/tags/{slugify(name)}/")
    for query in ("script", live[2][1][0][:100]):
        visit(anonymous, watch, f"{base}/search/?q={query}")
    visit(anonymous, watch, f"{base}/articles/{gone.slug}/", status=410)
    # The feed as the browser shows it: an XHTML <script> in it would run.
    visit(anonymous, watch, f"{base}/feed/", click=False)

    staff = new_context(chromium, watch, cookies=[staff_cookie(live_server, root)])
    # Articles whose titles are javascript: links and a frame, and Markdown links.
    for article, chunk in (articles[2], articles[6]):
        pk = article.pk
        visit(staff, watch, f"{base}/admin/articles/article/{pk}/change/", text=[chunk[0]])
        visit(staff, watch, f"{base}/admin/articles/article/{pk}/revisions/")
        visit(staff, watch, f"{base}/admin/articles/article/{pk}/revisions/diff/"
                            f"?from=1&to={article.draft.number}")
        # The annotator with every review thread (clicking opens each highlight and thread).
        visit(staff, watch, f"{base}/admin/evidence/annotation/annotate/{pk}/", text=[chunk[0]])
        visit(staff, watch, f"{base}/preview/{pk}/")
    # The admin annotation page shows the note and the review thread; the source page its title.
    for annotation in site["annotations"][::9]:
        visit(staff, watch, f"{base}/admin/evidence/annotation/{annotation.pk}/change/")
    for source in site["sources"][::18]:
        visit(staff, watch, f"{base}/admin/evidence/source/{source.pk}/change/")
    for path in ("/admin/", "/admin/articles/article/", "/admin/evidence/annotation/",
                 "/admin/evidence/source/", "/admin/articles/workflowevent/",
                 f"/admin/auth/user/{team.reviewer.pk}/change/", "/admin/auth/user/"):
        visit(staff, watch, f"{base}{path}")

    # The import report: hostile file names and text, sent through the admin's own form.
    watch.where = "import"
    page = staff.new_page()
    page.goto(f"{base}/admin/articles/article/import/")
    files = [{"name": f"<img src=x onerror=window.__xss={n}>.{kind[:4]}",
              "mimeType": "text/plain", "buffer": document(kind, 200 + n)}
             for n, kind in enumerate(FORMATS)]
    files.append({"name": "<script>window.__xss=9</script>.txt", "mimeType": "text/plain",
                  "buffer": b""})
    page.set_input_files("input[type=file]", files)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert page.evaluate(AUDIT_DOM) == []
    assert "<img src=x onerror=window.__xss=0>" in page.locator("#content").inner_text()
    watch.clicks["import"] = click_everything(page, watch)
    page.close()

    assert_nothing_ran(watch)
    # The clicks reached the user's text: a link on each public article page and tag page
    # (its tags), many in the admin and annotator.
    assert all(watch.clicks[f"{base}/articles/{a.slug}/"] >= 3 for a, _ in live)
    assert sum(watch.clicks.values()) >= 500, sum(watch.clicks.values())
    assert watch.navigations, "no click was followed: the clicking did nothing"
    # Pages a claim or a reviewer profile would have (issue 11) do not exist yet: nothing to
    # load here until they do.


def raw_title_route(title, *, keep_csp):
    """A route handler that serves the real page with its escaped title put back raw."""
    escaped = html.escape(title)

    def handle(route):
        response = route.fetch()
        body = response.text()
        assert escaped in body, "the control found no escaped title to un-escape"
        headers = {k: v for k, v in response.headers.items()
                   if keep_csp or k.lower() != "content-security-policy"}
        route.fulfill(response=response, body=body.replace(escaped, title), headers=headers)

    return handle


def test_in_chromium_the_hooks_see_a_payload_that_runs(chromium, live_server):
    """The positive control: with escaping undone on one page, the same hooks fire.

    Article 2's title is `javascript:` links and frames, so without the CSP a payload runs on
    the click (the setter fires) and on load (alert); with the CSP it is blocked and the
    violation is seen. Article 0's title is <script> tags, which run on load.
    """
    site = build_hostile_site(articles=3)
    base = live_server.url
    for keep_csp in (False, True):
        watch = Watch(base)
        context = new_context(chromium, watch)
        for article, chunk in (site["articles"][0], site["articles"][2]):
            url = f"{base}/articles/{article.slug}/"
            watch.where = url
            page = context.new_page()
            page.route(url, raw_title_route(" ".join(chunk), keep_csp=keep_csp))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(500)
            assert page.evaluate(AUDIT_DOM), "the raw title put nothing dangerous in the DOM"
            click_everything(page, watch)
            page.close()
        context.close()
        kinds = {(phase, kind) for _where, phase, kind, _detail in watch.hits}
        if keep_csp:
            assert ("load", "csp") in kinds, watch.hits
            assert ("click", "csp") in kinds, watch.hits
            assert not any(kind == "__xss" for _phase, kind in kinds), watch.hits
        else:
            assert ("load", "__xss") in kinds, watch.hits
            assert ("click", "__xss") in kinds, watch.hits
            assert any(d[2] == "alert" for d in watch.dialogs), watch.dialogs
            assert not any(kind == "csp" for _phase, kind in kinds), watch.hits

