"""Every refusal under /api/ has the error shape {detail, code, errors?} and never a 500."""

import pytest

from tests.conftest import make_article


def assert_error_shape(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code:
        assert body["code"] == code
    assert set(body) <= {"detail", "code", "errors"}
    return body


@pytest.mark.django_db
def test_unknown_api_path_is_a_json_404(api):
    assert_error_shape(api.get("/api/v1/no-such-thing/"), 404, "not_found")


@pytest.mark.django_db
def test_unknown_article_is_a_json_404(api):
    assert_error_shape(api.get("/api/v1/articles/no-such-article/"), 404, "not_found")


@pytest.mark.django_db
def test_method_not_allowed_has_the_error_shape(api):
    assert_error_shape(api.delete("/api/v1/articles/"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_anonymous_editorial_request_is_401(api):
    body = assert_error_shape(api.get("/api/v1/editorial/articles/"), 401, "not_authenticated")
    assert "credentials" in body["detail"]


@pytest.mark.django_db
def test_bad_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error_shape(api.get("/api/v1/editorial/articles/"), 401, "authentication_failed")


@pytest.mark.django_db
def test_user_in_no_group_gets_403_on_lists_and_404_on_details(token_client):
    article = make_article()
    client = token_client()
    assert_error_shape(client.get("/api/v1/editorial/articles/"), 403)
    response = client.get(f"/api/v1/editorial/articles/{article.pk}/")
    assert_error_shape(response, 404)
    assert "ETag" not in response


@pytest.mark.django_db
def test_malformed_json_is_400(token_client):
    client = token_client("Editors")
    response = client.post(
        "/api/v1/editorial/articles/", data=b'{"format": "text", ', content_type="application/json"
    )
    assert_error_shape(response, 400, "parse_error")


@pytest.mark.django_db
def test_unsupported_content_type_is_415(token_client):
    client = token_client("Editors")
    response = client.post(
        "/api/v1/editorial/articles/", data=b"<x/>", content_type="application/xml"
    )
    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text", ["bad\u0000text", "lone \\ud800 surrogate"], ids=["nul", "lone-surrogate"]
)
def test_nul_and_lone_surrogates_are_refused_with_the_field_named(token_client, text):
    client = token_client("Editors")
    raw = '{"format": "text", "content": "' + text.replace("\u0000", "\\u0000") + '"}'
    response = client.post(
        "/api/v1/editorial/articles/", data=raw.encode(), content_type="application/json"
    )
    body = assert_error_shape(response, 400, "invalid")
    assert "content" in body["errors"]


@pytest.mark.django_db
def test_json_body_over_the_limit_is_413(token_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = token_client("Editors")
    raw = ('{"format": "text", "content": "' + "x" * 2000 + '"}').encode()
    response = client.post("/api/v1/editorial/articles/", data=raw,
                           content_type="application/json")
    assert_error_shape(response, 413, "too_large")


@pytest.mark.django_db
def test_wrong_types_are_400_with_field_errors(token_client):
    client = token_client("Editors")
    response = client.post(
        "/api/v1/editorial/articles/", {"format": 3, "content": ["x"]}, format="json"
    )
    body = assert_error_shape(response, 400, "invalid")
    assert set(body["errors"]) == {"format", "content"}


@pytest.mark.django_db
def test_invalid_page_is_a_json_404(api):
    assert_error_shape(api.get("/api/v1/articles/?page=99"), 404)


@pytest.mark.django_db
def test_invalid_filter_value_is_400(api):
    body = assert_error_shape(api.get("/api/v1/articles/?verdict=great"), 400, "invalid")
    assert "verdict" in body["errors"]


@pytest.mark.django_db
def test_nul_in_a_query_parameter_is_400(api):
    assert_error_shape(api.get("/api/v1/articles/?q=a%00b"), 400, "invalid")
