"""Previews of the draft and share links for outside experts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import preview
from articles.models import ShareLink
from tests.conftest import make_user
from tests.workflow.conftest import ready_article


@pytest.fixture
def article(editor, reviewer):
    return ready_article(author=editor, reviewer=reviewer)


def _preview_url(article):
    return reverse("articles:preview", kwargs={"pk": article.pk})


def test_editor_sees_the_draft_rendered_and_not_indexed(client, editor, article):
    client.force_login(editor)
    response = client.get(_preview_url(article))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "may help some adults with ADHD." in html
    assert "Preview of the draft" in html
    assert not response.has_header("ETag")


@pytest.mark.parametrize("who", ["anonymous", "no group"])
def test_preview_is_404_for_outsiders(client, article, who):
    if who == "no group":
        client.force_login(make_user(None, is_staff=True))
    response = client.get(_preview_url(article))
    assert response.status_code == 404
    assert not response.has_header("ETag")


def test_reviewer_creates_a_share_link_that_works_without_login(client, reviewer, article):
    link, token = preview.create_share_link(article, actor=reviewer, note="Dr. Outside")
    assert link.token_hash != token
    assert ShareLink.objects.filter(token_hash=preview.token_hash(token)).exists()
    response = client.get(reverse("articles:shared_preview", kwargs={"token": token}))
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "private, no-store"
    assert "Shared preview of a draft" in response.content.decode()


def _status(client, token):
    return client.get(reverse("articles:shared_preview", kwargs={"token": token})).status_code


def test_expired_share_link_is_404(client, reviewer, article):
    link, token = preview.create_share_link(article, actor=reviewer)
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save(update_fields=["expires_at"])
    assert _status(client, token) == 404


def test_revoked_share_link_is_404(client, reviewer, article):
    link, token = preview.create_share_link(article, actor=reviewer)
    preview.revoke_share_link(link, actor=reviewer)
    assert _status(client, token) == 404


def test_wrong_token_is_404(client, reviewer, article):
    _, token = preview.create_share_link(article, actor=reviewer)
    assert _status(client, token[:-1] + ("A" if token[-1] != "A" else "B")) == 404


def test_share_link_defaults_to_the_configured_days(reviewer, article, settings):
    settings.KETASITE_SHARE_LINK_DAYS = 3
    link, _ = preview.create_share_link(article, actor=reviewer)
    assert timedelta(days=2, hours=23) < link.expires_at - timezone.now() <= timedelta(days=3)


def test_editor_cannot_create_a_share_link(editor, article):
    from articles.workflow import NotAllowed

    with pytest.raises(NotAllowed, match="reviewers and publishers"):
        preview.create_share_link(article, actor=editor)
    assert not ShareLink.objects.exists()
