"""The public generation: the token every cached public page is stored under.

The generation is a random token in one database row (`pagecache.PublicGeneration`), which
`purge_public_pages` replaces in the transaction that changes what is public. Each process
keeps the token it last read and reads the row again when its copy is a second old, so a purge
made anywhere (another gunicorn worker, cron's `publish_scheduled`, a shell) is seen by every
process within a second. The write side (publishing, the workflow, restores) calls
`purge_public_pages`; the public page cache (`public.caching`) reads `public_generation`.
"""

import secrets
import time

from django.db import transaction
from django.utils import timezone

from pagecache.models import PublicGeneration

# A process trusts the generation it read for this long (seconds): the longest a purge made
# elsewhere can take to be seen, and why a cache hit needs no query.
GENERATION_MAX_AGE = 1.0


class _KnownGeneration:
    """This process's copy of the generation: the token and when it was read (monotonic)."""

    token = None
    read_at = 0.0


_known = _KnownGeneration()


def _read_generation():
    """Return the generation in the database, creating its row when there is none."""
    token = PublicGeneration.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        token = PublicGeneration.objects.get_or_create(
            pk=1, defaults={"token": secrets.token_hex(8), "changed_at": timezone.now()}
        )[0].token
    return token


def public_generation():
    """Return the current public generation token.

    This process's copy while it is younger than GENERATION_MAX_AGE (no query), else the
    database's, read now. A database error propagates: without the generation, no cached
    page can be known to be current.
    """
    now = time.monotonic()
    token = _known.token
    if token is None or now - _known.read_at >= GENERATION_MAX_AGE:
        token = _read_generation()
        _known.token, _known.read_at = token, now
    return token


def forget_generation():
    """Drop this process's copy of the generation, so the next request reads the database."""
    _known.token = None


def purge_public_pages():
    """Make every cached public page unreachable, in every process, within a second.

    Replaces the generation token in the database. Inside a transaction the new token commits
    (or rolls back) with the change that called for the purge: no process can see the new
    state under the old token for longer than a second, and a crash after the commit cannot
    lose the purge. This process forgets its copy at once and again on commit.
    """
    token = secrets.token_hex(8)
    now = timezone.now()
    if not PublicGeneration.objects.filter(pk=1).update(token=token, changed_at=now):
        PublicGeneration.objects.update_or_create(
            pk=1, defaults={"token": token, "changed_at": now}
        )
    forget_generation()
    transaction.on_commit(forget_generation)
