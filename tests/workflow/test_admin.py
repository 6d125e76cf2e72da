"""The article admin: workflow buttons, content edits through revisions, history, dashboard."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from articles.models import Article
from tests.conftest import make_article, make_user
from tests.workflow.conftest import ready_article

State = Article.State


def _change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _form_data(article, **changes):
    draft = article.draft
    data = {
        "title": draft.title, "summary": draft.summary,
        "blocks_json": json.dumps(draft.blocks), "message": "", "base_number": draft.number,
        "slug": article.slug, "tags": "", "assigned_editor": "", "review_due": "",
        "source_url": "", "site_name": "", "original_filename": "",
        "original_published_on": "",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


@pytest.fixture
def staff_editor(db):
    return make_user("Editors", username="ed", is_staff=True)


@pytest.fixture
def staff_reviewer(db):
    return make_user("Reviewers", username="rev", is_staff=True)


def test_workflow_button_posts_perform_and_reports_the_rule(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer, state=State.IN_REVIEW)
    client.force_login(staff_reviewer)
    url = reverse("admin:articles_article_transition", args=[article.pk])
    response = client.post(url, {"action": "request_changes", "comment": ""})
    assert response.status_code == 302
    assert _messages(response) == ["A comment is required to request changes."]
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW

    response = client.post(url, {"action": "request_changes", "comment": "Add sources."})
    article.refresh_from_db()
    assert article.state == State.CHANGES_REQUESTED


def test_transition_view_refuses_get(client, staff_reviewer, staff_editor):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer, state=State.IN_REVIEW)
    client.force_login(staff_reviewer)
    response = client.get(reverse("admin:articles_article_transition", args=[article.pk]))
    assert response.status_code == 405


def test_change_page_shows_only_allowed_buttons(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    client.force_login(staff_editor)
    html = client.get(_change_url(article)).content.decode()
    assert 'value="Submit for review"' in html
    assert 'value="Approve"' not in html
    assert "Event log" in html


def test_state_cannot_be_changed_through_the_form(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    client.force_login(staff_editor)
    response = client.post(_change_url(article), _form_data(article, state="published"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == State.DRAFT


def test_saving_the_form_adds_a_revision(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    client.force_login(staff_editor)
    response = client.post(
        _change_url(article), _form_data(article, summary="A better summary.", message="Why")
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.draft.number, article.draft.summary) == (2, "A better summary.")
    assert article.draft.author == staff_editor


def test_stale_form_shows_the_conflict_and_keeps_the_users_text(
    client, staff_editor, staff_reviewer
):
    from articles import workflow

    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    stale_data = _form_data(article, summary="My careful summary.")
    workflow.save_revision(article, actor=staff_editor, base_number=1,
                           summary="Their quick summary.")
    client.force_login(staff_editor)
    response = client.post(_change_url(article), stale_data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone saved revision 2 after you opened revision 1" in html
    assert "My careful summary." in html
    assert "Their quick summary." in html
    article.refresh_from_db()
    assert article.draft.number == 2


def test_bad_blocks_json_is_a_form_error(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    client.force_login(staff_editor)
    response = client.post(_change_url(article), _form_data(article, blocks_json="[{"))
    assert response.status_code == 200
    assert "This is not valid JSON" in response.content.decode()
    assert article.revisions.count() == 1


def test_history_and_diff_pages(client, staff_editor, staff_reviewer):
    from articles import workflow

    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    workflow.save_revision(article, actor=staff_editor, base_number=1, summary="New summary.")
    client.force_login(staff_editor)
    history = client.get(reverse("admin:articles_article_revisions", args=[article.pk]))
    assert history.status_code == 200
    assert "Restore as new draft" in history.content.decode()
    diff = client.get(
        reverse("admin:articles_article_diff", args=[article.pk]) + "?from=1&to=2"
    )
    assert "<del>A short</del><ins>New</ins> summary." in diff.content.decode()
    missing = client.get(
        reverse("admin:articles_article_diff", args=[article.pk]) + "?from=1&to=9"
    )
    assert missing.status_code == 404


def test_history_needs_edit_rights_even_with_a_known_id(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    client.force_login(make_user("Publishers", is_staff=True))
    for name in ("admin:articles_article_revisions", "admin:articles_article_diff"):
        assert client.get(reverse(name, args=[article.pk])).status_code == 403
    client.force_login(make_user(None, is_staff=True))
    assert client.get(
        reverse("admin:articles_article_revisions", args=[article.pk])
    ).status_code == 403


def test_restore_button_makes_a_new_draft(client, staff_editor, staff_reviewer):
    from articles import workflow

    article = ready_article(author=staff_editor, reviewer=staff_reviewer)
    workflow.save_revision(article, actor=staff_editor, base_number=1, summary="Second.")
    client.force_login(staff_editor)
    client.post(reverse("admin:articles_article_restore_revision", args=[article.pk, 1]))
    article.refresh_from_db()
    assert (article.draft.number, article.draft.summary) == (3, "A short summary.")


def test_list_marks_live_articles_with_unpublished_changes(client, staff_editor, staff_reviewer):
    from articles import workflow

    article = ready_article(author=staff_editor, reviewer=staff_reviewer, state=State.PUBLISHED)
    workflow.save_revision(article, actor=staff_editor, base_number=1, summary="Edited.")
    make_article(title="Never published")
    client.force_login(staff_editor)
    html = client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert "live · draft has unpublished changes" in html
    assert "not live" in html


def test_dashboard_lists_my_reviews(client, staff_editor, staff_reviewer,
                                    django_assert_max_num_queries):
    for _ in range(3):
        ready_article(author=staff_editor, reviewer=staff_reviewer, state=State.IN_REVIEW)
    client.force_login(staff_reviewer)
    with django_assert_max_num_queries(25):
        html = client.get(reverse("admin:index")).content.decode()
    assert "Awaiting my review (3)" in html
    assert "Approved, ready to publish (0)" in html


def test_reviewers_form_assigns(client, staff_editor, staff_reviewer):
    article = make_article(author=staff_editor)
    client.force_login(staff_editor)
    client.post(reverse("admin:articles_article_reviewers", args=[article.pk]),
                {"reviewers": [staff_reviewer.username], "due": "2030-01-31"})
    assignment = article.review_assignments.get()
    assert (assignment.reviewer, str(assignment.due)) == (staff_reviewer, "2030-01-31")


def test_notification_preference_is_only_ones_own(client, staff_editor, staff_reviewer):
    from articles.models import NotificationPreference

    theirs = NotificationPreference.objects.create(user=staff_reviewer)
    client.force_login(staff_editor)
    add = client.post(reverse("admin:articles_notificationpreference_add"), {})
    assert add.status_code == 302
    mine = NotificationPreference.objects.get(user=staff_editor)
    assert mine.email_enabled is False  # an unticked box
    url = reverse("admin:articles_notificationpreference_change", args=[theirs.pk])
    assert client.get(url).status_code in (302, 403, 404)


def test_reviewer_sees_the_page_read_only_with_review_buttons(
    client, staff_editor, staff_reviewer
):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer, state=State.IN_REVIEW)
    client.force_login(staff_reviewer)
    response = client.get(_change_url(article))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Approve"' in html
    assert 'value="Request changes"' in html
    assert 'name="blocks_json"' not in html


def test_superuser_sees_the_full_change_page(client, staff_editor, staff_reviewer):
    article = ready_article(author=staff_editor, reviewer=staff_reviewer, state=State.PUBLISHED)
    client.force_login(make_user(is_superuser=True, is_staff=True))
    html = client.get(_change_url(article)).content.decode()
    assert 'value="Unpublish"' in html
    assert 'name="blocks_json"' in html


def test_overdue_lists_late_reviews_and_late_re_reviews(staff_editor, staff_reviewer):
    from datetime import date, timedelta

    from tests.workflow.conftest import assign

    today = date(2030, 6, 1)
    late_review = ready_article(author=staff_editor, reviewer=staff_reviewer,
                                state=State.IN_REVIEW)
    late_review.review_assignments.all().delete()
    assign(late_review, staff_reviewer, due=today - timedelta(days=1))
    stale_page = ready_article(author=staff_editor, reviewer=staff_reviewer,
                               state=State.PUBLISHED)
    Article.objects.filter(pk=stale_page.pk).update(review_due=today - timedelta(days=1))
    fresh_page = ready_article(author=staff_editor, reviewer=staff_reviewer,
                               state=State.PUBLISHED)
    Article.objects.filter(pk=fresh_page.pk).update(review_due=today)
    overdue = set(Article.objects.overdue(today).values_list("pk", flat=True))
    assert overdue == {late_review.pk, stale_page.pk}
