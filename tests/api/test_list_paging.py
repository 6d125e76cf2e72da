"""The public article list at any size: page numbers from either end, a cursor for the
pages in between, the same document for every client, and a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import workflow
from articles.models import Article
from claims.models import Claim
from public import api as public_api
from tests.api.conftest import publish_article
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LIST = "/api/v1/articles/"


@pytest.fixture
def seven(settings):
    """Seven live articles, newest first: Article 6 … Article 0."""
    settings.KETASITE_PUBLIC_CACHE = False
    for index in range(7):
        publish_article(title=f"Article {index}", slug=f"article-{index}")
    return [f"article-{index}" for index in reversed(range(7))]


def slugs(body):
    return [item["slug"] for item in body["results"]]


def path_of(link):
    return link.split("testserver", 1)[1]


def walk(api, url, key):
    """Follow the `key` links from `url`; return every page's slugs in order."""
    seen = []
    while url:
        body = api.get(url).json()
        seen.append(slugs(body))
        url = body[key] and path_of(body[key])
    return seen


def test_page_numbers_read_from_either_end_give_the_same_pages(api, seven):
    assert slugs(api.get(f"{LIST}?page_size=2").json()) == seven[0:2]
    assert slugs(api.get(f"{LIST}?page_size=2&page=2").json()) == seven[2:4]
    assert slugs(api.get(f"{LIST}?page_size=2&page=3").json()) == seven[4:6]
    last = api.get(f"{LIST}?page_size=2&page=last").json()
    assert slugs(last) == seven[6:]
    assert last["count"] == 7 and last["next"] is None
    assert last["previous"].endswith("page=3&page_size=2") or "page=3" in last["previous"]
    assert api.get(f"{LIST}?page_size=2&page=4").json() == last
    assert api.get(f"{LIST}?page_size=2&page=5").status_code == 404


def test_the_last_page_is_read_from_the_end(api, seven):
    """The last page skips nothing: it is the oldest rows, read oldest first."""
    with CaptureQueriesContext(connection) as queries:
        last = api.get(f"{LIST}?page_size=3&page=last").json()
    assert slugs(last) == seven[6:]
    pages = [q["sql"] for q in queries.captured_queries if "api_item_json" in q["sql"]]
    assert pages and all(re.search(r"ASC LIMIT 1 OFFSET 0\b", sql) for sql in pages), pages


def test_deep_pages_are_reached_by_cursor_links_both_ways(api, seven, monkeypatch):
    # Page numbers serve pages 1 row from either end here; pages between go by cursor.
    monkeypatch.setattr(public_api, "PAGE_NUMBER_DEPTH", 1)
    forward = walk(api, f"{LIST}?page_size=1", "next")
    assert forward == [[slug] for slug in seven]
    first = api.get(f"{LIST}?page_size=1").json()
    assert "cursor=" not in first["next"]  # page 2 starts 1 row in: a page number
    second = api.get(path_of(first["next"])).json()
    assert "cursor=" in second["next"]  # page 3 starts 2 rows in: a cursor
    third = api.get(path_of(second["next"])).json()
    assert slugs(third) == seven[2:3] and third["count"] == 7
    assert "cursor=" in third["previous"]
    backward = walk(api, path_of(third["previous"]), "previous")
    assert backward == [seven[1:2], seven[0:1]]
    end = walk(api, f"{LIST}?page_size=1&page=last", "previous")
    assert end == [[slug] for slug in reversed(seven)]
    refused = api.get(f"{LIST}?page_size=1&page=4")  # 3 rows from both ends
    assert refused.status_code == 400 and "cursor" in refused.json()["errors"]["page"][0]


def test_a_cursor_survives_a_take_down_of_its_own_article(api, seven, monkeypatch):
    monkeypatch.setattr(public_api, "PAGE_NUMBER_DEPTH", 0)
    first = api.get(f"{LIST}?page_size=2").json()
    assert "cursor=" in first["next"]
    publisher = make_user("Publishers")
    workflow.unpublish(Article.objects.get(slug=seven[1]), actor=publisher, comment="wrong")
    after = api.get(path_of(first["next"])).json()
    assert slugs(after) == seven[2:4] and after["count"] == 6
    assert after["previous"]  # the newest article is still before it


def test_signed_in_clients_get_the_same_documents(api, seven, monkeypatch):
    monkeypatch.setattr(public_api, "PAGE_NUMBER_DEPTH", 1)
    reader = type(api)()
    reader.force_authenticate(make_user())
    second = api.get(path_of(api.get(f"{LIST}?page_size=1").json()["next"])).json()
    cursor = path_of(second["next"])
    back = path_of(api.get(cursor).json()["previous"])
    for url in (LIST, f"{LIST}?page_size=1&page=last", cursor, back):
        anonymous, signed_in = api.get(url), reader.get(url)
        assert anonymous.status_code == signed_in.status_code == 200
        assert anonymous.content == signed_in.content
        assert anonymous["ETag"] == signed_in["ETag"]


@pytest.mark.parametrize("query", [
    "?cursor=nonsense", "?cursor=n1_1&page=2", "?cursor=n1_1&tag=adhd",
    "?cursor=n99999999999999999999_1",
])
def test_bad_cursors_are_refused_with_the_error_shape(api, seven, query):
    response = api.get(f"{LIST}{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def _queries(api, url):
    with CaptureQueriesContext(connection) as context:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(context.captured_queries)


def test_first_last_and_cursor_pages_cost_a_fixed_number_of_queries(api, seven, monkeypatch):
    monkeypatch.setattr(public_api, "PAGE_NUMBER_DEPTH", 1)
    second = api.get(path_of(api.get(f"{LIST}?page_size=1").json()["next"])).json()
    cursor = path_of(second["next"])
    assert "cursor=" in cursor
    first = _queries(api, f"{LIST}?page_size=1")
    last = _queries(api, f"{LIST}?page_size=1&page=last")
    by_cursor = _queries(api, cursor)
    for index in range(7, 12):
        publish_article(title=f"Article {index}", slug=f"article-{index}")
    assert _queries(api, f"{LIST}?page_size=1") == first == 1
    assert _queries(api, f"{LIST}?page_size=1&page=last") == last <= 2
    assert _queries(api, cursor) == by_cursor <= 2


def test_the_claims_list_reads_its_back_half_from_the_end(api, settings):
    settings.KETASITE_PUBLIC_CACHE = False
    for letter in "abcde":
        Claim.objects.create(statement=f"Claim {letter}", statement_key=f"claim {letter}",
                             slug=f"claim-{letter}", published_at=timezone.now())
    every = [item["slug"] for item in api.get("/api/v1/claims/").json()["results"]]
    assert every == [f"claim-{letter}" for letter in "abcde"]
    pages = [api.get(f"/api/v1/claims/?page_size=2&page={n}").json() for n in (1, 2, 3)]
    assert [[item["slug"] for item in page["results"]] for page in pages] == [
        every[0:2], every[2:4], every[4:]
    ]
    assert pages[2]["next"] is None and "page=2" in pages[2]["previous"]
    with CaptureQueriesContext(connection) as queries:
        last = api.get("/api/v1/claims/?page_size=2&page=last").json()
    assert last == pages[2]
    listing = [q["sql"] for q in queries.captured_queries
               if '"claims_claim"."statement"' in q["sql"] and "LIMIT" in q["sql"]]
    assert listing and all(re.search(r"DESC.*LIMIT 1\b", sql) for sql in listing), listing
