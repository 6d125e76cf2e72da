"""Review intervals, "last reviewed / next review due", and "Reviewed, no change"."""

from datetime import date

import pytest
from django.core.management import call_command
from taggit.models import Tag

from articles import workflow
from articles.models import Article, TagReviewInterval, WorkflowEvent
from tests.conftest import make_user
from tests.reviews.conftest import live_article

pytestmark = pytest.mark.django_db

# The clock starts on 15 January 2027 (tests/reviews/conftest.py).
JAN_15 = date(2027, 1, 15)


def _state(article):
    article.refresh_from_db()
    return (
        article.state, article.live_id, article.review_interval_months, article.review_due,
        article.last_reviewed_on, article.events.count(), article.publications.count(),
    )


def page(client, article):
    article.refresh_from_db()
    response = client.get(f"/articles/{article.live.slug}/")
    assert response.status_code == 200
    return response.content.decode()


# Intervals -------------------------------------------------------------------------------


def test_publish_sets_last_reviewed_today_and_next_due_a_year_later_by_default(clock, people):
    article = live_article(people)
    assert article.last_reviewed_on == JAN_15
    assert article.review_due == date(2028, 1, 15)
    assert article.last_reviewed_by == people["reviewer"]


def test_the_site_default_is_a_number_of_months(clock, people, settings):
    settings.KETASITE_REVIEW_INTERVAL_MONTHS = 18
    assert live_article(people).review_due == date(2028, 7, 15)


def test_a_tag_rule_is_the_default_for_its_articles_and_the_shortest_wins(clock, people):
    article = live_article(people, tags=["adhd", "depression"])
    TagReviewInterval.objects.create(tag=Tag.objects.get(name="adhd"), months=6)
    TagReviewInterval.objects.create(tag=Tag.objects.get(name="depression"), months=3)
    other = live_article(people, tags=["adhd"], title="Another")
    assert other.review_due == date(2027, 7, 15)
    # The first article was published before the rules: its next publish uses them.
    clock.advance(days=1)
    workflow.reviewed_no_change(article, actor=people["reviewer2"])
    article.refresh_from_db()
    assert article.review_due == date(2027, 4, 16)


def test_an_articles_own_interval_overrides_its_tags(clock, people):
    article = live_article(people, tags=["adhd"])
    TagReviewInterval.objects.create(tag=Tag.objects.get(name="adhd"), months=3)
    reviewdates_set(article, people["editor"], 36)
    article.refresh_from_db()
    assert article.review_due == date(2030, 1, 15)


def reviewdates_set(article, actor, months):
    from articles.reviewing import set_review_interval

    return set_review_interval(article, actor=actor, months=months)


def test_the_end_of_a_month_is_kept_within_the_shorter_month(clock, people):
    clock.now = clock.now.replace(month=8, day=31)
    article = live_article(people)
    reviewdates_set(article, people["editor"], 6)
    article.refresh_from_db()
    assert article.review_due == date(2028, 2, 29)


def test_setting_an_interval_through_the_api_moves_the_due_date_and_the_live_page(
    clock, people, client
):
    article = live_article(people)
    client.force_login(people["editor"])
    response = client.put(
        f"/api/v1/editorial/articles/{article.pk}/review-interval/", {"months": 6},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "months": 6, "effective_months": 6, "last_reviewed_on": "2027-01-15",
        "review_due": "2027-07-15",
    }
    client.logout()
    assert "Next review due: <time datetime=\"2027-07-15\">15 July 2027</time>" in page(
        client, article
    )
    event = article.events.order_by("-pk").first()
    assert event.action == "review_interval" and "12 months" not in event.comment
    assert "→ 6 months" in event.comment


@pytest.mark.parametrize("months", [7, 0, 48, -3, "six", True, [6], 12.5])
def test_an_interval_outside_the_allowed_values_is_refused_with_400_and_nothing_written(
    clock, people, client, months
):
    article = live_article(people)
    before = _state(article)
    client.force_login(people["editor"])
    response = client.put(
        f"/api/v1/editorial/articles/{article.pk}/review-interval/", {"months": months},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] in ("invalid", "validation_error") and "months" in body["errors"]
    assert _state(article) == before


def test_a_reviewer_who_is_not_an_editor_may_not_change_the_interval(clock, people, client):
    article = live_article(people)
    before = _state(article)
    client.force_login(people["reviewer"])
    response = client.put(
        f"/api/v1/editorial/articles/{article.pk}/review-interval/", {"months": 6},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert _state(article) == before


def test_the_admin_form_offers_only_the_allowed_intervals(clock, people, client):
    article = live_article(people)
    admin = make_user(username="boss", is_superuser=True, is_staff=True)
    client.force_login(admin)
    html = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    options = [m for m in (3, 6, 12, 18, 24, 36) if f'<option value="{m}">' in html]
    assert options == [3, 6, 12, 18, 24, 36]
    assert '<option value="7">' not in html


def test_the_old_day_setting_is_refused_at_start(monkeypatch):
    import subprocess
    import sys

    env = {"KETASITE_REVIEW_INTERVAL_DAYS": "365", "DJANGO_DEBUG": "true", "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ.setdefault("
         "'DJANGO_SETTINGS_MODULE', 'ketasite.settings'); django.setup()"],
        env=env, capture_output=True, text=True, cwd=str(__import__("pathlib").Path(
            __file__).resolve().parents[2]),
    )
    assert result.returncode != 0
    assert "KETASITE_REVIEW_INTERVAL_MONTHS" in result.stderr


# The public page ---------------------------------------------------------------------------


def test_the_page_shows_last_reviewed_and_next_review_due(clock, people, client):
    html = page(client, live_article(people))
    assert (
        'Page last reviewed: <time datetime="2027-01-15">15 January 2027</time> · '
        'Next review due: <time datetime="2028-01-15">15 January 2028</time>'
    ) in html


def test_the_overdue_notice_appears_only_once_overdue_by_more_than_the_interval(
    clock, people, client
):
    notice = "This page is due for review; the evidence may have changed."
    article = live_article(people)  # due 15 January 2028, interval 12 months
    clock.now = clock.now.replace(year=2029)  # 15 January 2029: overdue by exactly 12 months
    call_command("publish_scheduled")
    assert notice not in page(client, article)
    clock.advance(days=1)
    call_command("publish_scheduled")
    assert notice in page(client, article)
    # Confirmed: the notice goes with the republication.
    workflow.reviewed_no_change(article, actor=people["reviewer2"])
    html = page(client, article)
    assert notice not in html
    assert 'Page last reviewed: <time datetime="2029-01-16">' in html


def test_the_overdue_notice_costs_no_query_on_the_anonymous_page(
    clock, people, client, django_assert_num_queries
):
    article = live_article(people)
    clock.now = clock.now.replace(year=2030)
    call_command("publish_scheduled")
    client.get(f"/articles/{article.live.slug}/")  # fill the process's shell
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(1):
        html = client.get(f"/articles/{article.live.slug}/").content.decode()
    assert "This page is due for review" in html


def test_refreshing_notices_rerenders_nothing_when_nothing_changed(clock, people):
    from articles.reviewing import refresh_overdue_notices

    live_article(people)
    assert refresh_overdue_notices(today=date(2027, 6, 1)) == 0
    assert refresh_overdue_notices(today=date(2029, 1, 16)) == 1
    assert refresh_overdue_notices(today=date(2029, 1, 16)) == 0
    # Back before the threshold (an interval lengthened, say): the notice goes again.
    assert refresh_overdue_notices(today=date(2027, 6, 1)) == 1


# "Reviewed, no change" --------------------------------------------------------------------


def test_reviewed_no_change_moves_the_dates_and_republishes_the_same_content(clock, people):
    article = live_article(people)
    first = article.live
    clock.now = clock.now.replace(year=2028, month=1, day=10)
    workflow.perform(article, action="reviewed_no_change", actor=people["reviewer2"],
                     comment="Checked the 2027 trials.")
    article.refresh_from_db()
    second = article.live
    assert second.pk != first.pk
    assert second.revision_id == first.revision_id
    assert second.body_html == first.body_html and second.annotations == first.annotations
    assert article.state == Article.State.PUBLISHED
    assert article.last_reviewed_on == date(2028, 1, 10)
    assert article.review_due == date(2029, 1, 10)
    assert article.last_reviewed_by == people["reviewer2"]
    assert second.changelog[-1]["note"] == "Reviewed, no change."
    assert second.changelog[-1]["date"] == "2028-01-10"
    event = article.events.order_by("-pk").first()
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        "reviewed_no_change", people["reviewer2"], "published", "published",
        "Checked the 2027 trials.",
    )


def test_the_changelog_line_is_on_the_public_page(clock, people, client):
    article = live_article(people)
    workflow.reviewed_no_change(article, actor=people["reviewer2"])
    html = page(client, article)
    assert "Reviewed, no change." in html and "First published." in html


def test_reviewed_no_change_on_an_edited_article_is_refused_with_409_and_nothing_written(
    clock, people, client
):
    article = live_article(people)
    workflow.save_revision(article, actor=people["editor"], base_number=1, title="New title")
    before = _state(article)
    client.force_login(people["reviewer2"])
    response = client.post(
        f"/api/v1/editorial/articles/{article.pk}/transitions/",
        {"action": "reviewed_no_change"}, content_type="application/json",
    )
    assert response.status_code == 409
    assert "draft differs from the live page" in response.json()["detail"]
    assert _state(article) == before


def test_reviewed_no_change_passes_four_eyes_like_an_approval(clock, people):
    """The editor who wrote the live content may not confirm it, even when also a reviewer,
    and not after someone else confirmed it either."""
    article = live_article(people)
    people["editor"].groups.add(*people["reviewer"].groups.all())
    author = type(people["editor"]).objects.get(pk=people["editor"].pk)  # fresh permissions
    before = _state(article)
    with pytest.raises(workflow.NotAllowed, match="Four-eyes"):
        workflow.reviewed_no_change(article, actor=author)
    assert _state(article) == before
    workflow.reviewed_no_change(article, actor=people["reviewer2"])
    with pytest.raises(workflow.NotAllowed, match="Four-eyes"):
        workflow.reviewed_no_change(article, actor=author)


def test_reviewed_no_change_is_for_reviewers_only(clock, people):
    article = live_article(people)
    before = _state(article)
    for actor in (people["publisher"], make_user("Editors")):
        with pytest.raises(workflow.NotAllowed):
            workflow.reviewed_no_change(article, actor=actor)
    assert _state(article) == before


def test_the_admin_shows_the_button_and_it_works(clock, people, client):
    article = live_article(people)
    client.force_login(people["reviewer2"])
    html = client.get(f"/admin/articles/article/{article.pk}/change/").content.decode()
    assert 'value="reviewed_no_change"' in html and "Reviewed, no change" in html
    response = client.post(
        f"/admin/articles/article/{article.pk}/transition/",
        {"action": "reviewed_no_change", "comment": ""},
    )
    assert response.status_code == 302
    assert WorkflowEvent.objects.filter(article=article, action="reviewed_no_change").exists()


def test_a_tag_rule_set_in_the_admin_moves_its_live_articles_due_dates(clock, people, client):
    article = live_article(people, tags=["adhd"])
    own = live_article(people, tags=["adhd"], title="Has its own")
    reviewdates_set(own, people["editor"], 24)
    client.force_login(people["editor"])
    response = client.post(
        "/admin/articles/tagreviewinterval/add/",
        {"tag": Tag.objects.get(name="adhd").pk, "months": 3},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    own.refresh_from_db()
    assert article.review_due == date(2027, 4, 15)
    assert own.review_due == date(2029, 1, 15)  # its own interval wins
    assert "Next review due: <time datetime=\"2027-04-15\">" in page(client, article)


def test_a_tag_rule_outside_the_allowed_values_is_refused(clock, people, client):
    live_article(people, tags=["adhd"])
    client.force_login(people["editor"])
    response = client.post(
        "/admin/articles/tagreviewinterval/add/",
        {"tag": Tag.objects.get(name="adhd").pk, "months": 7},
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not TagReviewInterval.objects.exists()
    with pytest.raises(workflow.InvalidInput):
        from articles.reviewing import set_tag_review_interval

        set_tag_review_interval(Tag.objects.get(name="adhd"), actor=people["editor"], months=5)
    assert not TagReviewInterval.objects.exists()
