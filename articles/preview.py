"""Previews of the draft with the public template, and share links for outside experts.

A preview renders the draft as it would be published (`freeze_publication(..., save=False)`)
with the public detail template. It is never cached nor indexed. Editors, reviewers and
publishers may preview; anyone else gets the same 404 as for an unknown article.

A share link is a random token of which only the sha256 is stored: read-only, expiring
(settings.KETASITE_SHARE_LINK_DAYS) and revocable. Reviewers and publishers create them.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.evidencechart import evidence_chart
from articles.frozen import verdict_rows
from articles.models import Article, ShareLink
from articles.workflow import InvalidInput, NotAllowed, WrongState

PREVIEW_PERMISSIONS = (
    "articles.submit_article",
    "articles.review_article",
    "articles.publish_article",
)
SHARE_PERMISSIONS = ("articles.review_article", "articles.publish_article")


def can_preview(user):
    """True when `user` is an active editor, reviewer or publisher (or a superuser)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and any(user.has_perm(p) for p in PREVIEW_PERMISSIONS)
    )


def can_share(user):
    return bool(
        user.is_authenticated
        and user.is_active
        and any(user.has_perm(p) for p in SHARE_PERMISSIONS)
    )


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_share_link(article, *, actor, days=None, note=""):
    """Create a share link for `article`; return (link, token). The token is shown only once."""
    if not can_share(actor):
        raise NotAllowed("Only reviewers and publishers may share a preview.")
    if article.state == Article.State.ARCHIVED or article.draft_id is None:
        raise WrongState("An archived article or one without content cannot be shared.")
    days = settings.KETASITE_SHARE_LINK_DAYS if days is None else days
    if not isinstance(days, int) or not 1 <= days <= 90:
        raise InvalidInput("A share link lasts from 1 to 90 days.", {"days": ["1 to 90."]})
    token = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        article=article,
        token_hash=token_hash(token),
        note=(note or "")[:200],
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return link, token


def revoke_share_link(link, *, actor):
    """Revoke `link` now; it answers 404 from then on."""
    if not can_share(actor):
        raise NotAllowed("Only reviewers and publishers may revoke a share link.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by = actor
        link.save(update_fields=["revoked_at", "revoked_by"])
    return link


def share_url(token):
    return settings.SITE_URL + reverse("articles:shared_preview", kwargs={"token": token})


def _render_preview(request, article, *, shared):
    from articles.publishing import freeze_publication

    publication = freeze_publication(
        article, actor=None, published_at=timezone.now(), change_note="Preview.", save=False
    )
    context = {
        "article": article,
        "publication": publication,
        "preview": True,
        "shared": shared,
        "canonical_url": settings.SITE_URL + article.get_absolute_url(),
        "verdict_rows": verdict_rows(publication.evidence_summary),
        "evidence_chart": evidence_chart(publication.annotations),
        "updated": False,
    }
    response = render(request, "articles/preview.html", context)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def preview_article(request, pk):
    """The draft of article `pk`, as it would be published, for the editorial team."""
    if not can_preview(request.user):
        raise Http404("No article here.")
    article = Article.objects.select_related("draft").filter(pk=pk, draft__isnull=False).first()
    if article is None:
        raise Http404("No article here.")
    return _render_preview(request, article, shared=False)


@require_safe
def shared_preview(request, token):
    """The draft behind a valid share link; 404 for a wrong, expired or revoked token."""
    link = (
        ShareLink.objects.valid()
        .select_related("article", "article__draft")
        .filter(token_hash=token_hash(token), article__draft__isnull=False)
        .exclude(article__state=Article.State.ARCHIVED)
        .first()
    )
    if link is None:
        raise Http404("No article here.")
    return _render_preview(request, link.article, shared=True)
