"""The annotation's admin page shows its review thread with reply, resolve and reopen.

Each action is a POST to its own admin URL, checked on the server, answered with a message.
"""

import pytest
from django.urls import reverse

from articles.models import WorkflowEvent
from evidence.annotations import add_comment, resolve_comment
from evidence.models import ReviewComment
from tests.conftest import make_user
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db


def _staff(client, group):
    user = make_user(group, is_staff=True)
    client.force_login(user)
    return user


def change_url(annotation):
    return reverse("admin:evidence_annotation_change", args=[annotation.pk])


def comment_url(annotation):
    return reverse("admin:evidence_annotation_comment", args=[annotation.pk])


def resolve_url(comment):
    return reverse("admin:evidence_annotation_comment_resolve", args=[comment.pk])


def reopen_url(comment):
    return reverse("admin:evidence_annotation_comment_reopen", args=[comment.pk])


def shown_messages(response):
    return [str(m) for m in response.context["messages"]]


def test_page_shows_open_and_resolved_threads_with_their_replies(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which **trial** is this?")
    add_comment(annotation, actor=editor, body="The 2023 pilot.", reply_to=first)
    resolve_comment(first, actor=reviewer)
    add_comment(annotation, actor=editor, body="Is the dose right?")
    _staff(client, "Reviewers")

    page = client.get(change_url(annotation)).content.decode()
    assert "Review comments (1 open, 2 in all)" in page
    assert "Which <strong>trial</strong> is this?" in page
    assert "The 2023 pilot." in page
    assert f"Resolved</strong> by {reviewer.username}" in page
    assert "Is the dose right?" in page
    # A reviewer may reopen the first thread and resolve the second.
    assert resolve_url(first) not in page
    assert reopen_url(first) in page
    assert page.count("Resolve thread") == 1


def test_editor_replies_in_the_admin(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which trial is this?")
    editor = _staff(client, "Editors")
    response = client.post(
        comment_url(annotation), {"body": "The 2023 pilot.", "reply_to": first.pk}, follow=True
    )
    assert response.status_code == 200
    assert "Reply added." in shown_messages(response)
    reply = ReviewComment.objects.get(parent=first)
    assert (reply.author, reply.body) == (editor, "The 2023 pilot.")
    assert response.redirect_chain[-1][0].endswith(f"#comment-{reply.pk}")


def test_reviewer_resolves_then_reopens_in_the_admin(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=editor, body="Check the dose.")
    reviewer = _staff(client, "Reviewers")
    response = client.post(resolve_url(first), follow=True)
    assert f"Comment {first.pk}'s thread resolved." in shown_messages(response)
    first.refresh_from_db()
    assert first.resolved_by == reviewer
    assert "Reopen thread" in response.content.decode()

    response = client.post(reopen_url(first), follow=True)
    assert f"Comment {first.pk}'s thread reopened." in shown_messages(response)
    first.refresh_from_db()
    assert first.resolved_at is None
    assert list(
        WorkflowEvent.objects.filter(action__startswith="comment_").values_list("action", flat=True)
    ) == ["comment_resolved", "comment_reopened"]


def test_other_editor_cannot_resolve_and_is_told_why(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which trial?")
    other = _staff(client, "Editors")
    page = client.get(change_url(annotation)).content.decode()
    assert "Resolve thread" not in page  # not offered to someone who may not
    response = client.post(resolve_url(first), follow=True)
    assert "Only a reviewer or the comment's author may resolve it." in shown_messages(response)
    first.refresh_from_db()
    assert first.resolved_at is None
    assert other.pk != first.author_id


def test_actions_are_post_only(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=editor, body="Check the dose.")
    _staff(client, "Reviewers")
    for url in (resolve_url(first), reopen_url(first), comment_url(annotation)):
        assert client.get(url).status_code == 405
    first.refresh_from_db()
    assert first.resolved_at is None


def test_publisher_sees_the_thread_but_cannot_comment_or_resolve(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which trial?")
    _staff(client, "Publishers")
    page = client.get(change_url(annotation)).content.decode()
    assert "Which trial?" in page
    assert 'name="body"' not in page
    client.post(comment_url(annotation), {"body": "Me too."})
    client.post(resolve_url(first))
    assert ReviewComment.objects.count() == 1
    assert ReviewComment.objects.get().resolved_at is None


def test_staff_without_view_permission_gets_403(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which trial?")
    _staff(client, None)
    assert client.post(resolve_url(first)).status_code == 403
    assert client.post(comment_url(annotation), {"body": "Hi"}).status_code == 403
    assert ReviewComment.objects.count() == 1


def test_unknown_comment_is_404(client):
    _staff(client, "Reviewers")
    assert client.post("/admin/evidence/annotation/comments/999999/resolve/").status_code == 404


def test_refused_comment_keeps_its_text_in_the_form(client, editor, reviewer):
    _, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=reviewer, body="Which trial?")
    resolve_comment(first, actor=reviewer)
    _staff(client, "Editors")
    response = client.post(
        comment_url(annotation), {"body": "Wait, one more thing.", "reply_to": first.pk},
        follow=True,
    )
    assert any("reopen it to reply" in m for m in shown_messages(response))
    assert ReviewComment.objects.count() == 1
    # The thread is resolved, so the text comes back in the new-comment form.
    assert "Wait, one more thing.</textarea>" in response.content.decode()
