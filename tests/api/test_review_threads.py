"""Review threads through the editorial API: list, comment, reply, resolve and reopen.

A thread is a comment and its replies; only the first comment is resolved or reopened, by a
reviewer or by its author. An open thread holds back approval; resolving it lets approval pass.
"""

import pytest

from articles.models import Article, WorkflowEvent
from evidence.models import ReviewComment
from tests.api.test_errors import assert_error_shape
from tests.conftest import make_annotation, make_article, make_user
from tests.workflow.conftest import ready_article

pytestmark = pytest.mark.django_db


def comments_url(annotation):
    return f"/api/v1/editorial/annotations/{annotation.pk}/comments/"


def resolve_url(comment_id):
    return f"/api/v1/editorial/comments/{comment_id}/resolve/"


def reopen_url(comment_id):
    return f"/api/v1/editorial/comments/{comment_id}/reopen/"


@pytest.fixture
def people(token_client):
    return {
        "editor": token_client("Editors"),
        "other_editor": token_client("Editors"),
        "reviewer": token_client("Reviewers"),
        "publisher": token_client("Publishers"),
    }


@pytest.fixture
def annotation(db):
    article = make_article()
    return make_annotation(article, block_id="p1", start=0, end=8, verdict="mixed",
                           certainty="low")


def post_comment(client, annotation, body, reply_to=None):
    payload = {"body": body}
    if reply_to is not None:
        payload["reply_to"] = reply_to
    return client.post(comments_url(annotation), payload, format="json")


def test_reply_joins_the_thread_and_the_list_reads_in_thread_order(people, annotation):
    first = post_comment(people["reviewer"], annotation, "Which trial is this?").json()
    second = post_comment(people["editor"], annotation, "A second question.").json()
    reply = post_comment(people["editor"], annotation, "The 2023 pilot.", first["id"])
    assert reply.status_code == 201, reply.json()
    assert reply.json()["reply_to"] == first["id"]
    # A reply to a reply joins the same thread, under its first comment.
    again = post_comment(people["reviewer"], annotation, "Thanks.", reply.json()["id"]).json()
    assert again["reply_to"] == first["id"]

    listed = people["editor"].get(comments_url(annotation)).json()
    assert [(c["body"], c["reply_to"]) for c in listed["results"]] == [
        ("Which trial is this?", None),
        ("The 2023 pilot.", first["id"]),
        ("Thanks.", first["id"]),
        ("A second question.", None),
    ]
    assert listed["results"][0]["author"] == people["reviewer"].user.username
    assert listed["count"] == 4
    assert second["reply_to"] is None


def test_reply_to_a_comment_of_another_annotation_is_400_and_adds_nothing(people, annotation):
    other = make_annotation(annotation.article, block_id="p1", start=10, end=20)
    elsewhere = post_comment(people["reviewer"], other, "Elsewhere.").json()
    for target in (elsewhere["id"], 999_999):
        body = assert_error_shape(
            post_comment(people["editor"], annotation, "Reply", target), 400
        )
        assert "reply_to" in body["errors"]
    assert ReviewComment.objects.count() == 1


def test_reviewer_resolves_a_thread_and_it_stays_in_the_history(people, annotation):
    first = post_comment(people["editor"], annotation, "Check the dose.").json()
    post_comment(people["reviewer"], annotation, "Done: 0.5 mg/kg.", first["id"])
    response = people["reviewer"].post(resolve_url(first["id"]))
    assert response.status_code == 200, response.json()
    assert response.json()["resolved_by"] == people["reviewer"].user.username
    assert response.json()["resolved_at"]

    listed = people["editor"].get(comments_url(annotation)).json()["results"]
    assert [c["body"] for c in listed] == ["Check the dose.", "Done: 0.5 mg/kg."]
    assert listed[0]["resolved_by"] == people["reviewer"].user.username
    event = WorkflowEvent.objects.get(action="comment_resolved")
    assert event.actor == people["reviewer"].user
    assert f"Review comment {first['id']}" in event.comment


def test_the_comments_author_may_resolve_and_reopen_their_own_thread(people, annotation):
    first = post_comment(people["editor"], annotation, "Is this still true?").json()
    assert people["editor"].post(resolve_url(first["id"])).status_code == 200
    response = people["editor"].post(reopen_url(first["id"]))
    assert response.status_code == 200, response.json()
    assert response.json()["resolved_at"] is None
    assert response.json()["resolved_by"] is None
    assert ReviewComment.objects.get(pk=first["id"]).resolved_at is None
    assert WorkflowEvent.objects.filter(action="comment_reopened").count() == 1


@pytest.mark.parametrize("who", ["other_editor", "publisher"])
def test_neither_author_nor_reviewer_may_resolve_or_reopen(people, annotation, who):
    first = post_comment(people["reviewer"], annotation, "Which trial?").json()
    body = assert_error_shape(people[who].post(resolve_url(first["id"])), 403)
    assert "reviewer" in body["detail"]
    assert ReviewComment.objects.get(pk=first["id"]).resolved_at is None

    people["reviewer"].post(resolve_url(first["id"]))
    assert_error_shape(people[who].post(reopen_url(first["id"])), 403)
    assert ReviewComment.objects.get(pk=first["id"]).resolved_at is not None


def test_unknown_comment_or_annotation_is_404(people, annotation):
    for url in (resolve_url(999_999), reopen_url(999_999)):
        assert_error_shape(people["reviewer"].post(url), 404)
    missing = type(annotation)(pk=999_999)
    assert_error_shape(people["reviewer"].get(comments_url(missing)), 404)
    assert_error_shape(post_comment(people["reviewer"], missing, "Hello?"), 404)


def test_a_user_who_may_not_see_articles_gets_404(token_client, people, annotation):
    first = post_comment(people["reviewer"], annotation, "Which trial?").json()
    nobody = token_client(None)
    assert_error_shape(nobody.get(comments_url(annotation)), 404)
    assert_error_shape(nobody.post(resolve_url(first["id"])), 404)
    assert ReviewComment.objects.get(pk=first["id"]).resolved_at is None


def test_anonymous_gets_401(api, people, annotation):
    first = post_comment(people["reviewer"], annotation, "Which trial?").json()
    assert_error_shape(api.get(comments_url(annotation)), 401)
    assert_error_shape(api.post(resolve_url(first["id"])), 401)
    assert_error_shape(api.post(reopen_url(first["id"])), 401)


def test_wrong_thread_state_is_409(people, annotation):
    first = post_comment(people["reviewer"], annotation, "Which trial?").json()
    reply = post_comment(people["editor"], annotation, "The pilot.", first["id"]).json()

    body = assert_error_shape(people["reviewer"].post(reopen_url(first["id"])), 409)
    assert "not resolved" in body["detail"]
    body = assert_error_shape(people["reviewer"].post(resolve_url(reply["id"])), 409)
    assert f"comment {first['id']}" in body["detail"]

    assert people["reviewer"].post(resolve_url(first["id"])).status_code == 200
    body = assert_error_shape(people["reviewer"].post(resolve_url(first["id"])), 409)
    assert "already resolved" in body["detail"]
    body = assert_error_shape(
        post_comment(people["editor"], annotation, "One more thing.", first["id"]), 409
    )
    assert "reopen" in body["detail"]
    assert ReviewComment.objects.count() == 2


def test_empty_or_unknown_fields_are_400(people, annotation):
    body = assert_error_shape(post_comment(people["editor"], annotation, "   "), 400)
    assert "body" in body["errors"]
    response = people["editor"].post(
        comments_url(annotation), {"body": "Hi", "resolved_at": "2020-01-01"}, format="json"
    )
    assert_error_shape(response, 400)
    assert not ReviewComment.objects.exists()


def test_resolving_the_thread_lets_approval_pass(token_client):
    reviewer = token_client("Reviewers")
    editor = token_client("Editors")
    article = ready_article(author=editor.user, reviewer=reviewer.user,
                            state=Article.State.IN_REVIEW)
    annotation = article.annotations.get()
    first = post_comment(reviewer, annotation, "Which trial is this?").json()
    post_comment(editor, annotation, "The 2023 pilot; now cited.", first["id"])
    transitions = f"/api/v1/editorial/articles/{article.pk}/transitions/"

    refused = reviewer.post(transitions, {"action": "approve"}, format="json")
    body = assert_error_shape(refused, 409)
    assert body["errors"]["failures"] == [
        f"resolve the review comment {first['id']} on annotation {annotation.pk}"
    ]

    assert reviewer.post(resolve_url(first["id"])).status_code == 200
    approved = reviewer.post(transitions, {"action": "approve"}, format="json")
    assert approved.status_code == 200, approved.json()
    article.refresh_from_db()
    assert article.state == Article.State.APPROVED


def test_a_thread_on_a_live_article_can_be_resolved(token_client):
    """The defect: a comment on a published article blocked every later approval for good."""
    reviewer = token_client("Reviewers")
    editor = make_user("Editors")
    article = ready_article(author=editor, reviewer=reviewer.user,
                            state=Article.State.PUBLISHED)
    annotation = article.annotations.get()
    first = post_comment(reviewer, annotation, "Still current?").json()
    assert reviewer.post(resolve_url(first["id"])).status_code == 200
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    assert not ReviewComment.objects.unresolved().exists()


def test_archived_article_refuses_thread_changes_with_409(people, annotation):
    first = post_comment(people["reviewer"], annotation, "Which trial?").json()
    Article.objects.filter(pk=annotation.article_id).update(state=Article.State.ARCHIVED)
    body = assert_error_shape(people["reviewer"].post(resolve_url(first["id"])), 409)
    assert "archived" in body["detail"]
    assert ReviewComment.objects.get(pk=first["id"]).resolved_at is None


def test_no_part_of_a_thread_reaches_anonymous_readers(api, client):
    """Open and resolved threads and their replies on a live article: the public API (JSON and
    W3C), the page, the feed and the search never show them."""
    from tests.api.conftest import publish_article

    reviewer = make_user("Reviewers")
    editor = make_user("Editors")
    article, _, (annotation,) = publish_article(title="Ketamine and mood", slug="mood")
    from evidence.annotations import add_comment, resolve_comment

    first = add_comment(annotation, actor=reviewer, body="Ask zqxthreadroot please.")
    add_comment(annotation, actor=editor, body="Answer zqxthreadreply.", reply_to=first)
    resolve_comment(first, actor=reviewer)
    add_comment(annotation, actor=reviewer, body="Still open zqxthreadopen.")

    jsonld = {"HTTP_ACCEPT": "application/ld+json"}
    responses = [
        api.get("/api/v1/articles/mood/"),
        api.get("/api/v1/articles/"),
        api.get("/api/v1/articles/mood/annotations/"),
        api.get("/api/v1/articles/mood/annotations/", **jsonld),
        api.get(f"/api/v1/annotations/{annotation.pk}/"),
        api.get(f"/api/v1/annotations/{annotation.pk}/", **jsonld),
        client.get("/articles/mood/"),
        client.get("/feed/"),
        client.get("/search/?q=ketamine"),
        client.get("/api/v1/articles/?q=zqxthreadroot"),
    ]
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        body = response.content.decode().lower()
        assert "zqxthread" not in body, response.request["PATH_INFO"]
    # The editorial API still shows the whole thread to the editors.
    editorial = api.get(comments_url(annotation))
    assert editorial.status_code == 401
