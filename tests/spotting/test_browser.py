"""Suggested claims in the annotator, in Chromium: shown dashed with kind and reasons; accept
one, dismiss one (from the keyboard), and the dismissed one stays away after a re-import."""

import pytest
from playwright.sync_api import expect

from evidence.models import Annotation
from tests.annotator.test_browser import assert_clean, open_annotator, sign_in
from tests.conftest import make_user
from tests.spotting.helpers import CLAIM, SECOND_CLAIM, import_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_CLAIM = "Ketamine blocks NMDA receptors in the brain."
HIGHLIGHTED = "[...(CSS.highlights.get('ks-suggestion') || [])].map((r) => r.toString())"


def test_suggestions_are_shown_accepted_dismissed_and_stay_dismissed(browser_page, live_server):
    page = browser_page
    article = import_article().article
    user = make_user(groups=["Editors"], is_staff=True)
    sign_in(page, live_server, user)
    open_annotator(page, live_server, article)

    items = page.locator("#suggestion-list > li.suggestion")
    expect(items).to_have_count(2)
    expect(page.locator("#suggestions-heading")).to_have_text("Suggested claims (2)")
    first, second = items.nth(0), items.nth(1)
    expect(first.locator(".suggestion-quote")).to_have_text(CLAIM)
    expect(first.locator(".suggestion-meta")).to_contain_text("not rated")
    expect(first.locator(".suggestion-meta")).to_contain_text("safety or side effects")
    expect(first.locator(".suggestion-reasons")).to_contain_text("a causal verb: raise")
    assert first.evaluate("(el) => getComputedStyle(el).borderTopStyle") == "dashed"
    # The sentences are highlighted on the text itself, without changing its elements.
    assert page.evaluate(HIGHLIGHTED) == [CLAIM, SECOND_CLAIM]
    accept = first.get_by_role("button", name=f"Accept as an annotation: {CLAIM}")
    dismiss = second.get_by_role("button", name=f"Dismiss, not a claim: {SECOND_CLAIM}")

    # Dismiss from the keyboard.
    dismiss.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#suggestion-status")).to_contain_text("Dismissed")
    expect(items).to_have_count(1)
    assert page.evaluate(HIGHLIGHTED) == [CLAIM]

    # Accept: an annotation, not rated, listed with the others after the page reloads.
    accept.click()
    page.wait_for_load_state("load")
    page.wait_for_selector("#annotator.annotator-ready")
    listed = page.locator("#annotation-lists .annotation-item")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(CLAIM[:40])
    expect(page.locator(".suggestion-empty")).to_be_visible()
    annotation = Annotation.objects.get(article=article)
    assert (annotation.exact, annotation.verdict, annotation.certainty) == (CLAIM, "", "")

    # A re-import of changed text: the new claim is suggested, the dismissed one is not, and
    # the accepted one is an annotation still.
    outcome = import_article(extra=NEW_CLAIM)
    assert outcome.result == "new_revision"
    page.reload()
    page.wait_for_selector("#annotator.annotator-ready")
    expect(items).to_have_count(1)
    expect(items.first.locator(".suggestion-quote")).to_have_text(NEW_CLAIM)
    assert page.evaluate(HIGHLIGHTED) == [NEW_CLAIM]
    assert_clean(page)
