"""Every editorial endpoint and admin view, for every role: allowed, 401/403 or 404 as the
API contract says, and a refused request changes nothing.

Roles: anonymous, Editors, Reviewers, Publishers, and a signed-in staff user in no group.
"""

import json

import pytest
from django.test import Client

from articles import workflow
from articles.models import Article
from evidence.annotations import add_comment, create_annotation
from tests.conftest import make_article, make_blocks, make_user
from tests.hostile.snapshots import assert_unchanged, snapshot

ROLES = ("anonymous", "Editors", "Reviewers", "Publishers", "nobody")


@pytest.fixture
def world(db):
    """An in-review article by an editor, with a reviewer, an annotation and a comment."""
    author = make_user("Editors", is_staff=True, username="author")
    assigned = make_user("Reviewers", is_staff=True, username="assigned")
    article = make_article(author=author, blocks=make_blocks(
        "Ketamine may help some adults with ADHD, says one small trial."))
    workflow.assign_reviewers(article, actor=author, reviewers=[assigned])
    annotation = create_annotation(article=article, actor=author, block_id="p1", start=0,
                                   end=8, note="Check this.")
    add_comment(annotation, actor=author, body="Is there a trial?")
    workflow.submit(article, actor=author)
    article.refresh_from_db()
    return {"article": article, "annotation": annotation, "author": author}


def client_for(role):
    client = Client()
    if role != "anonymous":
        user = make_user(None if role == "nobody" else role, is_staff=True)
        client.force_login(user)
        client.user = user
    return client


def etag_of(client, article):
    response = client.get(f"/api/v1/editorial/articles/{article.pk}/")
    return response.get("ETag", '"none"')


# API reads -----------------------------------------------------------------------------------

READS = {
    # path template → expected status by role
    "/api/v1/editorial/articles/": {"anonymous": 401, "nobody": 403},
    "/api/v1/editorial/articles/{a}/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/articles/{a}/revisions/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/articles/{a}/revisions/1/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/articles/{a}/diff/?from=1&to=1": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/articles/{a}/events/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/articles/{a}/annotations/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/annotations/{n}/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/annotations/{n}/comments/": {"anonymous": 401, "nobody": 404},
    "/api/v1/editorial/sources/?q=trial": {"anonymous": 401, "nobody": 403},
}


@pytest.mark.parametrize("role", ROLES)
def test_editorial_api_reads_by_role(world, role):
    client = client_for(role)
    for template, refusals in READS.items():
        path = template.format(a=world["article"].pk, n=world["annotation"].pk)
        response = client.get(path)
        expected = refusals.get(role, 200)
        assert response.status_code == expected, (role, path, response.content[:200])
        if expected != 200:
            body = response.json()
            assert body["detail"] and body["code"], path
            assert "ETag" not in response, path


# API writes ----------------------------------------------------------------------------------

def _patch_article(client, world):
    article = world["article"]
    return client.patch(
        f"/api/v1/editorial/articles/{article.pk}/", json.dumps({"title": "Changed title"}),
        content_type="application/json", HTTP_IF_MATCH=etag_of(client, article),
    )


def _transition(action, comment=""):
    def send(client, world):
        return client.post(
            f"/api/v1/editorial/articles/{world['article'].pk}/transitions/",
            json.dumps({"action": action, "comment": comment}), content_type="application/json",
        )
    return send


def _import(client, world):
    return client.post("/api/v1/editorial/articles/", json.dumps(
        {"format": "text", "content": "A new article\n\nKetamine text for a new import."}),
        content_type="application/json")


def _reviewers(client, world):
    return client.put(
        f"/api/v1/editorial/articles/{world['article'].pk}/reviewers/",
        json.dumps({"reviewers": ["assigned"]}), content_type="application/json",
    )


def _annotate(client, world):
    return client.post(
        f"/api/v1/editorial/articles/{world['article'].pk}/annotations/",
        json.dumps({"block": "p1", "start": 9, "end": 12}), content_type="application/json",
    )


def _rate(client, world):
    annotation = world["annotation"]
    return client.patch(
        f"/api/v1/editorial/annotations/{annotation.pk}/",
        json.dumps({"certainty": "low", "version": annotation.version}),
        content_type="application/json",
    )


def _delete_annotation(client, world):
    return client.delete(f"/api/v1/editorial/annotations/{world['annotation'].pk}/")


def _comment(client, world):
    return client.post(
        f"/api/v1/editorial/annotations/{world['annotation'].pk}/comments/",
        json.dumps({"body": "A second question."}), content_type="application/json",
    )


def _thread(action):
    def send(client, world):
        comment = world["annotation"].comments.get()
        return client.post(f"/api/v1/editorial/comments/{comment.pk}/{action}/")
    return send


def _add_source(client, world):
    return client.post("/api/v1/editorial/sources/", json.dumps(
        {"title": "A trial", "url": "https://journal.example.org/a-trial"}),
        content_type="application/json")


# write → the status for each role; the others must be refused with nothing changed.
WRITES = {
    "patch article": (_patch_article, {"Editors": 200}),
    "approve": (_transition("approve"), {"Reviewers": 409}),  # the gate: unrated annotation
    "request changes": (_transition("request_changes", "Please fix."), {"Reviewers": 200}),
    "publish": (_transition("publish"), {"Publishers": 409}),  # wrong state: in review
    "archive": (_transition("archive"), {"Publishers": 409}),  # in review cannot be archived
    "import": (_import, {"Editors": 201}),
    "assign reviewers": (_reviewers, {"Editors": 200, "Publishers": 200}),
    "annotate": (_annotate, {"Editors": 201, "Reviewers": 201}),
    "rate": (_rate, {"Reviewers": 200}),
    "delete annotation": (_delete_annotation, {"Editors": 204}),
    "comment": (_comment, {"Editors": 201, "Reviewers": 201}),
    # The comment is the author's (an editor, not these Editors) and open: a reviewer
    # resolves it; reopening an open thread is the wrong state.
    "resolve comment": (_thread("resolve"), {"Reviewers": 200}),
    "reopen comment": (_thread("reopen"), {"Reviewers": 409}),
    "add source": (_add_source, {"Editors": 201, "Reviewers": 201}),
}
REFUSED = {"anonymous": {401}, "nobody": {403, 404}}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(WRITES))
def test_editorial_api_writes_by_role(world, role, name):
    send, allowed = WRITES[name]
    client = client_for(role)
    before = snapshot()
    response = send(client, world)
    if role in allowed:
        assert response.status_code == allowed[role], (role, name, response.content[:300])
        if allowed[role] >= 400:
            assert_unchanged(before, f"{role} {name}")
        return
    assert response.status_code in REFUSED.get(role, {403}), (role, name, response.content[:300])
    body = response.json()
    assert body["detail"] and body["code"]
    assert_unchanged(before, f"{role} {name}")


# Admin ---------------------------------------------------------------------------------------

ADMIN_GETS = {
    # path → the roles allowed (200); the others get 403 (staff) or the login page (anonymous)
    "/admin/articles/article/": {"Editors", "Reviewers", "Publishers"},
    "/admin/articles/article/{a}/change/": {"Editors", "Reviewers", "Publishers"},
    "/admin/articles/article/add/": {"Editors"},
    "/admin/articles/article/{a}/delete/": set(),
    "/admin/articles/article/{a}/revisions/": {"Editors", "Reviewers"},
    "/admin/articles/article/{a}/revisions/diff/?from=1&to=1": {"Editors", "Reviewers"},
    "/admin/articles/article/import/": {"Editors"},
    "/admin/evidence/annotation/annotate/{a}/": {"Editors", "Reviewers"},
    "/admin/evidence/annotation/": {"Editors", "Reviewers", "Publishers"},
    "/admin/evidence/annotation/{n}/change/": {"Editors", "Reviewers", "Publishers"},
    "/admin/evidence/source/": {"Editors", "Reviewers", "Publishers"},
    "/admin/articles/workflowevent/": {"Editors", "Reviewers", "Publishers"},
}


@pytest.mark.parametrize("role", ROLES)
def test_admin_views_by_role(world, role):
    client = client_for(role)
    for template, allowed in ADMIN_GETS.items():
        path = template.format(a=world["article"].pk, n=world["annotation"].pk)
        response = client.get(path)
        if role == "anonymous":
            assert response.status_code == 302, path
            assert response["Location"].startswith("/admin/login/"), path
        elif role in allowed:
            assert response.status_code == 200, (role, path)
        else:
            assert response.status_code == 403, (role, path, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_preview_by_role(world, role):
    response = client_for(role).get(f"/preview/{world['article'].pk}/")
    expected = 404 if role in ("anonymous", "nobody") else 200
    assert response.status_code == expected


ADMIN_POSTS = {
    # action → the role whose POST succeeds; the rest change nothing
    "approve": ("transition/", {"action": "approve"}),
    "publish": ("transition/", {"action": "publish"}),
    "archive": ("transition/", {"action": "archive"}),
    "restore revision": ("revisions/1/restore/", {}),
    "share": ("share/", {"note": "for an expert"}),
    "reviewers": ("reviewers/", {"reviewers": ["assigned"]}),
}


# Publishers may share a preview and assign reviewers, so those two are not refusals for them.
REFUSED_ADMIN_POSTS = [
    (name, role) for name in ADMIN_POSTS for role in ("anonymous", "nobody", "Publishers")
    if not (role == "Publishers" and name in ("share", "reviewers"))
]


@pytest.mark.parametrize(("name", "role"), REFUSED_ADMIN_POSTS)
def test_refused_admin_posts_change_nothing(world, role, name):
    suffix, data = ADMIN_POSTS[name]
    client = client_for(role)
    before = snapshot()
    response = client.post(f"/admin/articles/article/{world['article'].pk}/{suffix}", data)
    assert response.status_code in (302, 403), (role, name)
    if role == "anonymous":
        assert response["Location"].startswith("/admin/login/")
    assert_unchanged(before, f"{role} {name}")
    assert Article.objects.get(pk=world["article"].pk).state == Article.State.IN_REVIEW
