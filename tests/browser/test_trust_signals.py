"""Review dates, the overdue notice and the reviewer credit in a real Chromium: axe-clean in
light and dark mode, on a phone and a desktop. With KETASITE_SHOTS_DIR set, the article page
is also saved as screenshots for a human to look at."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from articles.reviewing import refresh_overdue_notices
from reviewers import profiles
from reviewers.models import ReviewerProfile
from tests.browser.test_public_accessibility import ARGS, axe_violations, describe
from tests.reviews.conftest import live_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def browser(chromium_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def credited_article(people):
    profile = ReviewerProfile.objects.create(
        user=people["reviewer"], name="Dr Rita Reviewer", slug="rita-reviewer",
        qualifications="MBBS, MRCPsych", current_role="Consultant psychiatrist",
        expertise="Depression, Psychopharmacology", conflicts_of_interest="None.",
        biography="Twenty years in mood disorders.",
    )
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    article = live_article(people, source_url="https://clinic.example/ketamine",
                           site_name="Example Clinic")
    return article


@pytest.fixture
def people(db):
    from tests.conftest import make_user

    return {
        "editor": make_user("Editors", username="ed"),
        "reviewer": make_user("Reviewers", username="rita"),
        "publisher": make_user("Publishers", username="pat"),
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_review_dates_and_credit_are_visible_and_accessible(
    credited_article, live_server, browser, scheme, viewport
):
    page = browser.new_page(color_scheme=scheme, viewport=VIEWPORTS[viewport], bypass_csp=True)
    page.goto(live_server.url + f"/articles/{credited_article.slug}/")
    assert page.get_by_text("Page last reviewed:").is_visible()
    credit = page.get_by_role("link", name="Dr Rita Reviewer, MBBS, MRCPsych")
    assert credit.is_visible()
    shots = os.environ.get("KETASITE_SHOTS_DIR")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/article-{viewport}-{scheme}.png", full_page=True)
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    # The credit links to the profile at the site's address (KETASITE_SITE_URL).
    assert credit.get_attribute("href").endswith("/reviewers/rita-reviewer/")
    page.goto(live_server.url + "/reviewers/rita-reviewer/")
    assert page.get_by_role("heading", name="Declared conflicts of interest").is_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.fixture
def overdue_article(credited_article):
    # Before the browser starts: Playwright's event loop forbids database calls beside it.
    refresh_overdue_notices(today=timezone.localdate() + timedelta(days=800))
    return credited_article


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_overdue_notice_is_accessible(overdue_article, live_server, browser, scheme):
    credited_article = overdue_article
    page = browser.new_page(color_scheme=scheme, viewport=VIEWPORTS["desktop"], bypass_csp=True)
    page.goto(live_server.url + f"/articles/{credited_article.slug}/")
    notice = "This page is due for review; the evidence may have changed."
    assert page.get_by_text(notice).is_visible()
    shots = os.environ.get("KETASITE_SHOTS_DIR")
    if shots:
        page.screenshot(path=f"{shots}/article-overdue-{scheme}.png")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
