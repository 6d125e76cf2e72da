"""Every editorial endpoint and admin view, for every role: allowed, 401/403 or 404 as the
API contract says, and a refused request changes nothing.

Roles: anonymous, Editors, Reviewers, Publishers, and a signed-in staff user in no group.
"""

import json
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client

from articles import workflow
from articles.models import Article
from evidence.annotations import add_comment, create_annotation, resolve_comment
from tests.conftest import make_article, make_blocks, make_user
from tests.hostile.helpers import build_article, make_team
from tests.hostile.snapshots import assert_unchanged, snapshot

State = Article.State

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


# Admin writes ---------------------------------------------------------------------------------
# The admin answers a POST with a redirect to the change page both when it did the change and
# when a rule refused it, so each case follows the redirect and reads the message shown, and
# checks the article itself. Each action is tried in a state where it is possible for the
# right role (built through the real workflow), so that only the role check stands between
# the other roles and the change.


class MessageList(HTMLParser):
    """Collect the admin's messages: (level, text) from `<ul class="messagelist">`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.messages = []
        self._in_list = False
        self._level = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "ul" and "messagelist" in (values.get("class") or "").split():
            self._in_list = True
        elif tag == "li" and self._in_list:
            self._level = values.get("class") or ""
            self.messages.append([self._level, ""])

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_list = False
        elif tag == "li":
            self._level = None

    def handle_data(self, data):
        if self._level is not None:
            self.messages[-1][1] += data


def messages_shown(response):
    parser = MessageList()
    parser.feed(response.content.decode())
    return [(level, " ".join(text.split())) for level, text in parser.messages]


def _in_review_ready_to_approve(team):
    built = build_article(team, "mxa", state=State.IN_REVIEW)
    # The annotation is rated; with its thread resolved the approval gate passes.
    resolve_comment(built.comment, actor=team.reviewer)
    return built.article


def _draft_with_two_revisions(team):
    article = build_article(team, "mxr", state=State.DRAFT).article
    workflow.save_revision(article, actor=team.editor, base_number=1,
                           title="A second title for the matrix")
    return article


def _state(state):
    return lambda team: build_article(team, "mx", state=state).article


def _became(state, event):
    """The transition happened: the article is in `state` with one new `event` by the user."""

    def check(article, user, before):
        assert article.state == state
        events = article.events.filter(action=event)
        assert events.count() == before["events"][event] + 1
        assert events.latest("pk").actor == user

    return check


def _restored_revision_1(article, user, before):
    assert article.revisions.count() == before["revisions"] + 1
    assert article.draft.number == before["revisions"] + 1
    assert article.draft.title == article.revisions.get(number=1).title
    assert article.draft.author == user


def _shared(article, user, before):
    assert article.share_links.count() == before["share_links"] + 1


def _reviewers_set(article, user, before):
    assert sorted(a.reviewer.username for a in article.review_assignments.all()) == [
        "matrix-second-reviewer"
    ]


# name → (build the state, URL suffix, form data, {role allowed: (outcome, message words)},
#         the refusal shown to the other roles who may open the article: a message naming
#         who may, or 403).
ADMIN_POSTS = {
    "submit": (
        _state(State.DRAFT), "transition/", {"action": "submit"},
        {"Editors": (_became("in_review", "submit"), "now in review")}, "only editors",
    ),
    "request changes": (
        _state(State.IN_REVIEW), "transition/",
        {"action": "request_changes", "comment": "Please cite the trial."},
        {"Reviewers": (_became("changes_requested", "request_changes"),
                       "now changes requested")},
        "only reviewers",
    ),
    "approve": (
        _in_review_ready_to_approve, "transition/", {"action": "approve"},
        {"Reviewers": (_became("approved", "approve"), "now approved")}, "only reviewers",
    ),
    "publish": (
        _state(State.APPROVED), "transition/", {"action": "publish"},
        {"Publishers": (_became("published", "publish"), "now published")},
        "only publishers",
    ),
    "unpublish": (
        _state(State.PUBLISHED), "transition/",
        {"action": "unpublish", "comment": "Taken down for a check."},
        {"Publishers": (_became("unpublished", "unpublish"), "now unpublished")},
        "only publishers",
    ),
    "archive": (
        _state(State.PUBLISHED), "transition/", {"action": "archive"},
        {"Publishers": (_became("archived", "archive"), "now archived")}, "only publishers",
    ),
    "restore": (
        _state(State.ARCHIVED), "transition/", {"action": "restore"},
        {"Publishers": (_became("draft", "restore"), "now draft")}, "only publishers",
    ),
    "restore revision": (
        _draft_with_two_revisions, "revisions/1/restore/", {},
        {"Editors": (_restored_revision_1, "revision 1 restored as revision 3")}, 403,
    ),
    "share": (
        _state(State.IN_REVIEW), "share/", {"note": "for an expert"},
        {"Reviewers": (_shared, "share link created"),
         "Publishers": (_shared, "share link created")},
        "only reviewers and publishers",
    ),
    "reviewers": (
        _state(State.IN_REVIEW), "reviewers/", {"reviewers": ["matrix-second-reviewer"]},
        {"Editors": (_reviewers_set, "reviewers assigned"),
         "Publishers": (_reviewers_set, "reviewers assigned")},
        "only editors and publishers",
    ),
}


def _counts(article):
    return {
        "events": Counter(article.events.values_list("action", flat=True)),
        "revisions": article.revisions.count(),
        "share_links": article.share_links.count(),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ADMIN_POSTS))
def test_admin_posts_by_role(db, role, name):
    build, suffix, data, allowed, refusal = ADMIN_POSTS[name]
    team = make_team()
    make_user("Reviewers", is_staff=True, username="matrix-second-reviewer")
    article = build(team)
    state = Article.objects.get(pk=article.pk).state
    client = Client()
    user = {"Editors": team.editor, "Reviewers": team.reviewer,
            "Publishers": team.publisher, "nobody": team.nobody}.get(role)
    if user is not None:
        client.force_login(user)
    change_page = f"/admin/articles/article/{article.pk}/change/"
    before, counts = snapshot(), _counts(article)

    response = client.post(f"/admin/articles/article/{article.pk}/{suffix}", data)

    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    elif role in allowed:
        assert response.status_code == 302 and response["Location"] == change_page
        shown = messages_shown(client.get(change_page))
        outcome, words = allowed[role]
        assert [level for level, _ in shown] == ["success"], shown
        assert words in shown[0][1].lower(), shown
        outcome(Article.objects.get(pk=article.pk), user, counts)
        return
    elif role == "nobody" or refusal == 403:
        # The admin refuses a user who may not open (or change) the article outright.
        assert response.status_code == 403, (role, name, response.status_code)
    else:
        assert response.status_code == 302 and response["Location"] == change_page
        shown = messages_shown(client.get(change_page))
        assert [level for level, _ in shown] == ["error"], shown
        assert refusal in shown[0][1].lower(), shown
    assert_unchanged(before, f"{role} {name}")
    assert Article.objects.get(pk=article.pk).state == state
