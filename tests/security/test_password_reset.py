"""Password reset under /accounts/: it works, and never says whether an address is known."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import make_user

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def staff(db):
    return make_user("Editors", username="known-editor", is_staff=True)


def ask_for_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def test_reset_page_offers_a_form(client, db):
    response = client.get(reverse("password_reset"))
    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()


def test_unknown_and_known_addresses_get_the_same_answer(client, staff):
    known = ask_for_reset(client, staff.email)
    unknown = ask_for_reset(client, "nobody@example.org")
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert "Check your email" in known.content.decode()


def test_only_a_known_address_gets_an_email(client, staff):
    ask_for_reset(client, "nobody@example.org")
    assert mail.outbox == []
    ask_for_reset(client, staff.email)
    assert [message.to for message in mail.outbox] == [[staff.email]]


def test_reset_link_lets_the_user_choose_a_new_password(client, staff):
    ask_for_reset(client, staff.email)
    link = re.search(r"https?://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    new_password = "a-new-and-long-password-42"
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
        follow=True,
    )
    assert "Your password has been changed" in done.content.decode()
    staff.refresh_from_db()
    assert staff.check_password(new_password)


def test_a_forged_reset_link_is_refused_plainly(client, staff):
    response = client.get("/accounts/reset/MQ/not-a-token/", follow=True)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


def test_admin_login_page_links_to_the_password_reset(client, db):
    response = client.get(reverse("admin:login"))
    assert reverse("password_reset") in response.content.decode()
