"""JSON-LD annotations and collections pass the W3C Web Annotation test suite's "must"
assertions (JSON Schema draft-04, $refs resolved inside definitions/).

The schemas are vendored in tests/vendor/w3c-web-annotation/ (see its README for the licence),
so these tests run on every clone; KETASITE_W3C_TESTS_DIR may point at a full checkout instead.
"""

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.api.conftest import publish_article

VENDORED = Path(__file__).resolve().parent.parent / "vendor" / "w3c-web-annotation"
W3C_DIR = Path(os.environ.get("KETASITE_W3C_TESTS_DIR") or VENDORED)


def _suite():
    if not W3C_DIR.is_dir():
        pytest.fail(f"W3C test suite not found at {W3C_DIR} (check KETASITE_W3C_TESTS_DIR)")
    registry = Registry()
    for path in sorted(W3C_DIR.glob("definitions/*.json")):
        registry = registry.with_resource(
            path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT4)
        )
    return registry


def must_failures(document, test_file):
    """Return the messages of the .test file's assertions that `document` fails."""
    registry = _suite()
    test = json.loads((W3C_DIR / test_file).read_text())
    failures = []
    for assertion in test["assertions"]:
        schema = json.loads((W3C_DIR / assertion).read_text())
        validator = Draft4Validator(schema, registry=registry, format_checker=FormatChecker())
        if not validator.is_valid(document):
            failures.append(f"{assertion}: {schema.get('errorMessage', '')}")
    return failures


JSONLD = {"HTTP_ACCEPT": "application/ld+json"}


@pytest.mark.django_db
def test_annotation_passes_the_w3c_musts(api, published):
    response = api.get(f"/api/v1/annotations/{published['annotations'][0].pk}/", **JSONLD)
    assert response["Content-Type"] == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )
    assert must_failures(response.json(), "annotations/annotationMusts.test") == []


@pytest.mark.django_db
def test_collection_and_its_items_pass_the_w3c_musts(api):
    article, _, _ = publish_article(annotations=3)
    response = api.get(f"/api/v1/articles/{article.slug}/annotations/?format=jsonld")
    collection = response.json()
    assert must_failures(collection, "collections/collectionMusts.test") == []
    assert collection["total"] == 3
    for item in collection["first"]["items"]:
        item = {"@context": collection["@context"], **item}
        assert must_failures(item, "annotations/annotationMusts.test") == []


@pytest.mark.django_db
def test_broken_annotation_fails_the_musts(api, published):
    """The check itself can fail: an annotation without a target is refused."""
    document = api.get(f"/api/v1/annotations/{published['annotations'][0].pk}/", **JSONLD).json()
    del document["target"]
    assert must_failures(document, "annotations/annotationMusts.test")


@pytest.mark.django_db
def test_position_selector_counts_in_the_public_plain_text(api, published):
    from articles.blocks import plain_text

    document = api.get(f"/api/v1/annotations/{published['annotations'][0].pk}/", **JSONLD).json()
    quote, position = document["target"]["selector"]
    text = plain_text(published["publication"].blocks)
    assert text[position["start"]:position["end"]] == quote["exact"]


@pytest.mark.django_db
def test_body_carries_note_verdict_and_certainty(api, published):
    document = api.get(f"/api/v1/annotations/{published['annotations'][0].pk}/?format=jsonld")
    values = {(b["purpose"], b["value"]) for b in document.json()["body"]}
    assert ("classifying", "verdict:unsupported") in values
    assert ("classifying", "certainty:very_low") in values
    assert ("assessing", "No trial supports this.") in values


@pytest.mark.django_db
def test_plain_json_stays_the_default(api, published):
    response = api.get(f"/api/v1/annotations/{published['annotations'][0].pk}/")
    assert response["Content-Type"] == "application/json"
    assert "@context" not in response.json()
