"""The admin pages editors use all day, in a real Chromium: axe-core finds no serious or
critical violations on the dashboard, an article's change page, the annotator and the import
page, in the light and the dark scheme; the workflow panel reads top to bottom."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.urls import reverse

from articles import workflow
from articles.blocks import block_text
from articles.importing import import_bytes
from evidence.annotations import create_annotation
from tests.browser.test_public_accessibility import axe_violations, browser, describe
from tests.public.reviewed_site import reviewed_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # the fixture, shared with the public pages' tests

IN_REVIEW_DOCUMENT = b"""# Ketamine and sleep

A draft about how patients sleep on the nights after a ketamine infusion, still waiting
for its first review by a reviewer.

## Sleep

Some patients sleep badly on the night after an infusion (1).

## References

1. https://pubmed.ncbi.nlm.nih.gov/31166571/
"""


@pytest.fixture
def site(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls between browser
    # steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    site = reviewed_site(staff=True)
    outcome = import_bytes(IN_REVIEW_DOCUMENT, filename="sleep.md", actor=site.editor)
    site.in_review = outcome.article
    workflow.assign_reviewers(site.in_review, actor=site.editor, reviewers=[site.reviewer])
    # An unrated passage, as an editor leaves it for the reviewer.
    quote = "Some patients sleep badly"
    block = next(b for b in site.in_review.draft.blocks if quote in block_text(b))
    start = block_text(block).index(quote)
    create_annotation(article=site.in_review, actor=site.editor, block_id=block["id"],
                      start=start, end=start + len(quote), exact=quote)
    workflow.submit(site.in_review, actor=site.editor, comment="Ready.")
    return site


def signed_in_page(browser, live_server, user, *, scheme="light", width=1280):
    """A page whose browser holds a session for `user`, as the admin sign-in would give."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    # bypass_csp only so that axe itself can be injected.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True,
                                  viewport={"width": width, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                          "url": live_server.url}])
    return context.new_page()


def admin_pages(site):
    """(who, path) of the pages to check: each as the person who works there."""
    return [
        ("editor", reverse("admin:index")),
        ("reviewer", reverse("admin:index")),
        ("editor", reverse("admin:articles_article_change", args=[site.live.pk])),
        ("reviewer", reverse("admin:articles_article_change", args=[site.in_review.pk])),
        ("publisher", reverse("admin:articles_article_change", args=[site.live.pk])),
        ("editor", reverse("admin:evidence_annotation_annotate", args=[site.in_review.pk])),
        ("reviewer", reverse("admin:evidence_annotation_annotate", args=[site.in_review.pk])),
        ("reviewer", reverse("admin:evidence_annotation_annotate", args=[site.live.pk])),
        ("editor", reverse("admin:articles_article_import")),
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_pages_have_no_serious_accessibility_violations(site, live_server, browser,
                                                              scheme):
    failures = []
    for who, path in admin_pages(site):
        page = signed_in_page(browser, live_server, getattr(site, who), scheme=scheme)
        response = page.goto(live_server.url + path)
        assert response.status == 200, f"{path} as {who}: {response.status}"
        assert "/login/" not in page.url, f"{path} as {who}: sent to sign in"
        violations = axe_violations(page)
        if violations:
            failures.append(f"{path} as {who} ({scheme}): {describe(violations)}")
        page.context.close()
    assert failures == [], "\n".join(failures)


def test_the_admin_is_named_for_ketasite(site, live_server, browser):
    page = signed_in_page(browser, live_server, site.editor)
    page.goto(live_server.url + reverse("admin:index"))
    assert "ketasite" in page.title()
    assert "Django" not in page.title()
    header = page.locator("#site-name").inner_text()
    assert "ketasite" in header and "Django" not in header
