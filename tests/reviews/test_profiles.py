"""Reviewer profiles: nothing public until a publisher publishes; the article credits them."""

import pytest
from django.urls import reverse

from articles import workflow
from reviewers import profiles
from reviewers.models import EditorialPolicy, ReviewerProfile
from tests.conftest import make_user
from tests.reviews.conftest import live_article

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "Dr Rita Reviewer",
    "slug": "rita-reviewer",
    "qualifications": "MBBS, MRCPsych",
    "current_role": "Consultant psychiatrist, Example NHS Trust",
    "expertise": "Depression, Psychopharmacology",
    "biography": "Twenty years in mood disorders.",
    "conflicts_of_interest": "Paid speaker for a ketamine clinic in 2024.",
}


def make_profile(user, **changes):
    return ReviewerProfile.objects.create(user=user, **{**PROFILE, **changes})


def public_routes(client, slug="rita-reviewer"):
    """What an anonymous reader can find of the profile, by every route."""
    return {
        "page": client.get(f"/reviewers/{slug}/").status_code,
        "list": "Dr Rita Reviewer" in client.get("/reviewers/").content.decode(),
        "sitemap": f"/reviewers/{slug}/" in client.get("/sitemap-reviewers.xml").content.decode(),
    }


NOTHING = {"page": 404, "list": False, "sitemap": False}


def test_a_draft_profile_shows_nowhere(client, people):
    make_profile(people["reviewer"])
    assert public_routes(client) == NOTHING


def test_a_submitted_profile_still_shows_nowhere(client, people):
    profile = make_profile(people["reviewer"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    assert public_routes(client) == NOTHING


def test_a_published_profile_shows_everything_it_declares(client, people):
    profile = make_profile(people["reviewer"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    assert public_routes(client) == {"page": 200, "list": True, "sitemap": True}
    html = client.get("/reviewers/rita-reviewer/").content.decode()
    for text in ("Dr Rita Reviewer", "MBBS, MRCPsych", "Consultant psychiatrist",
                 "<li>Depression</li>", "<li>Psychopharmacology</li>",
                 "Twenty years in mood disorders.", "Declared conflicts of interest",
                 "Paid speaker for a ketamine clinic in 2024."):
        assert text in html


def test_a_profile_without_a_conflicts_statement_cannot_be_submitted(client, people):
    profile = make_profile(people["reviewer"], conflicts_of_interest="  ")
    with pytest.raises(workflow.InvalidInput) as refused:
        profiles.submit_profile(profile, actor=people["reviewer"])
    assert refused.value.http_status == 400
    assert "conflicts_of_interest" in refused.value.errors
    profile.refresh_from_db()
    assert profile.submitted_at is None


def test_the_admin_refuses_to_submit_without_a_conflicts_statement(client, people):
    profile = make_profile(people["reviewer"], conflicts_of_interest="")
    client.force_login(people["reviewer"])
    response = client.post(
        reverse("admin:reviewers_reviewerprofile_action", args=[profile.pk, "submit"]),
        follow=True,
    )
    assert "Declare any conflicts of interest" in response.content.decode()
    profile.refresh_from_db()
    assert profile.submitted_at is None


def test_none_is_a_valid_declaration(people):
    profile = make_profile(people["reviewer"], conflicts_of_interest="None")
    profiles.submit_profile(profile, actor=people["reviewer"])
    assert profile.submitted_at is not None


def test_only_the_owner_submits_and_only_a_publisher_publishes(people):
    profile = make_profile(people["reviewer"])
    with pytest.raises(workflow.NotAllowed):
        profiles.submit_profile(profile, actor=people["reviewer2"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    for actor in (people["reviewer"], people["editor"]):
        with pytest.raises(workflow.NotAllowed):
            profiles.publish_profile(profile, actor=actor)
    profile.refresh_from_db()
    assert not profile.is_published


def test_another_reviewer_cannot_open_or_edit_my_profile_in_the_admin(client, people):
    profile = make_profile(people["reviewer"])
    client.force_login(people["reviewer2"])
    url = reverse("admin:reviewers_reviewerprofile_change", args=[profile.pk])
    assert client.get(url).status_code in (302, 403, 404)
    client.post(url, {**PROFILE, "name": "Hijacked"})
    profile.refresh_from_db()
    assert profile.name == "Dr Rita Reviewer"


def test_the_owner_edits_in_the_admin_and_the_public_sees_it_only_when_republished(
    client, people
):
    profile = make_profile(people["reviewer"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    staff = client.__class__()
    staff.force_login(people["reviewer"])
    url = reverse("admin:reviewers_reviewerprofile_change", args=[profile.pk])
    response = staff.post(url, {**PROFILE, "qualifications": "MBBS, MRCPsych, PhD"})
    assert response.status_code == 302
    assert "PhD" not in client.get("/reviewers/rita-reviewer/").content.decode()
    profile.refresh_from_db()
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    assert "MBBS, MRCPsych, PhD" in client.get("/reviewers/rita-reviewer/").content.decode()


def test_the_article_credits_the_reviewer_with_a_link_once_the_profile_is_published(
    clock, client, people
):
    article = live_article(people)
    profile = make_profile(people["reviewer"])
    html = client.get(f"/articles/{article.live.slug}/").content.decode()
    assert "Medically reviewed by" not in html and "MRCPsych" not in html
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    html = client.get(f"/articles/{article.live.slug}/").content.decode()
    assert (
        'Medically reviewed by <a href="http://testserver/reviewers/rita-reviewer/" '
        'rel="author">Dr Rita Reviewer, MBBS, MRCPsych</a>'
    ) in html.replace("http://127.0.0.1:8000", "http://testserver")
    # The profile lists the article and the claim the reviewer rated.
    page = client.get("/reviewers/rita-reviewer/").content.decode()
    assert "Ketamine and depression" in page and "Ketamine may help" in page and "Mixed" in page


def test_a_withdrawn_profile_disappears_everywhere_and_the_credit_loses_its_link(
    clock, client, people
):
    article = live_article(people)
    profile = make_profile(people["reviewer"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    profiles.withdraw_profile(profile, actor=people["publisher"])
    assert public_routes(client) == NOTHING
    html = client.get(f"/articles/{article.live.slug}/").content.decode()
    assert "/reviewers/rita-reviewer/" not in html and "MRCPsych" not in html


def test_the_profile_lists_only_published_articles(clock, client, people):
    article = live_article(people)
    profile = make_profile(people["reviewer"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    workflow.unpublish(article, actor=people["publisher"], comment="Withdrawn.")
    page = client.get("/reviewers/rita-reviewer/").content.decode()
    assert "Ketamine and depression" not in page


def test_the_profile_page_costs_the_same_queries_for_one_or_many_articles(
    clock, client, people, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    live_article(people)
    profile = make_profile(people["reviewer"])
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    cache.clear()
    with CaptureQueriesContext(connection) as one:
        client.get("/reviewers/rita-reviewer/")
    for index in range(4):
        live_article(people, title=f"Article {index}")
    cache.clear()
    with CaptureQueriesContext(connection) as five:
        html = client.get("/reviewers/rita-reviewer/").content.decode()
    assert "Article 3" in html
    assert len(five) == len(one)


def test_how_we_rate_links_the_reviewers_and_shows_the_policy_edited_in_the_admin(
    client, people
):
    admin_user = make_user(username="boss", is_superuser=True, is_staff=True)
    html = client.get("/how-we-rate-evidence/").content.decode()
    assert 'href="/reviewers/"' in html
    staff = client.__class__()
    staff.force_login(admin_user)
    response = staff.post(
        reverse("admin:reviewers_editorialpolicy_add"),
        {"editorial_policy": "We correct errors within a week.",
         "funding": "Funded by reader donations only; no advertising."},
    )
    assert response.status_code == 302
    assert EditorialPolicy.objects.count() == 1
    html = client.get("/how-we-rate-evidence/").content.decode()  # the cache was purged
    assert "We correct errors within a week." in html
    assert "Funded by reader donations only; no advertising." in html


def test_a_reviewer_cannot_edit_the_policy(client, people):
    client.force_login(people["reviewer"])
    response = client.post(
        reverse("admin:reviewers_editorialpolicy_add"),
        {"editorial_policy": "Anything goes.", "funding": "Secret."},
    )
    assert response.status_code == 403
    assert not EditorialPolicy.objects.exists()


def test_profile_text_is_escaped_everywhere_it_shows(clock, client, people):
    payload = '<script>window.__xss=1</script><img src=x onerror=alert(1)>'
    profile = make_profile(
        people["reviewer"], name=f"Rita {payload}", qualifications=payload, biography=payload,
        current_role=payload, expertise=payload, conflicts_of_interest=payload,
    )
    profiles.submit_profile(profile, actor=people["reviewer"])
    profiles.publish_profile(profile, actor=people["publisher"])
    article = live_article(people)
    for path in ("/reviewers/", "/reviewers/rita-reviewer/", f"/articles/{article.live.slug}/"):
        html = client.get(path).content.decode()
        assert "<script>window.__xss" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html, path
