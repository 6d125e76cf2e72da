"""The editorial suggestions API: list, accept (201 with the annotation), dismiss; refusals."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from articles.importing import import_bytes
from evidence.models import Annotation
from spotting.models import Dismissal, Suggestion
from spotting.suggestions import open_suggestions
from tests.conftest import make_user
from tests.spotting.helpers import CLAIM, SECOND_CLAIM, import_article

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def list_url(article):
    return f"/api/v1/editorial/articles/{article.pk}/suggestions/"


def decide_url(article, suggestion_id, action):
    return f"{list_url(article)}{suggestion_id}/{action}/"


def first_ids(client, article):
    return [item["id"] for item in client.get(list_url(article)).json()["results"]]


def test_the_list_gives_quote_selector_kind_score_and_reasons(editor):
    article = import_article().article
    response = client_for(editor).get(list_url(article))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") or "no-cache" in response[
        "Cache-Control"]
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["quote"] == CLAIM
    assert first["kind"] == "safety" and first["kind_label"] == "safety or side effects"
    assert 0.5 <= first["score"] <= 1
    assert "a causal verb: raise" in first["reasons"]
    quote, position = first["selector"]
    assert quote == {"type": "TextQuoteSelector", "exact": CLAIM, "prefix": "",
                     "suffix": quote["suffix"]}
    assert quote["suffix"].startswith(" Talk to your doctor")
    # Positions count in the public plain text: the blocks joined by a blank line.
    text = "\n\n".join(b["text"] for b in article.draft.blocks)
    assert text[position["start"]:position["end"]] == CLAIM


def test_accept_answers_201_with_an_unrated_annotation(editor):
    article = import_article().article
    client = client_for(editor)
    sid = first_ids(client, article)[0]
    response = client.post(decide_url(article, sid, "accept"))
    assert response.status_code == 201
    body = response.json()
    assert body["exact"] == CLAIM
    assert body["verdict"] == "" and body["certainty"] == ""
    assert Annotation.objects.get(pk=body["id"]).article_id == article.pk
    assert [i["quote"] for i in client.get(list_url(article)).json()["results"]] == [
        SECOND_CLAIM]
    # The annotation is on the annotations endpoint, as one marked by hand.
    listed = client.get(f"/api/v1/editorial/articles/{article.pk}/annotations/").json()
    assert [a["id"] for a in listed["results"]] == [body["id"]]


def test_dismiss_answers_200_and_the_sentence_stays_dismissed_after_reimport(editor):
    article = import_article().article
    client = client_for(editor)
    sid = first_ids(client, article)[1]
    response = client.post(decide_url(article, sid, "dismiss"))
    assert response.status_code == 200
    assert response.json()["suggestion"]["state"] == "dismissed"
    import_article(extra="Ketamine blocks NMDA receptors in the brain.")
    quotes = [i["quote"] for i in client.get(list_url(article)).json()["results"]]
    assert SECOND_CLAIM not in quotes and CLAIM in quotes


@pytest.mark.parametrize("first, then", [("accept", "accept"), ("accept", "dismiss"),
                                         ("dismiss", "accept"), ("dismiss", "dismiss")])
def test_deciding_again_is_409_and_writes_nothing(editor, first, then):
    article = import_article().article
    client = client_for(editor)
    sid = first_ids(client, article)[0]
    assert client.post(decide_url(article, sid, first)).status_code in (200, 201)
    counts = (Annotation.objects.count(), Dismissal.objects.count(), article.events.count())
    response = client.post(decide_url(article, sid, then))
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert (Annotation.objects.count(), Dismissal.objects.count(),
            article.events.count()) == counts


def test_another_articles_suggestion_is_404(editor):
    article = import_article().article
    other = import_bytes(b"Other\n\nKetamine reduces pain after surgery in most trials.\n",
                         filename="other.txt").article
    client = client_for(editor)
    sid = first_ids(client, other)[0]
    for action in ("accept", "dismiss"):
        response = client.post(decide_url(article, sid, action))
        assert response.status_code == 404
    assert Suggestion.objects.get(pk=sid).state == "open"


def test_who_may_see_and_decide(publisher, reviewer):
    article = import_article().article
    sid = open_suggestions(article)[0].pk
    # A publisher sees articles but may not annotate them: 403, and nothing is written.
    client = client_for(publisher)
    assert client.get(list_url(article)).status_code == 403
    for action in ("accept", "dismiss"):
        assert client.post(decide_url(article, sid, action)).status_code == 403
    # Someone without the editorial groups learns nothing: 404.
    stranger = client_for(make_user())
    assert stranger.get(list_url(article)).status_code == 404
    assert stranger.post(decide_url(article, sid, "accept")).status_code == 404
    # Signed out: 401.
    assert APIClient().get(list_url(article)).status_code == 401
    assert not Annotation.objects.exists() and not Dismissal.objects.exists()
    # A reviewer may annotate, so may decide.
    assert client_for(reviewer).post(decide_url(article, sid, "accept")).status_code == 201


def _queries(client, article):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(list_url(article)).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_one_or_many(editor):
    client = client_for(editor)
    one = import_bytes(b"One\n\nKetamine can raise blood pressure for about an hour.\n",
                       filename="one.txt").article
    many_text = "\n\n".join(
        f"Ketamine at {n} mg/kg can raise blood pressure for about {n} hours." for n in
        range(1, 41)
    )
    many = import_bytes(f"Many\n\n{many_text}\n".encode(), filename="many.txt").article
    assert client.get(list_url(many)).json()["count"] == 40
    _queries(client, one)  # warm the session and permission caches alike
    assert _queries(client, one) == _queries(client, many)


def test_the_endpoints_are_in_the_openapi_schema(editor):
    schema = client_for(editor).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    base = "/api/v1/editorial/articles/{id}/suggestions/"
    assert "get" in paths[base]
    assert "post" in paths[base + "{sid}/accept/"]
    assert "post" in paths[base + "{sid}/dismiss/"]
    assert "409" in paths[base + "{sid}/accept/"]["post"]["responses"]
