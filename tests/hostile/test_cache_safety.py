"""The public page cache never hands one person's page to another, never keeps a preview, and
forgets a page the moment it is taken down."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from articles import workflow
from articles.models import Article
from tests.hostile.helpers import build_article, make_team

State = Article.State


@pytest.fixture
def team(db):
    return make_team()


@pytest.fixture
def live(team):
    return build_article(team, "cch", state=State.PUBLISHED).article


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_editors_page_is_private_and_not_stored(team, live):
    editor = signed_in(team.editor)
    page = editor.get(f"/articles/{live.slug}/")
    assert page.status_code == 200
    assert "private" in page["Cache-Control"] and "public" not in page["Cache-Control"]
    assert "Cookie" in page["Vary"]
    assert "X-Cache" not in page
    # The next anonymous visitor fills the cache afresh: nothing was stored for the editor.
    assert Client().get(f"/articles/{live.slug}/")["X-Cache"] == "miss"


def test_an_editor_is_never_served_the_anonymous_cached_page(team, live):
    Client().get(f"/articles/{live.slug}/")
    assert Client().get(f"/articles/{live.slug}/")["X-Cache"] == "hit"
    page = signed_in(team.editor).get(f"/articles/{live.slug}/")
    assert "X-Cache" not in page
    assert "private" in page["Cache-Control"]


@pytest.mark.parametrize("cookies", [
    {"theme": "dark"}, {"csrftoken": "x" * 32}, {"sessionid": "not-a-real-session"},
])
def test_unrelated_or_bogus_cookies_get_the_public_page(live, cookies):
    client = Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    page = client.get(f"/articles/{live.slug}/")
    assert page.status_code == 200
    assert "public" in page["Cache-Control"]
    assert "Cookie" in page["Vary"]
    assert "Set-Cookie" not in page


def test_a_cached_page_carries_no_cookie_of_the_visitor_who_filled_it(team, live):
    first = Client()
    first.cookies["csrftoken"] = "a" * 32
    first.get("/")
    second = Client().get("/")
    assert second["X-Cache"] == "hit"
    assert "Set-Cookie" not in second
    assert "a" * 32 not in second.content.decode()


def test_a_signed_in_visitors_public_api_response_is_not_stored(team, live):
    token = Token.objects.create(user=team.editor)
    response = Client().get(f"/api/v1/articles/{live.slug}/",
                            HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert "X-Cache" not in response
    assert Client().get(f"/api/v1/articles/{live.slug}/")["X-Cache"] == "miss"


def test_editorial_responses_vary_on_the_cookie_and_are_never_cached_server_side(team, live):
    client = signed_in(team.editor)
    first = client.get(f"/api/v1/editorial/articles/{live.pk}/")
    assert "Cookie" in first["Vary"]
    assert "X-Cache" not in first
    anonymous = Client().get(f"/api/v1/editorial/articles/{live.pk}/")
    assert anonymous.status_code == 401


def test_editorial_responses_say_private_no_store(team, live):
    token = Token.objects.create(user=team.reviewer)
    for response in (
        signed_in(team.editor).get(f"/api/v1/editorial/articles/{live.pk}/"),
        signed_in(team.editor).get("/api/v1/editorial/articles/"),
        Client().get(f"/api/v1/editorial/annotations/{live.annotations.first().pk}/",
                     HTTP_AUTHORIZATION=f"Token {token.key}"),
        Client().get("/api/v1/editorial/articles/"),
    ):
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control


def test_a_preview_is_never_cached(team, live):
    workflow.save_revision(live, actor=team.editor, base_number=live.draft.number,
                           title="Title cchpreviewonly")
    for user in (team.editor, team.reviewer):
        response = signed_in(user).get(f"/preview/{live.pk}/")
        assert response.status_code == 200
        assert "cchpreviewonly" in response.content.decode()
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "X-Cache" not in response
    anonymous = Client().get(f"/preview/{live.pk}/")
    assert anonymous.status_code == 404
    assert "cchpreviewonly" not in anonymous.content.decode()
    public = Client().get(f"/articles/{live.slug}/")
    assert "cchpreviewonly" not in public.content.decode()


def test_a_shared_preview_is_never_cached(team, live):
    from articles.preview import create_share_link

    _link, token = create_share_link(live, actor=team.reviewer)
    response = Client().get(f"/shared/{token}/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "X-Cache" not in response


@pytest.mark.parametrize("action", ["unpublish", "archive"])
def test_after_a_take_down_the_cached_page_is_gone(team, live, action,
                                                   django_capture_on_commit_callbacks):
    client = Client()
    client.get(f"/articles/{live.slug}/")
    assert client.get(f"/articles/{live.slug}/")["X-Cache"] == "hit"
    client.get(f"/api/v1/articles/{live.slug}/")
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.perform(live, action=action, actor=team.publisher, comment="Taken down.")
    page = client.get(f"/articles/{live.slug}/")
    assert page.status_code == 410
    assert "cchtitle" not in page.content.decode()
    assert client.get(f"/api/v1/articles/{live.slug}/").status_code == 404
    assert "cchtitle" not in client.get("/").content.decode()
    assert "cchtitle" not in client.get("/feed/").content.decode()
