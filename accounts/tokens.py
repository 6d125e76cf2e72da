"""API tokens: issued at sign-in, valid for KETASITE_TOKEN_DAYS, revoked by their owner, by an
administrator, or by any change of the owner's password.

A user has at most one token (DRF's `Token`); every API client signed in as that user shares
it. A token expires `KETASITE_TOKEN_DAYS` after it was issued, however much it is used: a
leaked token stops working by itself. Signing in again after that issues a new one.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

logger = logging.getLogger("ketasite.accounts")


def token_expires_at(token):
    """Return when `token` stops authenticating."""
    return token.created + timedelta(days=settings.KETASITE_TOKEN_DAYS)


def is_expired(token, *, now=None):
    return (now or timezone.now()) >= token_expires_at(token)


def issue_token(*, user):
    """Return `user`'s token, issuing a new one when there is none or it has expired."""
    with transaction.atomic():
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and not is_expired(token):
            return token
        if token is not None:
            token.delete()
        # get_or_create: a concurrent sign-in may have issued one since the read above.
        token, _ = Token.objects.get_or_create(user=user)
    return token


def revoke_token(*, token, actor, reason):
    """Delete `token`, so that it no longer authenticates."""
    Token.objects.filter(pk=token.pk).delete()
    logger.info("API token of %s revoked by %s: %s", token.user_id, _name(actor), reason)


def revoke_user_tokens(*, user, actor, reason):
    """Delete every API token of `user`; return how many there were."""
    count, _ = Token.objects.filter(user=user).delete()
    if count:
        logger.info("API tokens of %s revoked by %s: %s", user.pk, _name(actor), reason)
    return count


def _name(actor):
    return getattr(actor, "username", None) or "the system"
