"""POST /api/v1/auth/token/: a token for good credentials, one message for bad ones,
throttled, and locked out by django-axes after repeated failures."""

import pytest
from django.test import override_settings

from ketasite.api import TokenRateThrottle
from tests.api.test_errors import assert_error_shape
from tests.conftest import make_user

URL = "/api/v1/auth/token/"


@pytest.mark.django_db
def test_good_credentials_get_a_token_that_authenticates(api):
    make_user("Editors", username="ed")
    response = api.post(URL, {"username": "ed", "password": "pw-for-tests-only"}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/editorial/articles/").status_code == 200


@pytest.mark.django_db
def test_unknown_user_and_wrong_password_get_the_same_answer(api):
    make_user("Editors", username="ed")
    wrong = api.post(URL, {"username": "ed", "password": "nope"}, format="json")
    unknown = api.post(URL, {"username": "nobody", "password": "nope"}, format="json")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


@pytest.mark.django_db
def test_missing_fields_are_named(api):
    body = assert_error_shape(api.post(URL, {}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"username", "password"}


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_failures_lock_the_account_out_even_with_the_right_password(api):
    make_user("Editors", username="ed")
    for _ in range(3):
        api.post(URL, {"username": "ed", "password": "wrong"}, format="json")
    response = api.post(URL, {"username": "ed", "password": "pw-for-tests-only"}, format="json")
    assert_error_shape(response, 429, "locked_out")
    assert "token" not in response.json()


@pytest.mark.django_db
def test_the_token_endpoint_is_throttled(api, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "rate", "2/min", raising=False)
    codes = [
        api.post(URL, {"username": "x", "password": "y"}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
