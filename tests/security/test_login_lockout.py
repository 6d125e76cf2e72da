"""Admin sign-in: no user enumeration, and a lock-out after repeated failures (django-axes)."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_user

PASSWORD = "pw-for-tests-only"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def staff(db):
    return make_user("Editors", username="known-editor", is_staff=True)


def sign_in(client, username, password):
    login_url = reverse("admin:login")
    return client.post(
        f"{login_url}?next=/admin/", {"username": username, "password": password, "next": "/admin/"}
    )


def comparable(response, username):
    """The answer as a user sees it, with the per-request CSRF token and the echoed user name
    taken out (they differ between any two answers and reveal nothing)."""
    text = CSRF_INPUT.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    return response.status_code, text.replace(username, "USERNAME")


def fail_until_locked(client, username):
    responses = [sign_in(client, username, "wrong-password") for _ in range(
        settings.AXES_FAILURE_LIMIT)]
    return responses[-1]


def test_unknown_user_and_wrong_password_get_the_same_answer(client, staff):
    unknown = sign_in(client, "nobody-here", "wrong-password")
    wrong_password = sign_in(client, "known-editor", "wrong-password")
    assert unknown.status_code == 200
    assert comparable(unknown, "nobody-here") == comparable(wrong_password, "known-editor")


def test_failed_sign_in_says_so_plainly(client, staff):
    response = sign_in(client, "known-editor", "wrong-password")
    assert "Please enter the correct username and password" in response.content.decode()


def test_failures_below_the_limit_do_not_lock_out(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "known-editor", "wrong-password")
    response = sign_in(client, "known-editor", PASSWORD)
    assert response.status_code == 302
    assert response.url == "/admin/"


def test_reaching_the_failure_limit_answers_with_the_lockout_page(client, staff):
    response = fail_until_locked(client, "known-editor")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Sign-in is paused" in text
    assert "Traceback" not in text
    assert int(response.headers["Retry-After"]) > 0


def test_lockout_refuses_even_the_right_password(client, staff):
    fail_until_locked(client, "known-editor")
    response = sign_in(client, "known-editor", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index")).status_code == 302


def test_lockout_page_is_the_same_for_unknown_and_known_accounts(client, staff):
    known = fail_until_locked(client, "known-editor")
    unknown = fail_until_locked(client, "nobody-here")
    assert comparable(known, "known-editor") == comparable(unknown, "nobody-here")


def test_right_password_works_again_after_the_cool_off(client, staff):
    fail_until_locked(client, "known-editor")
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(minutes=1))
    response = sign_in(client, "known-editor", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_lockout_of_one_account_leaves_other_accounts_alone(client, staff):
    other = make_user("Editors", username="other-editor", is_staff=True)
    fail_until_locked(client, "known-editor")
    response = sign_in(client, other.username, PASSWORD)
    assert response.status_code == 302
