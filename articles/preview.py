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
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from articles.audit import record_event
from articles.evidencechart import evidence_chart
from articles.frozen import verdict_rows
from articles.models import Article, ShareLink
from articles.publishing import freeze_publication
from articles.workflow import InvalidInput, NotAllowed, WrongState

PREVIEW_PERMISSIONS = (
    "articles.submit_article",
    "articles.review_article",
    "articles.publish_article",
)
SHARE_PERMISSIONS = ("articles.review_article", "articles.publish_article")


def can_preview(user: Any) -> bool:
    """True when `user` is an active editor, reviewer or publisher (or a superuser)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and any(user.has_perm(p) for p in PREVIEW_PERMISSIONS)
    )


def can_share(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and any(user.has_perm(p) for p in SHARE_PERMISSIONS)
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_share_link(
    article: Article, *, actor: Any, days: int | None = None, note: str = "",
) -> tuple[ShareLink, str]:
    """Create a share link for `article`; return (link, token). The token is shown only once.

    Writes `share_link_created` to the article's audit log (never the token)."""
    if not can_share(actor):
        raise NotAllowed("Only reviewers and publishers may share a preview.")
    if article.state == Article.State.ARCHIVED or article.draft_id is None:
        raise WrongState("An archived article or one without content cannot be shared.")
    days = settings.KETASITE_SHARE_LINK_DAYS if days is None else days
    if not isinstance(days, int) or not 1 <= days <= 90:
        raise InvalidInput("A share link lasts from 1 to 90 days.", {"days": ["1 to 90."]})
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = ShareLink.objects.create(
            article=article,
            token_hash=token_hash(token),
            note=(note or "")[:200],
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=days),
        )
        record_event(
            article, actor=actor, action="share_link_created",
            comment=f"Share link {link.pk} created, valid until "
            f"{timezone.localtime(link.expires_at):%Y-%m-%d %H:%M}."
            + (f" Note: {link.note}" if link.note else ""),
        )
    return link, token


def revoke_share_link(link: ShareLink, *, actor: Any) -> ShareLink:
    """Revoke `link` now; it answers 404 from then on.

    Writes `share_link_revoked` to the article's audit log; revoking a revoked link changes
    nothing and writes nothing."""
    if not can_share(actor):
        raise NotAllowed("Only reviewers and publishers may revoke a share link.")
    with transaction.atomic():
        locked = ShareLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            record_event(
                Article.objects.get(pk=locked.article_id), actor=actor,
                action="share_link_revoked", comment=f"Share link {locked.pk} revoked.",
            )
        link.revoked_at, link.revoked_by = locked.revoked_at, locked.revoked_by
    return link


def share_url(token: str) -> str:
    return settings.SITE_URL + reverse("articles:shared_preview", kwargs={"token": token})


def _render_preview(request, article, *, shared):
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
