"""API tokens end: they expire after KETASITE_TOKEN_DAYS (30 by default), their owner can
revoke them, a change of password revokes them, and an administrator sees and revokes them."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.test_errors import assert_error_shape
from tests.conftest import make_user

URL = "/api/v1/auth/token/"
EDITORIAL = "/api/v1/editorial/articles/"
PASSWORD = "pw-for-tests-only"


def sign_in(username):
    response = APIClient().post(URL, {"username": username, "password": PASSWORD},
                                format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def age_token(key, days):
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=days))


@pytest.fixture
def editor_user(db):
    return make_user("Editors", username="ed", is_staff=True)


# ---------------------------------------------------------------------------------------------
# Expiry


def test_sign_in_says_when_the_token_expires(editor_user):
    body = sign_in("ed")
    expires = parse_datetime(body["expires"])
    assert abs(expires - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_a_token_works_until_its_thirtieth_day(editor_user):
    key = sign_in("ed")["token"]
    age_token(key, 29.9)
    assert with_token(key).get(EDITORIAL).status_code == 200


def test_a_token_thirty_days_old_is_refused_with_the_error_shape(editor_user):
    key = sign_in("ed")["token"]
    age_token(key, 30.01)
    response = with_token(key).get(EDITORIAL)
    body = assert_error_shape(response, 401, "token_expired")
    assert "sign in again" in body["detail"].lower()
    assert response["WWW-Authenticate"] == "Token"


def test_the_lifetime_is_a_setting(editor_user, settings):
    settings.KETASITE_TOKEN_DAYS = 2
    key = sign_in("ed")["token"]
    age_token(key, 2.01)
    assert_error_shape(with_token(key).get(EDITORIAL), 401, "token_expired")


def test_signing_in_again_replaces_an_expired_token(editor_user):
    old = sign_in("ed")["token"]
    age_token(old, 31)
    new = sign_in("ed")["token"]
    assert new != old
    assert with_token(new).get(EDITORIAL).status_code == 200
    assert with_token(old).get(EDITORIAL).status_code == 401


def test_signing_in_again_keeps_a_valid_token(editor_user):
    assert sign_in("ed")["token"] == sign_in("ed")["token"]


def test_a_stale_authorization_header_does_not_block_signing_in(editor_user):
    key = sign_in("ed")["token"]
    age_token(key, 31)
    response = with_token(key).post(URL, {"username": "ed", "password": PASSWORD},
                                    format="json")
    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# The owner revokes


def test_delete_revokes_the_callers_token(editor_user):
    key = sign_in("ed")["token"]
    client = with_token(key)
    response = client.delete(URL)
    assert response.status_code == 204
    assert response.content == b""
    assert not Token.objects.filter(key=key).exists()
    assert_error_shape(client.get(EDITORIAL), 401)


def test_delete_leaves_other_users_tokens_alone(editor_user):
    make_user("Reviewers", username="rev")
    mine, theirs = sign_in("ed")["token"], sign_in("rev")["token"]
    with_token(mine).delete(URL)
    assert with_token(theirs).get(EDITORIAL).status_code == 200


def test_delete_with_a_session_revokes_the_users_token(editor_user):
    key = sign_in("ed")["token"]
    client = APIClient()
    client.force_login(editor_user)
    assert client.delete(URL).status_code == 204
    assert with_token(key).get(EDITORIAL).status_code == 401


def test_delete_with_a_session_needs_the_csrf_token(editor_user):
    key = sign_in("ed")["token"]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor_user)
    assert_error_shape(client.delete(URL), 403)
    assert Token.objects.filter(key=key).exists()


@pytest.mark.django_db
def test_delete_without_credentials_is_a_401(api):
    assert_error_shape(api.delete(URL), 401)


@pytest.mark.django_db
def test_the_schema_documents_the_delete(api):
    schema = api.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/auth/token/"]["delete"]
    assert "204" in operation["responses"]
    assert "401" in operation["responses"]
    post = schema["paths"]["/api/v1/auth/token/"]["post"]
    token = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "expires" in schema["components"]["schemas"][token.rsplit("/", 1)[-1]]["properties"]


# ---------------------------------------------------------------------------------------------
# A change of password revokes every token of that user


def test_a_password_reset_revokes_the_users_tokens(client, editor_user):
    key = sign_in("ed")["token"]
    client.post(reverse("password_reset"), {"email": editor_user.email})
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    new_password = "a-new-and-long-password-42"
    client.post(form.redirect_chain[-1][0],
                {"new_password1": new_password, "new_password2": new_password})
    editor_user.refresh_from_db()
    assert editor_user.check_password(new_password)
    assert_error_shape(with_token(key).get(EDITORIAL), 401)


def test_changing_ones_password_in_the_admin_revokes_the_tokens(client, editor_user):
    key = sign_in("ed")["token"]
    client.force_login(editor_user)
    new_password = "a-new-and-long-password-42"
    response = client.post(reverse("admin:password_change"), {
        "old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password,
    })
    assert response.status_code == 302
    assert_error_shape(with_token(key).get(EDITORIAL), 401)


def test_an_administrator_setting_a_password_revokes_the_tokens(client, editor_user):
    key = sign_in("ed")["token"]
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    new_password = "a-new-and-long-password-42"
    response = client.post(
        reverse("admin:auth_user_password_change", args=[editor_user.pk]),
        {"usable_password": "true", "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    assert_error_shape(with_token(key).get(EDITORIAL), 401)


def test_the_changepassword_command_revokes_the_tokens(editor_user, monkeypatch):
    key = sign_in("ed")["token"]
    monkeypatch.setattr("getpass.getpass", lambda *args, **kwargs: "a-new-and-long-pw-42")
    call_command("changepassword", "ed", stdout=io.StringIO())
    assert_error_shape(with_token(key).get(EDITORIAL), 401)


def test_a_password_change_leaves_other_users_tokens_alone(editor_user):
    make_user("Reviewers", username="rev")
    theirs = sign_in("rev")["token"]
    editor_user.set_password("a-new-and-long-password-42")
    editor_user.save()
    assert with_token(theirs).get(EDITORIAL).status_code == 200


def test_signing_in_or_saving_the_user_otherwise_keeps_the_token(client, editor_user):
    key = sign_in("ed")["token"]
    client.post(reverse("admin:login"), {"username": "ed", "password": PASSWORD})
    editor_user.first_name = "Ed"
    editor_user.save()
    assert with_token(key).get(EDITORIAL).status_code == 200


def test_a_password_disabled_in_the_admin_voids_the_token(editor_user):
    key = sign_in("ed")["token"]
    editor_user.set_unusable_password()
    editor_user.save()
    assert_error_shape(with_token(key).get(EDITORIAL), 401, "token_revoked")


# ---------------------------------------------------------------------------------------------
# The administrator's list


@pytest.fixture
def admin_client_of(client):
    def _as(user):
        client.force_login(user)
        return client
    return _as


def test_the_admin_lists_tokens_by_user_with_issue_and_expiry_but_no_key(
    admin_client_of, editor_user
):
    key = sign_in("ed")["token"]
    make_user("Reviewers", username="rev-without-token")
    root = make_user(username="root", is_staff=True, is_superuser=True)
    page = admin_client_of(root).get(reverse("admin:accounts_apitokenholder_changelist"))
    text = page.content.decode()
    assert page.status_code == 200
    assert ">ed<" in text
    assert "rev-without-token" not in text
    for heading in ("Username", "Issued", "Expires", "Status"):
        assert heading in text
    assert "valid" in text
    assert key not in text


def test_the_admin_marks_an_expired_token(admin_client_of, editor_user):
    age_token(sign_in("ed")["token"], 31)
    root = make_user(username="root", is_staff=True, is_superuser=True)
    text = admin_client_of(root).get(
        reverse("admin:accounts_apitokenholder_changelist")).content.decode()
    assert "expired" in text


def test_the_admin_revokes_the_selected_tokens_and_keeps_the_users(admin_client_of,
                                                                   editor_user):
    key = sign_in("ed")["token"]
    make_user("Reviewers", username="rev")
    kept = sign_in("rev")["token"]
    root = make_user(username="root", is_staff=True, is_superuser=True)
    response = admin_client_of(root).post(
        reverse("admin:accounts_apitokenholder_changelist"),
        {"action": "revoke_tokens", "_selected_action": [editor_user.pk]}, follow=True,
    )
    assert "Revoked 1 API token." in response.content.decode()
    assert_error_shape(with_token(key).get(EDITORIAL), 401)
    assert with_token(kept).get(EDITORIAL).status_code == 200
    assert User.objects.filter(username="ed").exists()


def test_staff_without_the_permission_cannot_see_the_tokens(admin_client_of, editor_user):
    sign_in("ed")
    page = admin_client_of(editor_user).get(
        reverse("admin:accounts_apitokenholder_changelist"))
    assert page.status_code == 403
