"""The public API cache keeps each representation and each host apart: a JSON-LD answer is
never stored where a JSON client finds it, and one host's absolute links never reach another.

Every client here is anonymous, so each request goes through the public page cache; the first
request of a representation fills the cache, and the cache must not answer the others with it.
"""

import pytest
from django.test import Client

from tests.api.conftest import publish_article

pytestmark = pytest.mark.django_db

JSONLD_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def get(url, accept=None, host=None):
    headers = {}
    if accept is not None:
        headers["Accept"] = accept
    if host is not None:
        headers["Host"] = host
    return Client().get(url, headers=headers)


def is_jsonld(response):
    return response["Content-Type"] == JSONLD_TYPE and "@context" in response.json()


def is_plain_json(response):
    return response["Content-Type"] == "application/json" and "@context" not in response.json()


@pytest.fixture
def annotation_url(db):
    _, _, annotations = publish_article()
    return f"/api/v1/annotations/{annotations[0].pk}/"


@pytest.mark.parametrize("accept", [
    "application/LD+JSON", "Application/Ld+Json", "application/ld+json",
    'APPLICATION/LD+JSON; profile="http://www.w3.org/ns/anno.jsonld"',
])
def test_jsonld_asked_in_any_case_is_not_served_to_json_clients(annotation_url, accept):
    first = get(annotation_url, accept)
    assert first.status_code == 200
    assert is_jsonld(first)
    for plain in (None, "*/*", "application/json", "APPLICATION/JSON"):
        response = get(annotation_url, plain)
        assert response.status_code == 200
        assert is_plain_json(response), f"Accept {plain!r} got {response['Content-Type']}"


@pytest.mark.parametrize("plain", [None, "*/*", "application/json"])
def test_a_cached_json_answer_is_not_served_to_a_jsonld_client(annotation_url, plain):
    assert is_plain_json(get(annotation_url, plain))
    assert get(annotation_url, plain)["X-Cache"] == "hit"
    for accept in ("application/LD+JSON", "application/ld+json"):
        assert is_jsonld(get(annotation_url, accept))


def test_each_representation_is_cached_on_its_own(annotation_url):
    assert get(annotation_url, "application/ld+json")["X-Cache"] == "miss"
    again = get(annotation_url, "application/LD+JSON")
    assert again["X-Cache"] == "hit"
    assert is_jsonld(again)
    assert get(annotation_url)["X-Cache"] == "miss"
    assert get(annotation_url, "*/*")["X-Cache"] == "hit"


@pytest.mark.parametrize(("accept", "jsonld"), [
    ("application/json;q=0.5, application/ld+json", True),
    ("application/ld+json;q=0.9, application/json", False),
    ("application/ld+json;q=0, */*", False),
    ("application/ld+json, */*;q=0.1", True),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
    ("text/html", False),
    ("application/*", False),
])
def test_quality_values_choose_the_representation_and_its_cache_entry(
    annotation_url, accept, jsonld
):
    # Fill the cache with the other representation first: it must not be served.
    get(annotation_url, "application/json" if jsonld else "application/ld+json")
    response = get(annotation_url, accept)
    assert response.status_code == 200
    assert (is_jsonld if jsonld else is_plain_json)(response)


def test_the_format_parameter_wins_over_accept(annotation_url):
    assert is_jsonld(get(annotation_url + "?format=jsonld", "application/json"))
    assert is_plain_json(get(annotation_url + "?format=json", "application/ld+json"))
    response = get(annotation_url + "?format=xml")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_collection_keeps_its_representations_apart(db):
    article, _, _ = publish_article(annotations=2)
    url = f"/api/v1/articles/{article.slug}/annotations/"
    assert get(url, "application/LD+JSON").json()["type"] == "AnnotationCollection"
    plain = get(url)
    assert is_plain_json(plain)
    assert plain.json()["count"] == 2


@pytest.fixture
def two_hosts(settings):
    settings.ALLOWED_HOSTS = ["one.example", "two.example"]


def test_pagination_links_are_never_served_to_another_host(two_hosts):
    for number in range(3):
        publish_article(title=f"Article {number}", slug=f"paged-{number}")
    url = "/api/v1/articles/?page_size=1"
    first = get(url, host="one.example").json()
    assert first["next"].startswith("http://one.example/")
    second = get(url, host="two.example")
    assert second.json()["next"].startswith("http://two.example/")
    assert get(url, host="two.example")["X-Cache"] == "hit"


def test_w3c_ids_are_never_served_to_another_host(two_hosts, annotation_url):
    one = get(annotation_url, "application/ld+json", host="one.example").json()
    assert one["id"].startswith("http://one.example/")
    two = get(annotation_url, "application/ld+json", host="two.example").json()
    assert two["id"].startswith("http://two.example/")
    assert "one.example" not in str(two)


def test_the_scheme_is_part_of_the_key(settings, annotation_url):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    insecure = get(annotation_url, "application/ld+json").json()
    assert insecure["id"].startswith("http://")
    secure = Client().get(annotation_url, headers={
        "Accept": "application/ld+json", "X-Forwarded-Proto": "https",
    }).json()
    assert secure["id"].startswith("https://")
