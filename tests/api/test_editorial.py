"""Editorial endpoints: the same workflow functions as the admin, optimistic concurrency with
If-Match, and refusals mapped to 403/409/412/428."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, WorkflowEvent
from evidence.models import Annotation, ReviewComment
from tests.api.test_errors import assert_error_shape
from tests.conftest import make_annotation, make_article, make_user


def detail_url(article):
    return f"/api/v1/editorial/articles/{article.pk}/"


@pytest.fixture
def editor_client(token_client):
    return token_client("Editors")


@pytest.fixture
def article(editor_client):
    return make_article(author=editor_client.user, tags=("adhd",))


@pytest.mark.django_db
def test_list_shows_every_state_to_editors(editor_client):
    make_article(title="Draft one")
    make_article(title="In review one", state=Article.State.IN_REVIEW)
    body = editor_client.get("/api/v1/editorial/articles/").json()
    assert {a["title"] for a in body["results"]} == {"Draft one", "In review one"}


@pytest.mark.django_db
def test_list_filters_by_state_and_assigned_to_me(token_client):
    reviewer = token_client("Reviewers")
    mine = make_article(title="Mine", state=Article.State.IN_REVIEW)
    make_article(title="Not mine", state=Article.State.IN_REVIEW)
    make_article(title="Draft")
    mine.review_assignments.create(reviewer=reviewer.user)
    assigned = reviewer.get("/api/v1/editorial/articles/?assigned_to_me=true").json()
    assert [a["title"] for a in assigned["results"]] == ["Mine"]
    drafts = reviewer.get("/api/v1/editorial/articles/?state=draft").json()
    assert [a["title"] for a in drafts["results"]] == ["Draft"]


@pytest.mark.django_db
def test_list_filters_by_tag_name_in_any_case(editor_client):
    make_article(title="Tagged", tags=("Depression",))
    make_article(title="Tagged too", tags=("depression", "adhd"))
    make_article(title="Other tag", tags=("adhd",))
    make_article(title="No tag")
    body = editor_client.get("/api/v1/editorial/articles/?tag=DEPRESSION").json()
    assert (body["count"], sorted(a["title"] for a in body["results"])) == (
        2, ["Tagged", "Tagged too"]
    )
    assert editor_client.get("/api/v1/editorial/articles/?tag=nosuchtag").json()["count"] == 0


@pytest.mark.django_db
def test_list_filters_by_state_and_tag_together_newest_change_first(editor_client):
    older = make_article(title="Older", state=Article.State.IN_REVIEW, tags=("depression",))
    make_article(title="Newer", state=Article.State.IN_REVIEW, tags=("depression",))
    make_article(title="Wrong state", tags=("depression",))
    make_article(title="Wrong tag", state=Article.State.IN_REVIEW, tags=("adhd",))
    Article.objects.filter(pk=older.pk).update(updated_at=timezone.now() - timedelta(days=1))
    body = editor_client.get(
        "/api/v1/editorial/articles/?state=in_review&tag=depression"
    ).json()
    assert (body["count"], [a["title"] for a in body["results"]]) == (2, ["Newer", "Older"])
    assert body["results"][0]["tags"] == ["depression"]


@pytest.mark.django_db
def test_filtered_list_query_count_does_not_grow_with_the_matches(editor_client):
    reviewer = make_user("Reviewers")
    make_article(state=Article.State.IN_REVIEW, tags=("depression",))

    def count():
        with CaptureQueriesContext(connection) as context:
            response = editor_client.get(
                "/api/v1/editorial/articles/?state=in_review&tag=depression&page_size=100"
            )
        assert response.status_code == 200
        return len(context.captured_queries), response.json()["count"]

    one, _ = count()
    for _ in range(20):
        more = make_article(state=Article.State.IN_REVIEW, tags=("depression", "adhd"))
        more.review_assignments.create(reviewer=reviewer)
    assert count() == (one, 21)


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(editor_client):
    reviewer = make_user("Reviewers")
    make_article(tags=("adhd",))

    def count():
        with CaptureQueriesContext(connection) as context:
            assert editor_client.get("/api/v1/editorial/articles/?page_size=100").status_code == 200
        return len(context.captured_queries)

    one = count()
    for _ in range(20):
        more = make_article(tags=("adhd", "depression"))
        more.review_assignments.create(reviewer=reviewer)
    assert count() == one


@pytest.mark.django_db
def test_detail_carries_an_etag_and_allowed_actions(editor_client, article):
    response = editor_client.get(detail_url(article))
    assert response.status_code == 200
    assert response["ETag"] == response.json()["etag"]
    assert "submit" in response.json()["allowed_actions"]


@pytest.mark.django_db
def test_patch_with_the_current_etag_adds_a_revision(editor_client, article):
    etag = editor_client.get(detail_url(article))["ETag"]
    response = editor_client.patch(
        detail_url(article), {"title": "A clearer title \u200f"}, format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 2
    assert response["ETag"] != etag
    assert article.revisions.count() == 2


@pytest.mark.django_db
def test_patch_with_a_stale_etag_is_412_and_changes_nothing(editor_client, article):
    stale = editor_client.get(detail_url(article))["ETag"]
    editor_client.patch(detail_url(article), {"title": "First edit"}, format="json",
                        HTTP_IF_MATCH=stale)
    response = editor_client.patch(detail_url(article), {"title": "Second edit"},
                                   format="json", HTTP_IF_MATCH=stale)
    assert_error_shape(response, 412, "precondition_failed")
    article.refresh_from_db()
    assert article.draft.title == "First edit"
    assert "ETag" not in response


@pytest.mark.django_db
def test_patch_without_if_match_is_428(editor_client, article):
    response = editor_client.patch(detail_url(article), {"title": "x"}, format="json")
    assert_error_shape(response, 428, "precondition_required")
    assert article.revisions.count() == 1


@pytest.mark.django_db
def test_patch_refuses_state_and_unknown_fields(editor_client, article):
    etag = editor_client.get(detail_url(article))["ETag"]
    response = editor_client.patch(
        detail_url(article), {"state": "published", "colour": "red"}, format="json",
        HTTP_IF_MATCH=etag,
    )
    body = assert_error_shape(response, 400, "invalid")
    assert set(body["errors"]) == {"state", "colour"}
    assert "transitions" in body["errors"]["state"][0]
    article.refresh_from_db()
    assert article.state == Article.State.DRAFT


@pytest.mark.django_db
def test_patch_with_bad_blocks_names_each_problem(editor_client, article):
    etag = editor_client.get(detail_url(article))["ETag"]
    response = editor_client.patch(
        detail_url(article), {"blocks": [{"type": "banner", "text": "x"}]}, format="json",
        HTTP_IF_MATCH=etag,
    )
    body = assert_error_shape(response, 400)
    assert "blocks" in body["errors"]


@pytest.mark.django_db
def test_reviewer_may_not_edit_content(token_client, article):
    reviewer = token_client("Reviewers")
    etag = reviewer.get(detail_url(article))["ETag"]
    response = reviewer.patch(detail_url(article), {"title": "x"}, format="json",
                              HTTP_IF_MATCH=etag)
    assert_error_shape(response, 403, "not_allowed")


@pytest.mark.django_db
def test_transition_by_the_wrong_role_is_403_naming_the_rule(editor_client, article):
    response = editor_client.post(f"{detail_url(article)}transitions/", {"action": "publish"},
                                  format="json")
    body = assert_error_shape(response, 403, "not_allowed")
    assert "publishers" in body["detail"].lower()
    article.refresh_from_db()
    assert article.state == Article.State.DRAFT


@pytest.mark.django_db
def test_transition_in_the_wrong_state_is_409(token_client, article):
    publisher = token_client("Publishers")
    response = publisher.post(f"{detail_url(article)}transitions/", {"action": "publish"},
                              format="json")
    assert_error_shape(response, 409)


@pytest.mark.django_db
def test_allowed_transition_changes_state_and_is_logged(token_client, article):
    publisher = token_client("Publishers")
    response = publisher.post(f"{detail_url(article)}transitions/",
                              {"action": "archive", "comment": "Superseded"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "archived"
    events = publisher.get(f"{detail_url(article)}events/").json()["results"]
    assert events[-1]["action"] == "archive"
    assert events[-1]["actor"] == publisher.user.username
    assert WorkflowEvent.objects.filter(article=article).count() == len(events)


@pytest.mark.django_db
def test_unknown_action_is_400(editor_client, article):
    response = editor_client.post(f"{detail_url(article)}transitions/", {"action": "launch"},
                                  format="json")
    body = assert_error_shape(response, 400, "invalid")
    assert "action" in body["errors"]


@pytest.mark.django_db
def test_assign_reviewers_by_username(editor_client, article):
    reviewer = make_user("Reviewers", username="rita")
    response = editor_client.put(f"{detail_url(article)}reviewers/",
                                 {"reviewers": ["rita"], "due": "2030-01-31"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["reviewers"] == [{"username": "rita", "due": "2030-01-31"}]
    assert article.review_assignments.get().reviewer == reviewer
    assert article.revisions.count() == 1


@pytest.mark.django_db
def test_assigning_an_unknown_reviewer_is_400(editor_client, article):
    response = editor_client.put(f"{detail_url(article)}reviewers/", {"reviewers": ["ghost"]},
                                 format="json")
    body = assert_error_shape(response, 400)
    assert "ghost" in body["errors"]["reviewers"][0]


@pytest.mark.django_db
def test_revisions_and_diff(editor_client, article):
    etag = editor_client.get(detail_url(article))["ETag"]
    editor_client.patch(detail_url(article), {"title": "Renamed"}, format="json",
                        HTTP_IF_MATCH=etag)
    revisions = editor_client.get(f"{detail_url(article)}revisions/").json()["results"]
    assert [r["number"] for r in revisions] == [2, 1]
    one = editor_client.get(f"{detail_url(article)}revisions/1/").json()
    assert one["title"] == "A test article"
    diff = editor_client.get(f"{detail_url(article)}diff/?from=1&to=2").json()
    assert diff["title"]["status"] == "changed"
    assert editor_client.get(f"{detail_url(article)}diff/?from=1&to=9").status_code == 404
    assert editor_client.get(f"{detail_url(article)}diff/?from=x").status_code == 400


# Annotations ---------------------------------------------------------------------------------


def annotations_url(article):
    return f"{detail_url(article)}annotations/"


def annotation_url(annotation_id):
    return f"/api/v1/editorial/annotations/{annotation_id}/"


@pytest.mark.django_db
def test_create_annotation_computes_the_quote(editor_client, article):
    response = editor_client.post(annotations_url(article),
                                  {"block": "p1", "start": 0, "end": 8}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["exact"] == "Ketamine"
    assert response["ETag"] == response.json()["etag"]


@pytest.mark.django_db
def test_create_annotation_with_wrong_exact_is_400(editor_client, article):
    response = editor_client.post(
        annotations_url(article), {"block": "p1", "start": 0, "end": 8, "exact": "Aspirin"},
        format="json",
    )
    body = assert_error_shape(response, 400, "invalid")
    assert body["errors"]
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_editor_may_not_rate(editor_client, article):
    response = editor_client.post(
        annotations_url(article), {"block": "p1", "start": 0, "end": 8, "verdict": "supported"},
        format="json",
    )
    assert response.status_code in (400, 403)
    assert not Annotation.objects.exists()


@pytest.mark.django_db
def test_patch_annotation_with_if_match(token_client, article):
    reviewer = token_client("Reviewers")
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    etag = reviewer.get(annotation_url(annotation.pk))["ETag"]
    response = reviewer.patch(annotation_url(annotation.pk),
                              {"verdict": "unsupported", "certainty": "low"},
                              format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    stale = reviewer.patch(annotation_url(annotation.pk), {"verdict": "supported"},
                           format="json", HTTP_IF_MATCH=etag)
    assert_error_shape(stale, 412)
    annotation.refresh_from_db()
    assert annotation.verdict == "unsupported"


@pytest.mark.django_db
def test_patch_annotation_accepts_version_in_the_body(token_client, article):
    reviewer = token_client("Reviewers")
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    response = reviewer.patch(annotation_url(annotation.pk), {"note": "Weak.", "version": 1},
                              format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["note"] == "Weak."


@pytest.mark.django_db
def test_patch_annotation_without_version_is_428(token_client, article):
    reviewer = token_client("Reviewers")
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    response = reviewer.patch(annotation_url(annotation.pk), {"note": "x"}, format="json")
    assert_error_shape(response, 428)


@pytest.mark.django_db
@pytest.mark.parametrize("version", [True, "1"], ids=["boolean", "text"])
def test_a_body_version_that_is_not_a_number_is_no_version(token_client, article, version):
    reviewer = token_client("Reviewers")
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    response = reviewer.patch(annotation_url(annotation.pk), {"note": "x", "version": version},
                              format="json")
    assert_error_shape(response, 428, "precondition_required")
    annotation.refresh_from_db()
    assert (annotation.note, annotation.version) == ("", 1)


@pytest.mark.django_db
def test_if_match_takes_a_weak_tag_but_not_another_annotations(token_client, article):
    reviewer = token_client("Reviewers")
    first = make_annotation(article, block_id="p1", start=0, end=8)
    second = make_annotation(article, block_id="p1", start=9, end=12)
    first_etag = reviewer.get(annotation_url(first.pk))["ETag"]
    other = reviewer.patch(annotation_url(second.pk), {"note": "x"}, format="json",
                           HTTP_IF_MATCH=first_etag)
    assert_error_shape(other, 412, "precondition_failed")
    second.refresh_from_db()
    assert (second.note, second.version) == ("", 1)
    weak = reviewer.patch(annotation_url(first.pk), {"note": "Weak."}, format="json",
                          HTTP_IF_MATCH=f"W/{first_etag}")
    assert weak.status_code == 200, weak.json()
    assert (weak.json()["note"], weak.json()["version"]) == ("Weak.", 2)


@pytest.mark.django_db
def test_if_match_takes_a_star_or_a_list_holding_the_annotations_tag(token_client, article):
    reviewer = token_client("Reviewers")
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    other = make_annotation(article, block_id="p1", start=9, end=12)
    star = reviewer.patch(annotation_url(annotation.pk), {"note": "One."}, format="json",
                          HTTP_IF_MATCH="*")
    assert star.status_code == 200, star.json()
    others_only = reviewer.patch(annotation_url(annotation.pk), {"note": "Two."}, format="json",
                                 HTTP_IF_MATCH=reviewer.get(annotation_url(other.pk))["ETag"])
    assert_error_shape(others_only, 412, "precondition_failed")
    tags = f'"annotation-{other.pk}-v1", "annotation-{annotation.pk}-v1", {star["ETag"]}'
    listed = reviewer.patch(annotation_url(annotation.pk), {"note": "Two."}, format="json",
                            HTTP_IF_MATCH=tags)
    assert listed.status_code == 200, listed.json()
    assert (listed.json()["note"], listed.json()["version"]) == ("Two.", 3)
    assert editor_delete_with(token_client, annotation, "*") == 204


def editor_delete_with(token_client, annotation, if_match):
    return token_client("Editors").delete(annotation_url(annotation.pk),
                                          HTTP_IF_MATCH=if_match).status_code


@pytest.mark.django_db
def test_delete_unpublished_annotation(editor_client, article):
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    assert editor_client.delete(annotation_url(annotation.pk)).status_code == 204
    assert not Annotation.objects.filter(pk=annotation.pk).exists()


@pytest.mark.django_db
def test_delete_of_a_published_annotation_is_refused(editor_client, article):
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    Annotation.objects.filter(pk=annotation.pk).update(first_published_at=timezone.now())
    body = assert_error_shape(editor_client.delete(annotation_url(annotation.pk)), 409)
    assert "resolve" in body["detail"]
    assert Annotation.objects.filter(pk=annotation.pk).exists()


@pytest.mark.django_db
def test_comment_is_added_and_never_public(editor_client, api, article):
    annotation = make_annotation(article, block_id="p1", start=0, end=8)
    response = editor_client.post(f"{annotation_url(annotation.pk)}comments/",
                                  {"body": "Is there a trial?"}, format="json")
    assert response.status_code == 201, response.json()
    assert ReviewComment.objects.get().body == "Is there a trial?"
    detail = editor_client.get(annotation_url(annotation.pk)).json()
    assert [c["body"] for c in detail["comments"]] == ["Is there a trial?"]
    assert api.get(f"/api/v1/annotations/{annotation.pk}/").status_code == 404


@pytest.mark.django_db
def test_session_writes_need_csrf(client, article):
    from django.test import Client

    user = make_user("Editors")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    response = strict.post(f"/api/v1/editorial/articles/{article.pk}/transitions/",
                           {"action": "submit"}, content_type="application/json")
    body = assert_error_shape(response, 403)
    assert "CSRF" in body["detail"]
