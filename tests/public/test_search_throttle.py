"""Anonymous search has its own, lower rate (KETASITE_THROTTLE_SEARCH); signed-in users have
none. Runs on SQLite and PostgreSQL."""

import pytest
from django.test import override_settings

from tests.public.helpers import published_article

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_fresh_counters")]


@pytest.fixture
def _fresh_counters():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def search(client, query="ketamine", **extra):
    return client.get("/search/", {"q": query}, **extra)


@override_settings(KETASITE_THROTTLE_SEARCH="3/min")
def test_an_anonymous_client_over_the_search_rate_gets_a_plain_429_with_retry_after(client):
    published_article()
    for query in ("ketamine", "adhd", "studies"):
        assert search(client, query).status_code == 200
    response = search(client, "dosing")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert "Please wait a moment before searching again" in html
    assert "You can search again in" in html
    assert "Traceback" not in html and '"detail"' not in html


@override_settings(KETASITE_THROTTLE_SEARCH="3/min")
def test_the_refusal_also_covers_a_query_already_in_the_page_cache(client):
    published_article()
    for _ in range(3):
        assert search(client).status_code == 200
    assert search(client).status_code == 429


@override_settings(KETASITE_THROTTLE_SEARCH="3/min")
def test_reading_articles_and_the_empty_search_form_are_not_counted(client):
    article = published_article()
    for _ in range(5):
        assert client.get("/search/").status_code == 200
        assert client.get(f"/articles/{article.slug}/").status_code == 200
    for query in ("ketamine", "adhd", "studies"):
        assert search(client, query).status_code == 200


@override_settings(KETASITE_THROTTLE_SEARCH="3/min")
def test_a_signed_in_user_is_not_held_to_the_anonymous_search_rate(client, login_as):
    published_article()
    login_as("Editors")
    for number in range(10):
        assert search(client, f"ketamine {number}").status_code == 200


@override_settings(KETASITE_THROTTLE_SEARCH="3/min")
def test_each_client_address_has_its_own_count(client):
    published_article()
    for query in ("ketamine", "adhd", "studies"):
        search(client, query, REMOTE_ADDR="192.0.2.1")
    assert search(client, "dosing", REMOTE_ADDR="192.0.2.1").status_code == 429
    assert search(client, "dosing", REMOTE_ADDR="192.0.2.2").status_code == 200


@override_settings(KETASITE_THROTTLE_SEARCH="3/min")
def test_a_made_up_forwarded_for_header_does_not_get_a_fresh_count(client):
    published_article()
    for number in range(3):
        search(client, f"ketamine {number}", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    response = search(client, "dosing", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
