"""Simultaneous requests through the API on PostgreSQL: row locks and versions let exactly
one win, and the loser gets the contract's conflict answer with nothing half-done.

The races that a row lock decides run with the window held open past the lock
(`run_at_once_past_the_lock`), so that a missing lock fails every run, not an unlucky one.

Run on a database of your own:
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_hostile .venv/bin/pytest tests/hostile`.
"""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from articles import workflow
from articles.models import Article, Publication, Revision
from tests.conftest import make_user, run_at_once, run_at_once_past_the_lock
from tests.hostile.helpers import build_article, make_team

State = Article.State

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def token_client(user):
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


def statuses(results):
    assert not [r for r in results if isinstance(r, Exception)], results
    return sorted(r.status_code for r in results)


def loser_of(results, status):
    """Return the one response with `status`, checked against the error contract."""
    [loser] = [r for r in results if r.status_code == status]
    body = loser.json()
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    assert isinstance(body["code"], str) and body["code"], body
    return body


def post_json(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def patch_json(client, path, body, **headers):
    return client.patch(path, json.dumps(body), content_type="application/json", **headers)


def test_two_approvals_through_the_api_make_one_event(monkeypatch):
    team = make_team()
    article = build_article(team, "cca", state=State.APPROVED).article
    # Back to review, so both reviewers may try to approve it.
    workflow.save_revision(article, actor=None, base_number=article.draft.number,
                           summary="Summary changed for a second review.")
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW
    second = make_user("Reviewers")
    clients = [token_client(team.reviewer), token_client(second)]
    path = f"/api/v1/editorial/articles/{article.pk}/transitions/"
    results, window = run_at_once_past_the_lock(
        monkeypatch, *[lambda c=c: post_json(c, path, {"action": "approve"}) for c in clients]
    )
    assert statuses(results) == [200, 409]
    loser = loser_of(results, 409)
    assert loser["code"] == "wrong_state"
    assert loser["detail"].startswith("Cannot approve an article that is approved")
    assert window.blocked, "the second approval never waited for the first one's lock"
    assert article.events.filter(action="approve").count() == 2  # the first approval, then one


def test_two_publishes_through_the_api_publish_once(monkeypatch):
    team = make_team()
    article = build_article(team, "ccp", state=State.APPROVED).article
    clients = [token_client(team.publisher), token_client(make_user("Publishers"))]
    path = f"/api/v1/editorial/articles/{article.pk}/transitions/"
    results, window = run_at_once_past_the_lock(
        monkeypatch, *[lambda c=c: post_json(c, path, {"action": "publish"}) for c in clients]
    )
    # The loser gets the contract's 409, not a 500 from a duplicate Publication row.
    assert statuses(results) == [200, 409]
    loser = loser_of(results, 409)
    assert loser["code"] == "wrong_state"
    assert loser["detail"].startswith("Cannot publish an article that is published")
    assert window.blocked, "the second publish never waited for the first one's lock"
    assert Publication.objects.filter(article=article).count() == 1
    assert article.events.filter(action="publish").count() == 1


def test_two_edits_from_the_same_base_one_wins_the_other_gets_412(monkeypatch):
    team = make_team()
    article = build_article(team, "cce", state=State.DRAFT).article
    clients = [token_client(team.editor), token_client(make_user("Editors"))]
    path = f"/api/v1/editorial/articles/{article.pk}/"
    etag = clients[0].get(path)["ETag"]
    titles = ["First editor's title", "Second editor's title"]
    results, window = run_at_once_past_the_lock(monkeypatch, *[
        lambda c=c, t=t: patch_json(c, path, {"title": t}, HTTP_IF_MATCH=etag)
        for c, t in zip(clients, titles, strict=True)
    ])
    # Both passed the If-Match check; the lock in save_revision decides, and the loser gets
    # the contract's 412, not a 500 from a second revision 2.
    assert statuses(results) == [200, 412]
    assert loser_of(results, 412)["detail"].startswith("Someone saved revision 2")
    assert window.blocked, "the second edit never waited for the first one's lock"
    winner = next(r for r in results if r.status_code == 200)
    assert Revision.objects.filter(article=article).count() == 2
    article.refresh_from_db()
    assert article.draft.title == winner.json()["title"]
    assert article.draft.title in titles
    # The winner's text is in the history; the loser's client still holds its own text.
    history = clients[0].get(f"{path}revisions/").json()
    numbers = [item["number"] for item in history.get("results", history)]
    assert sorted(numbers) == [1, 2]


def test_two_annotation_edits_with_the_same_version_one_gets_412():
    team = make_team()
    built = build_article(team, "ccn", state=State.DRAFT)
    annotation = built.annotation
    clients = [token_client(team.reviewer), token_client(make_user("Reviewers"))]
    path = f"/api/v1/editorial/annotations/{annotation.pk}/"
    version = annotation.version
    results = run_at_once(*[
        lambda c=c, v=value: patch_json(c, path, {"certainty": v, "version": version})
        for c, value in zip(clients, ["high", "very_low"], strict=True)
    ])
    assert statuses(results) == [200, 412]
    annotation.refresh_from_db()
    assert annotation.version == version + 1
    assert annotation.rating_changes.filter(field="certainty").count() == 2  # initial + one


def test_the_same_file_imported_twice_at_once_makes_one_article():
    team = make_team()
    clients = [token_client(team.editor), token_client(make_user("Editors"))]
    body = {"format": "text", "content": "Twice at once\n\nKetamine text imported twice.",
            "source_url": "https://example.org/twice"}
    results = run_at_once(*[
        lambda c=c: post_json(c, "/api/v1/editorial/articles/", body) for c in clients
    ])
    assert statuses(results) in ([200, 201], [201, 201])
    assert Article.objects.filter(origin_key="https://example.org/twice").count() == 1
    assert Revision.objects.filter(article__origin_key="https://example.org/twice").count() == 1
