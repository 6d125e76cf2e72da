"""The OpenAPI schema describes every endpoint and its errors; the docs are served offline;
schemathesis finds no 500 and no response that breaks the schema."""

import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import publish_article
from tests.conftest import make_user

API_MD_PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/articles/",
    "/api/v1/articles/{slug}/",
    "/api/v1/articles/{slug}/annotations/",
    "/api/v1/annotations/{id}/",
    "/api/v1/sources/",
    "/api/v1/sources/{id}/",
    "/api/v1/tags/",
    "/api/v1/editorial/articles/",
    "/api/v1/editorial/articles/{id}/",
    "/api/v1/editorial/articles/{id}/revisions/",
    "/api/v1/editorial/articles/{id}/revisions/{number}/",
    "/api/v1/editorial/articles/{id}/diff/",
    "/api/v1/editorial/articles/{id}/reviewers/",
    "/api/v1/editorial/articles/{id}/transitions/",
    "/api/v1/editorial/articles/{id}/events/",
    "/api/v1/editorial/articles/{id}/annotations/",
    "/api/v1/editorial/annotations/{id}/",
    "/api/v1/editorial/annotations/{id}/comments/",
    "/api/v1/editorial/comments/{id}/resolve/",
    "/api/v1/editorial/comments/{id}/reopen/",
]


def _normalised(path):
    return re.sub(r"\{[^}]+\}", "{id}", path)


@pytest.mark.django_db
def test_schema_lists_every_endpoint_of_the_contract(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = {_normalised(p) for p in schema["paths"]}
    assert {_normalised(p) for p in API_MD_PATHS} <= paths


@pytest.mark.django_db
def test_schema_documents_the_error_shape_on_every_operation(api):
    schema = api.get("/api/schema/?format=json").json()
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "detail", "code", "errors"
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code.startswith("4")]
            assert errors, f"{method.upper()} {path} documents no error response"


@pytest.mark.django_db
def test_docs_page_is_served_offline_without_inline_script(api):
    page = api.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert "cdn" not in page.lower()
    assert "<style" not in page
    assert re.search(r"<script>\s*\S", page) is None
    script = api.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


# Schemathesis ------------------------------------------------------------------------------


def _load_schema():
    from ketasite.wsgi import application

    # Generating the schema needs no database, so it can be loaded at collection.
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = _load_schema()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Call the WSGI app the way Django's test client does.

    Schemathesis calls the application directly, so each request's start and end would
    close "old" database connections, and a connection inside the test's transaction counts
    as one: on PostgreSQL the next query would meet a closed connection.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def editor_headers(db):
    publish_article()
    user = make_user(groups=("Editors", "Reviewers", "Publishers"))
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def anonymous_headers(db):
    publish_article()
    return {}


FUZZ_SETTINGS = hypothesis_settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema_anonymously(case, anonymous_headers):
    case.call_and_validate(headers=anonymous_headers, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema_with_a_token(case, editor_headers):
    case.call_and_validate(headers=editor_headers, checks=CHECKS)
