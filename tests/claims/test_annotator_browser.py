"""The annotator in Chromium: a passage whose claim was rated in another article shows
"Already rated: …" and is linked with one button."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from claims.models import ClaimLink
from tests.annotator.test_browser import assert_clean, browser_page, open_annotator, sign_in
from tests.claims.helpers import rated_claim
from tests.conftest import make_annotation, make_article, make_blocks, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["browser_page"]

SENTENCE = "Blood pressure goes up during the first hour after a ketamine dose."


def test_a_claim_rated_elsewhere_is_offered_and_linked(browser_page, live_server):
    page = browser_page
    editor = make_user("Editors", is_staff=True)
    reviewer = make_user("Reviewers", first_name="Rita", last_name="Reviewer")
    claim = rated_claim("Ketamine can raise blood pressure for about an hour.", editor=editor,
                        reviewer=reviewer, verdict="supported", certainty="high",
                        note="Seen in every trial.")
    rated_claim("Ketamine can lower blood pressure for about an hour.", editor=editor,
                reviewer=reviewer, verdict="contradicted", certainty="moderate")
    article = make_article(blocks=make_blocks(SENTENCE))
    annotation = make_annotation(article, block_id="p1", start=0, end=len(SENTENCE))
    sign_in(page, live_server, editor)

    open_annotator(page, live_server, article)
    page.locator("#b-p1 a.claim").first.click()
    match = page.locator("#claim-panel .claim-match")
    expect(match.first).to_be_visible()
    today = timezone.localdate().isoformat()
    expect(match).to_have_count(1)
    expect(match.first).to_contain_text(
        f"Already rated: {claim.statement} — Supported, high certainty, by Rita Reviewer "
        f"on {today}"
    )
    expect(match.first).to_contain_text("same outcome: blood pressure")

    match.first.get_by_role("button", name="Link").click()
    expect(page.locator("#claim-panel-status")).to_contain_text("Linked")
    expect(page.locator("#claim-panel .claim-linked")).to_contain_text(claim.statement)
    link = ClaimLink.objects.get(annotation=annotation)
    assert link.claim_id == claim.pk and link.confirmed_at is None
    annotation.refresh_from_db()
    assert annotation.verdict == ""
    assert_clean(page)
