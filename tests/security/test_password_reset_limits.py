"""Password reset cannot flood an inbox, and takes the same time for known and unknown
addresses: limited per address and per client, the mail sent after the answer."""

import logging
import re
import smtplib

import pytest
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.urls import reverse

from accounts.urls import password_reset_view
from tests.conftest import make_user

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def staff(db):
    return make_user("Editors", username="known-editor", is_staff=True)


@pytest.fixture
def limits(settings):
    def _set(*, per_address=100, per_client=100, minutes=60):
        settings.KETASITE_RESET_LIMIT_PER_ADDRESS = per_address
        settings.KETASITE_RESET_LIMIT_PER_CLIENT = per_client
        settings.KETASITE_RESET_WINDOW_MINUTES = minutes
    return _set


def ask_for_reset(client, email, **extra):
    return client.post(reverse("password_reset"), {"email": email}, follow=True, **extra)


def as_seen(response):
    return (response.status_code, response.redirect_chain,
            CSRF_INPUT.sub("", response.content.decode()))


# ---------------------------------------------------------------------------------------------
# Per address


def test_resets_beyond_the_address_limit_send_no_mail_and_answer_as_usual(client, staff,
                                                                         limits):
    limits(per_address=2)
    answers = [ask_for_reset(client, staff.email) for _ in range(3)]
    assert len(mail.outbox) == 2
    assert as_seen(answers[2]) == as_seen(answers[0])
    assert "Check your email" in answers[2].content.decode()


def test_the_address_limit_ignores_case_and_spaces(client, staff, limits):
    limits(per_address=1)
    ask_for_reset(client, staff.email)
    ask_for_reset(client, f"  {staff.email.upper()} ")
    assert len(mail.outbox) == 1


def test_an_unknown_address_over_the_limit_answers_as_a_known_one_does(client, staff, limits):
    limits(per_address=1)
    known = [ask_for_reset(client, staff.email) for _ in range(2)][-1]
    unknown = [ask_for_reset(client, "nobody@example.org") for _ in range(2)][-1]
    assert as_seen(known) == as_seen(unknown)


def test_the_address_limit_is_counted_from_any_client(client, staff, limits):
    limits(per_address=1)
    ask_for_reset(client, staff.email, REMOTE_ADDR="192.0.2.1")
    ask_for_reset(client, staff.email, REMOTE_ADDR="192.0.2.2")
    assert len(mail.outbox) == 1


def test_the_address_may_ask_again_in_the_next_window(client, staff, limits, monkeypatch):
    limits(per_address=1, minutes=60)
    monkeypatch.setattr("accounts.resets.time.time", lambda: 1_800_000_000.0)
    ask_for_reset(client, staff.email)
    ask_for_reset(client, staff.email)
    monkeypatch.setattr("accounts.resets.time.time", lambda: 1_800_000_000.0 + 3600)
    ask_for_reset(client, staff.email)
    assert len(mail.outbox) == 2


# ---------------------------------------------------------------------------------------------
# Per client


def test_a_client_over_its_limit_is_refused_with_a_429(client, staff, limits):
    limits(per_client=3)
    for n in range(3):
        assert ask_for_reset(client, f"someone{n}@example.org").status_code == 200
    refused = ask_for_reset(client, staff.email)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many reset requests" in refused.content.decode()
    assert mail.outbox == []


def test_the_client_refusal_is_the_same_for_known_and_unknown_addresses(client, staff, limits):
    limits(per_client=1)
    ask_for_reset(client, "first@example.org")
    assert as_seen(ask_for_reset(client, staff.email)) == as_seen(
        ask_for_reset(client, "nobody@example.org"))


def test_another_client_is_not_held_back(client, staff, limits):
    limits(per_client=1)
    ask_for_reset(client, "first@example.org", REMOTE_ADDR="192.0.2.1")
    assert ask_for_reset(client, staff.email, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert ask_for_reset(client, staff.email, REMOTE_ADDR="192.0.2.2").status_code == 200
    assert len(mail.outbox) == 1


def test_a_forged_forwarded_header_does_not_make_a_new_client(client, staff, limits):
    limits(per_client=1)
    ask_for_reset(client, "first@example.org", HTTP_X_FORWARDED_FOR="203.0.113.1")
    again = ask_for_reset(client, staff.email, HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert again.status_code == 429


# ---------------------------------------------------------------------------------------------
# The mail goes after the answer


def post_to_the_view(rf, email):
    request = rf.post(reverse("password_reset"), {"email": email})
    request._dont_enforce_csrf_checks = True
    return password_reset_view(request)


def test_the_mail_is_sent_after_the_response_not_inside_the_view(rf, staff):
    response = post_to_the_view(rf, staff.email)
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []
    response.close()  # what the server does once the last byte is sent
    assert [message.to for message in mail.outbox] == [[staff.email]]


@pytest.mark.parametrize("email", ["known-editor@example.org", "nobody@example.org"])
def test_the_view_does_the_same_work_for_known_and_unknown_addresses(
    rf, staff, email, django_assert_num_queries
):
    # No query at all: whether the address is known is first looked up after the answer.
    with django_assert_num_queries(0):
        response = post_to_the_view(rf, email)
    assert response.status_code == 302
    response.close()


def test_a_mail_failure_after_the_response_is_logged(rf, staff, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPException("the mail server is down")

    monkeypatch.setattr(PasswordResetForm, "send_mail", refuse)
    response = post_to_the_view(rf, staff.email)
    with caplog.at_level(logging.ERROR, logger="ketasite.accounts"):
        response.close()
    assert "the mail server is down" in caplog.text
