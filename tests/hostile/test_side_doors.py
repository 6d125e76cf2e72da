"""Side doors that real CMSs have shipped: history and previews by known id, lists that show
more than details, imports and forged fields that set a state, conditional requests that
reveal a draft, state changes by GET or without CSRF, open redirects, header injection."""

import io
import json
import logging

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from articles.importing import import_bytes
from articles.models import Article
from evidence.annotations import create_annotation
from tests.conftest import make_article, make_blocks, make_user
from tests.hostile.helpers import build_article, make_team
from tests.hostile.snapshots import assert_unchanged, snapshot

State = Article.State


@pytest.fixture
def team(db):
    return make_team()


@pytest.fixture
def draft(team):
    return build_article(team, "sdx", state=State.IN_REVIEW).article


def signed_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def as_json(data):
    return {"data": json.dumps(data), "content_type": "application/json"}


# History, diffs and previews by known id ------------------------------------------------------

def test_known_ids_reveal_no_more_than_unknown_ones_to_a_user_in_no_group(team, draft):
    client = signed_in(team.nobody)
    for template in ("/api/v1/editorial/articles/{}/revisions/",
                     "/api/v1/editorial/articles/{}/revisions/1/",
                     "/api/v1/editorial/articles/{}/diff/?from=1&to=1",
                     "/api/v1/editorial/articles/{}/events/", "/preview/{}/"):
        known_path, unknown_path = template.format(draft.pk), template.format(draft.pk + 1000)
        known, unknown = client.get(known_path), client.get(unknown_path)
        assert known.status_code == unknown.status_code == 404, template
        # The same answer, once the address it repeats is taken out.
        assert known.content.replace(known_path.split("?")[0].encode(), b"") == (
            unknown.content.replace(unknown_path.split("?")[0].encode(), b"")), template


def test_admin_history_and_diff_refuse_a_publisher_and_a_user_in_no_group(team, draft):
    for user in (team.publisher, team.nobody):
        client = signed_in(user)
        for path in (f"/admin/articles/article/{draft.pk}/revisions/",
                     f"/admin/articles/article/{draft.pk}/revisions/diff/?from=1&to=1"):
            response = client.get(path)
            assert response.status_code == 403, (user, path)
            assert b"sdxtitle" not in response.content


# Lists show no more than details ---------------------------------------------------------------

def test_every_item_of_a_public_list_has_a_public_detail(team, draft):
    live = build_article(team, "sdl", state=State.PUBLISHED, number=1)
    client = Client()
    articles = client.get("/api/v1/articles/").json()["results"]
    assert [item["slug"] for item in articles] == [live.article.slug]
    for item in articles:
        assert client.get(f"/api/v1/articles/{item['slug']}/").status_code == 200
    sources = client.get("/api/v1/sources/").json()["results"]
    assert {s["id"] for s in sources} == {live.source.pk}
    for source in sources:
        assert client.get(f"/api/v1/sources/{source['id']}/").status_code == 200


def test_editorial_list_shows_nothing_to_a_user_in_no_group(team, draft):
    response = signed_in(team.nobody).get("/api/v1/editorial/articles/")
    assert response.status_code == 403
    assert b"sdxtitle" not in response.content
    sources = signed_in(team.nobody).get("/api/v1/editorial/sources/?q=sdx")
    assert sources.status_code == 403
    assert b"sdxsource" not in sources.content


# Imports and forged fields never set a state -------------------------------------------------

@pytest.mark.parametrize("field", ["state", "publish", "publish_at"])
def test_import_json_with_a_state_field_is_refused_and_imports_nothing(team, field):
    client = signed_in(team.editor)
    before = snapshot()
    value = {"state": "published", "publish": True, "publish_at": "2020-01-01T00:00:00Z"}
    response = client.post("/api/v1/editorial/articles/", **as_json(
        {"format": "text", "content": "Title\n\nKetamine body text.", field: value[field]}))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert_unchanged(before, field)


def test_multipart_import_with_a_state_field_is_refused(team):
    client = signed_in(team.editor)
    before = snapshot()
    upload = io.BytesIO(b"Title\n\nKetamine body text.")
    upload.name = "forged.txt"
    response = client.post("/api/v1/editorial/articles/", {"file": upload, "state": "published"})
    assert response.status_code == 400
    assert "state" in response.json()["errors"]
    assert_unchanged(before)


def test_admin_import_page_ignores_a_state_field(team):
    client = signed_in(team.editor)
    upload = io.BytesIO(b"Forged import title\n\nKetamine body text for the admin import.")
    upload.name = "forged-admin.txt"
    response = client.post("/admin/articles/article/import/",
                           {"files": upload, "state": "published", "publish": "on"})
    assert response.status_code == 200
    article = Article.objects.get(original_filename="forged-admin.txt")
    assert article.state == State.DRAFT
    assert article.live_id is None


@pytest.mark.parametrize("forged", [
    {"state": "published"}, {"author": 1}, {"version": 99},
    {"first_published_at": "2020-01-01T00:00:00Z"}, {"live": 1}, {"created_by": 1},
])
def test_forged_article_fields_in_a_patch_are_refused(team, draft, forged):
    client = signed_in(team.editor)
    etag = client.get(f"/api/v1/editorial/articles/{draft.pk}/")["ETag"]
    before = snapshot()
    response = client.patch(f"/api/v1/editorial/articles/{draft.pk}/",
                            HTTP_IF_MATCH=etag, **as_json({"title": "New", **forged}))
    assert response.status_code == 400
    assert set(forged) <= set(response.json()["errors"])
    assert_unchanged(before, str(forged))


@pytest.mark.parametrize("forged", [
    {"author": 1}, {"first_published_at": "2020-01-01T00:00:00Z"}, {"revision": 1},
    {"prefix": "x"}, {"note_html": "<script>x</script>"},
])
def test_forged_annotation_fields_are_refused(team, draft, forged):
    annotation = draft.annotations.get()
    client = signed_in(team.reviewer)
    before = snapshot()
    response = client.patch(f"/api/v1/editorial/annotations/{annotation.pk}/",
                            **as_json({"version": annotation.version, **forged}))
    assert response.status_code == 400, response.content
    assert_unchanged(before, str(forged))


def test_an_editor_cannot_set_a_verdict_through_the_api(team, draft):
    annotation = draft.annotations.get()
    client = signed_in(team.editor)
    before = snapshot()
    response = client.patch(f"/api/v1/editorial/annotations/{annotation.pk}/",
                            **as_json({"version": annotation.version, "verdict": "supported"}))
    assert response.status_code == 403
    assert_unchanged(before)


def test_admin_change_form_ignores_a_forged_state(team):
    article = make_article(author=team.editor, blocks=make_blocks("Ketamine text."))
    client = signed_in(team.editor)
    draft = article.draft
    data = {
        "title": "A title the editor may change", "summary": draft.summary,
        "blocks_json": json.dumps(draft.blocks), "message": "Retitled",
        "base_number": draft.number, "slug": article.slug, "tags": "",
        "assigned_editor": "", "review_due": "", "source_url": "",
        "site_name": "A site name the editor may set",
        "original_filename": "", "original_published_on": "",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000",
        "state": "published", "first_published_at": "2020-01-01 00:00:00",
        "approved_by": str(team.reviewer.pk), "live": "1",
    }
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    # The save went through: the admin redirects with its success message, and the fields an
    # editor may change did change (a new revision with the new title, the new site name).
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/admin/articles/article/"
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("was changed successfully" in message for message in shown), shown
    assert not any("not saved" in message for message in shown), shown
    article.refresh_from_db()
    assert article.draft.number == draft.number + 1
    assert article.draft.title == "A title the editor may change"
    assert article.draft.message == "Retitled"
    assert article.draft.author == team.editor
    assert article.site_name == "A site name the editor may set"
    # ... and the forged workflow fields did not.
    assert article.state == State.DRAFT
    assert article.first_published_at is None and article.approved_by_id is None
    assert article.live_id is None


def test_admin_has_no_bulk_delete_of_articles_for_editors(team, draft):
    client = signed_in(team.editor)
    before = snapshot()
    response = client.post("/admin/articles/article/", {
        "action": "delete_selected", "_selected_action": [draft.pk], "post": "yes"})
    assert response.status_code in (200, 302, 403)
    assert_unchanged(before)


# Conditional requests reveal nothing ---------------------------------------------------------

@pytest.mark.parametrize("header", ["*", '"guess"', 'W/"article-1-r1-draft-00000000"'])
def test_conditional_requests_on_a_draft_get_the_same_404_without_an_etag(draft, header):
    client = Client()
    for path in (f"/api/v1/articles/{draft.slug}/", f"/articles/{draft.slug}/",
                 f"/api/v1/articles/{draft.slug}/annotations/"):
        plain = client.get(path)
        conditional = client.get(path, HTTP_IF_NONE_MATCH=header)
        assert plain.status_code == conditional.status_code == 404, path
        assert plain.content == conditional.content, path
        assert "ETag" not in conditional and "ETag" not in plain, path
        stale = client.get(path, HTTP_IF_MODIFIED_SINCE="Thu, 01 Jan 2099 00:00:00 GMT")
        assert stale.status_code == 404, path


def test_refused_editorial_responses_carry_no_etag(team, draft):
    response = signed_in(team.nobody).get(f"/api/v1/editorial/articles/{draft.pk}/",
                                          HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 404
    assert "ETag" not in response


# State changes only by POST with CSRF ----------------------------------------------------------

def test_a_get_to_a_workflow_url_changes_nothing(team, draft):
    before = snapshot()
    for user in (team.reviewer, team.publisher):
        client = signed_in(user)
        for path in (f"/admin/articles/article/{draft.pk}/transition/?action=approve",
                     f"/api/v1/editorial/articles/{draft.pk}/transitions/?action=approve",
                     f"/admin/articles/article/{draft.pk}/share/",
                     f"/admin/articles/article/{draft.pk}/revisions/1/restore/"):
            assert client.get(path).status_code == 405, path
    assert_unchanged(before)


def test_a_session_post_without_a_csrf_token_is_refused(team, draft):
    annotation = draft.annotations.get()
    client = signed_in(team.reviewer, enforce_csrf_checks=True)
    before = snapshot()
    posts = [
        (f"/admin/articles/article/{draft.pk}/transition/", {"action": "request_changes",
                                                            "comment": "x"}, None),
        (f"/api/v1/editorial/articles/{draft.pk}/transitions/", None,
         {"action": "request_changes", "comment": "x"}),
        (f"/api/v1/editorial/annotations/{annotation.pk}/comments/", None, {"body": "x"}),
    ]
    for path, form, body in posts:
        if form is not None:
            response = client.post(path, form)
        else:
            response = client.post(path, **as_json(body))
        assert response.status_code == 403, path
    response = client.patch(f"/api/v1/editorial/annotations/{annotation.pk}/",
                            **as_json({"version": annotation.version, "certainty": "high"}))
    assert response.status_code == 403
    assert_unchanged(before)


# Redirects stay on the site --------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "https:evil.example",
                                    "\thttps://evil.example/"])
def test_admin_login_next_never_leaves_the_site(db, target):
    make_user("Editors", is_staff=True, username="nextuser")
    response = Client().post(f"/admin/login/?next={target}", {
        "username": "nextuser", "password": "pw-for-tests-only", "next": target})
    assert response.status_code == 302
    location = response["Location"]
    assert "evil.example" not in location, location


# Newlines never reach a header or a log line -----------------------------------------------------

HOSTILE_NAME = "a\r\nInjected: x.txt"


def test_a_file_name_with_a_newline_reaches_no_header_nor_raw_log_line(team, caplog):
    client = signed_in(team.editor)
    caplog.set_level(logging.DEBUG)
    upload = io.BytesIO(b"Header test\n\nKetamine body text for the header test.")
    upload.name = HOSTILE_NAME
    response = client.post("/api/v1/editorial/articles/", {"file": upload})
    assert response.status_code in (201, 400)
    for name, value in response.items():
        assert "Injected" not in name and "\n" not in value and "\r" not in value
    # A failing import logs the name; the log line must not be split by it.
    outcome = import_bytes(b"\x00\x01\x02" * 10, filename=HOSTILE_NAME, actor=team.editor)
    assert outcome.failed
    for record in caplog.records:
        message = record.getMessage()
        assert "\r\nInjected" not in message and "\nInjected" not in message, message


def test_a_path_with_a_newline_is_logged_escaped(db, caplog):
    caplog.set_level(logging.WARNING)
    response = Client().get("/articles/x%0D%0AInjected:%20yes/")
    assert response.status_code == 404
    for record in caplog.records:
        assert "\nInjected" not in record.getMessage()
    assert not any(name.lower() == "injected" for name, _ in response.items())


def test_a_title_with_a_newline_reaches_no_redirect_header(team):
    article = make_article(author=team.editor, title="Line one\r\nInjected: two")
    client = signed_in(team.publisher)
    response = client.post(f"/admin/articles/article/{article.pk}/transition/",
                           {"action": "archive", "comment": "x"})
    assert response.status_code == 302
    for _name, value in response.items():
        assert "\n" not in value and "\r" not in value
    article.refresh_from_db()
    assert article.state == State.ARCHIVED


def test_annotation_created_through_the_service_rejects_forged_author(team, draft):
    """The services take the actor from the request, never from the body."""
    client = signed_in(team.editor)
    response = client.post(f"/api/v1/editorial/articles/{draft.pk}/annotations/",
                           **as_json({"block": "p1", "start": 0, "end": 3,
                                      "author": team.reviewer.pk}))
    assert response.status_code == 400
    assert "author" in response.json()["errors"]
    created = create_annotation(article=draft, actor=team.editor, block_id="p1", start=0, end=3)
    assert created.author_id == team.editor.pk


def test_the_annotation_bulk_action_goes_through_the_service(team, draft):
    annotation = draft.annotations.get()
    before = snapshot()
    refused = signed_in(team.publisher).post("/admin/evidence/annotation/", {
        "action": "resolve_selected", "_selected_action": [annotation.pk]})
    assert refused.status_code in (200, 302, 403)
    assert_unchanged(before, "publisher bulk resolve")
    signed_in(team.reviewer).post("/admin/evidence/annotation/", {
        "action": "resolve_selected", "_selected_action": [annotation.pk]})
    annotation.refresh_from_db()
    assert annotation.status == "resolved"
    assert annotation.version == before["evidence.Annotation"][0]["version"] + 1
    # The service withdrew nothing it should not have: the article is still in review.
    draft.refresh_from_db()
    assert draft.state == State.IN_REVIEW


def test_bulk_delete_of_annotations_is_not_offered(team, draft):
    annotation = draft.annotations.get()
    before = snapshot()
    signed_in(team.editor).post("/admin/evidence/annotation/", {
        "action": "delete_selected", "_selected_action": [annotation.pk], "post": "yes"})
    assert_unchanged(before, "bulk delete")
