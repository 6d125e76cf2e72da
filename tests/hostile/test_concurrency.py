"""Simultaneous requests through the API on PostgreSQL: row locks and versions let exactly
one win, and the loser gets the contract's conflict answer with nothing half-done.

Run on a database of your own:
`DATABASE_URL=postgres://postgres@127.0.0.1:5432/ks_hostile .venv/bin/pytest tests/hostile`.
"""

import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from articles import workflow
from articles.models import Article, Publication, Revision
from tests.conftest import make_user, run_at_once
from tests.hostile.helpers import build_article, make_team

State = Article.State

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres,  # row locks
    pytest.mark.django_db(transaction=True),
]


def token_client(user):
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    client.user = user
    return client


def statuses(results):
    assert not [r for r in results if isinstance(r, Exception)], results
    return sorted(r.status_code for r in results)


def post_json(client, path, body, **headers):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def patch_json(client, path, body, **headers):
    return client.patch(path, json.dumps(body), content_type="application/json", **headers)


def test_two_approvals_through_the_api_make_one_event():
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
    results = run_at_once(*[lambda c=c: post_json(c, path, {"action": "approve"}) for c in clients])
    assert statuses(results) == [200, 409]
    assert article.events.filter(action="approve").count() == 2  # the first approval, then one


def test_two_publishes_through_the_api_publish_once():
    team = make_team()
    article = build_article(team, "ccp", state=State.APPROVED).article
    clients = [token_client(team.publisher), token_client(make_user("Publishers"))]
    path = f"/api/v1/editorial/articles/{article.pk}/transitions/"
    results = run_at_once(*[lambda c=c: post_json(c, path, {"action": "publish"}) for c in clients])
    assert statuses(results) == [200, 409]
    assert Publication.objects.filter(article=article).count() == 1
    assert article.events.filter(action="publish").count() == 1


def test_two_edits_from_the_same_base_one_wins_the_other_gets_412():
    team = make_team()
    article = build_article(team, "cce", state=State.DRAFT).article
    clients = [token_client(team.editor), token_client(make_user("Editors"))]
    path = f"/api/v1/editorial/articles/{article.pk}/"
    etag = clients[0].get(path)["ETag"]
    titles = ["First editor's title", "Second editor's title"]
    results = run_at_once(*[
        lambda c=c, t=t: patch_json(c, path, {"title": t}, HTTP_IF_MATCH=etag)
        for c, t in zip(clients, titles, strict=True)
    ])
    assert statuses(results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200)
    assert Revision.objects.filter(article=article).count() == 2
    article.refresh_from_db()
    assert article.draft.title == winner.json()["title"]
    assert article.draft.title in titles
    loser = next(r for r in results if r.status_code == 412)
    assert loser.json()["code"]
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
