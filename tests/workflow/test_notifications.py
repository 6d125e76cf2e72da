"""Workflow emails go, after commit, to the people who must act next."""

import pytest
from django.core import mail

from articles import workflow
from articles.models import Article, NotificationPreference
from tests.conftest import make_user
from tests.workflow.conftest import ready_article

State = Article.State


def test_submit_emails_the_assigned_reviewers(editor, reviewer, django_capture_on_commit_callbacks):
    article = ready_article(author=editor, reviewer=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(article, actor=editor, comment="Please look at the dosing section.")
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert "Review requested: A test article" in mail.outbox[0].subject
    assert "Please look at the dosing section." in mail.outbox[0].body
    assert f"/admin/articles/article/{article.pk}/change/" in mail.outbox[0].body


def test_nothing_is_sent_when_the_transition_fails(editor, django_capture_on_commit_callbacks):
    article = ready_article(author=editor, reviewer=make_user("Reviewers"))
    article.review_assignments.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(workflow.GateFailed):
        workflow.submit(article, actor=editor)
    assert mail.outbox == []


def test_request_changes_emails_the_authors(editor, reviewer, django_capture_on_commit_callbacks):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.request_changes(article, actor=reviewer, comment="Cite the 2023 trial.")
    assert [m.to for m in mail.outbox] == [[editor.email]]
    assert mail.outbox[0].subject.endswith("Changes requested: A test article")
    assert "Cite the 2023 trial." in mail.outbox[0].body


def test_approve_emails_the_authors_and_the_publishers(
    editor, reviewer, publisher, django_capture_on_commit_callbacks
):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(article, actor=reviewer)
    sent = sorted((m.to[0], m.subject.split("] ")[1]) for m in mail.outbox)
    assert sent == [
        (editor.email, "Approved: A test article"),
        (publisher.email, "Ready to publish: A test article"),
    ]


def test_users_who_turned_emails_off_get_none(editor, reviewer, django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=reviewer, email_enabled=False)
    article = ready_article(author=editor, reviewer=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.submit(article, actor=editor)
    assert mail.outbox == []


def test_reviewer_added_during_review_is_told(
    editor, reviewer, django_capture_on_commit_callbacks
):
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    second = make_user("Reviewers")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign_reviewers(article, actor=editor, reviewers=[reviewer, second.username])
    assert [m.to for m in mail.outbox] == [[second.email]]


def test_assigning_a_non_reviewer_is_refused_and_changes_nothing(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    with pytest.raises(workflow.InvalidInput) as raised:
        workflow.assign_reviewers(article, actor=editor, reviewers=["nobody", editor])
    assert raised.value.errors["reviewers"] == [
        "There is no user 'nobody'.", "editor is not a reviewer."
    ]
    assert list(article.review_assignments.values_list("reviewer", flat=True)) == [reviewer.pk]


def test_approve_tells_each_publisher_once_however_they_hold_the_permission(
    editor, reviewer, publisher, django_capture_on_commit_callbacks
):
    """A publisher by group, one by their own permission, and one by both each get one mail;
    a user without the permission gets none."""
    from django.contrib.auth.models import Permission

    publish = Permission.objects.get(codename="publish_article")
    own = make_user(username="own-permission")
    own.user_permissions.add(publish)
    both = make_user("Publishers", username="both-ways")
    both.user_permissions.add(publish)
    make_user("Editors", username="bystander")
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(article, actor=reviewer)
    ready = sorted(m.to[0] for m in mail.outbox if "Ready to publish" in m.subject)
    assert ready == sorted([publisher.email, own.email, both.email])


def test_the_approval_mail_reads_a_fixed_number_of_queries(
    editor, reviewer, django_assert_num_queries
):
    """The mail job's queries do not grow with the number of publishers (article, actor,
    authors, publishers)."""
    from articles.notifications import notify_approved

    for _ in range(5):
        make_user("Publishers")
    article = ready_article(author=editor, reviewer=reviewer, state=State.IN_REVIEW)
    with django_assert_num_queries(4):
        assert notify_approved(article_id=article.pk, actor_id=reviewer.pk) == 6
