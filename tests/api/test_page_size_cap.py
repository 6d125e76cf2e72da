"""Every paginated list answers at most 100 items a page, however many are asked for.

The contract (README "The API", and the `page_size` parameter's description in the OpenAPI
schema): `?page_size=N` sets the page size, at most 100; a larger N gets pages of 100, with the
true `count` and a `next` link to the rest. The lists here hold more than 100 items, so that a
missing cap shows (with one article, `len(results) <= 100` holds whatever the code does).
"""

import json
import time

import pytest
from django.test import Client

from articles.models import Revision, WorkflowEvent
from evidence.models import Source
from tests.conftest import make_annotation, make_article, make_blocks, make_user, publish_now

DOCUMENTED_MAX_PAGE_SIZE = 100
MANY = 105  # items in each list: more than a page, so a second page holds the other 5
ASKED = 1000
BUILD_BUDGET = 60.0  # seconds; measured about 3 s on an idle machine


@pytest.fixture
def many(db):
    """MANY published articles; one of them (`big`) has MANY annotations, each citing its own
    source, MANY revisions and MANY audit events. Return (editor, big)."""
    started = time.monotonic()
    editor = make_user("Editors")
    sources = Source.objects.bulk_create(
        Source(title=f"Trial {number:03d}", year=2020) for number in range(MANY)
    )
    big = make_article(title="Many claims",
                       blocks=make_blocks(*["Ketamine may help some adults."] * MANY))
    for number, source in enumerate(sources):
        make_annotation(big, block_id=f"p{number + 1}", start=0, end=8, verdict="supported",
                        certainty="low", sources=[source])
    publish_now(big)
    for number in range(MANY - 1):
        publish_now(make_article(title=f"Article {number:03d}", slug=f"cap-{number:03d}"))
    Revision.objects.bulk_create(
        Revision(article=big, number=number, title=f"Revision {number}", blocks=[])
        for number in range(2, MANY + 1)
    )
    WorkflowEvent.objects.bulk_create(
        WorkflowEvent(article=big, actor=editor, action="comment", comment=f"Event {number}")
        for number in range(MANY - WorkflowEvent.objects.filter(article=big).count())
    )
    assert time.monotonic() - started < BUILD_BUDGET
    return editor, big


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return response.json()


def assert_capped(client, path):
    """`?page_size=ASKED` gets a page of the documented maximum with the true count and a next
    link; the next page holds the rest, and the two pages hold MANY different items."""
    separator = "&" if "?" in path else "?"
    first = _get(client, f"{path}{separator}page_size={ASKED}")
    assert first["count"] == MANY, path
    assert len(first["results"]) == DOCUMENTED_MAX_PAGE_SIZE, path
    assert first["previous"] is None, path
    assert first["next"], f"{path}: a capped page must link to the rest"
    rest = _get(client, first["next"])
    assert rest["count"] == MANY, path
    assert len(rest["results"]) == MANY - DOCUMENTED_MAX_PAGE_SIZE, path
    assert rest["next"] is None, path
    assert rest["previous"], path
    items = {json.dumps(item, sort_keys=True) for item in first["results"] + rest["results"]}
    assert len(items) == MANY, path


PUBLIC_LISTS = [
    "/api/v1/articles/",
    "/api/v1/articles/?ordering=title",  # a filter: the other stored-list path
    "/api/v1/sources/",
]
EDITORIAL_LISTS = [
    "/api/v1/editorial/articles/",
    "/api/v1/editorial/sources/",
    "/api/v1/editorial/articles/{big}/annotations/",
    "/api/v1/editorial/articles/{big}/revisions/",
    "/api/v1/editorial/articles/{big}/events/",
]


# One test per kind of client, each over its lists: building MANY articles takes seconds.

def test_every_anonymous_public_list_is_capped(many):
    for path in PUBLIC_LISTS:
        assert_capped(Client(), path)


def test_every_signed_in_public_list_is_capped(many):
    # A session (or token) bypasses the stored list and the page cache: DRF's own paging.
    editor, _ = many
    client = Client()
    client.force_login(editor)
    for path in PUBLIC_LISTS:
        assert_capped(client, path)


def test_every_editorial_list_is_capped(many):
    editor, big = many
    client = Client()
    client.force_login(editor)
    for path in EDITORIAL_LISTS:
        assert_capped(client, path.format(big=big.pk))


def test_the_schema_documents_the_maximum_page_size(db):
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    parameters = [
        parameter
        for operation in (schema["paths"]["/api/v1/articles/"]["get"],
                          schema["paths"]["/api/v1/editorial/articles/"]["get"])
        for parameter in operation["parameters"]
        if parameter["name"] == "page_size"
    ]
    assert len(parameters) == 2
    for parameter in parameters:
        assert f"at most {DOCUMENTED_MAX_PAGE_SIZE}" in parameter["description"]
