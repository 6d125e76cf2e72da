"""Limits on password-reset requests, so the form cannot flood an inbox or be used to probe.

Two fixed-window counts in the cache, each over `KETASITE_RESET_WINDOW_MINUTES`: per address
asked for (`KETASITE_RESET_LIMIT_PER_ADDRESS`, counted whether or not an account has it) and
per client (`KETASITE_RESET_LIMIT_PER_CLIENT`, the address `ketasite.ratelimit` trusts).
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings

from ketasite.ratelimit import client_address, count_request


@dataclass(frozen=True)
class ResetAllowance:
    """What a reset request may do: whether the client is over its limit (and until when),
    and whether a mail may go to the address."""

    client_refused: bool
    retry_after: int
    may_send: bool


def _address_key(email):
    # The address, normalised as the form's lookup (case-insensitive) does, and hashed so
    # that no address is kept in the cache.
    normal = email.strip().lower().encode("utf-8", "surrogateescape")
    return "reset:address:" + hashlib.sha256(normal).hexdigest()


def count_reset_request(request, *, email):
    """Count one reset request for `email` from the request's client; return what it may do.

    A refused client's request does not count against the address.
    """
    seconds = settings.KETASITE_RESET_WINDOW_MINUTES * 60
    now = time.time()
    client = count_request(
        f"reset:client:{client_address(request)}",
        limit=settings.KETASITE_RESET_LIMIT_PER_CLIENT, seconds=seconds, now=now,
    )
    if not client.allowed:
        return ResetAllowance(client_refused=True, retry_after=max(1, client.ends_at - int(now)),
                              may_send=False)
    address = count_request(
        _address_key(email),
        limit=settings.KETASITE_RESET_LIMIT_PER_ADDRESS, seconds=seconds, now=now,
    )
    return ResetAllowance(client_refused=False, retry_after=0, may_send=address.allowed)
