"""Reviewer profiles: edited by their owner, submitted, published by a publisher.

Rules:
- Only the owner (the profile's user, a reviewer) edits and submits it; a superuser may too.
- Submitting needs a name and a declared conflicts-of-interest statement (even "None"); a
  profile without one is refused (InvalidInput, 400) and nothing is written.
- Only publishers publish or withdraw a profile. Publishing freezes the public fields into
  `ReviewerProfile.published`: the public sees nothing of a profile until then, and an
  owner's later edits only when it is published again.
- Publishing or withdrawing a profile re-renders the live pages that credit its reviewer
  (their credit gains or loses the name, qualifications and link) and purges the cache.
Each change writes nothing else and raises the workflow's errors (`articles.workflow`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from articles import workflow
from articles.models import Publication
from articles.permissions import PERM_PUBLISH, has_permission
from articles.publishing import rerender_publication
from pagecache.generation import purge_public_pages
from reviewers.credits import reviewer_credit
from reviewers.models import PUBLIC_FIELDS, EditorialPolicy, ReviewerProfile


def is_owner(profile: ReviewerProfile, user) -> bool:
    return bool(user and user.is_active and (user.pk == profile.user_id or user.is_superuser))


def can_publish(user) -> bool:
    return has_permission(user, PERM_PUBLISH)


def submit_gate(profile: ReviewerProfile) -> dict:
    """Return the field errors that keep `profile` from being submitted (empty: none)."""
    errors = {}
    if not profile.name.strip():
        errors["name"] = ["Give the name readers should see."]
    if not profile.conflicts_of_interest.strip():
        errors["conflicts_of_interest"] = [
            "Declare any conflicts of interest; write “None” if there are none."
        ]
    return errors


def submit_profile(profile: ReviewerProfile, *, actor) -> ReviewerProfile:
    """Submit the owner's profile for a publisher to publish."""
    if not is_owner(profile, actor):
        raise workflow.NotAllowed("Only the profile's owner may submit it.")
    errors = submit_gate(profile)
    if errors:
        raise workflow.InvalidInput(
            "The profile cannot be submitted: "
            + " ".join(message for messages in errors.values() for message in messages),
            errors,
        )
    profile.submitted_at = timezone.now()
    profile.save(update_fields=["submitted_at", "updated_at"])
    return profile


def publish_profile(profile: ReviewerProfile, *, actor) -> ReviewerProfile:
    """Publish the profile as it stands now (it must have been submitted)."""
    if not can_publish(actor):
        raise workflow.NotAllowed("Only publishers may publish a reviewer profile.")
    if profile.submitted_at is None:
        raise workflow.WrongState("Cannot publish a profile its owner has not submitted.")
    errors = submit_gate(profile)
    if errors:
        raise workflow.InvalidInput("The profile is incomplete.", errors)
    with transaction.atomic():
        locked = ReviewerProfile.objects.select_for_update().get(pk=profile.pk)
        if ReviewerProfile.objects.filter(public_slug=locked.slug).exclude(pk=locked.pk).exists():
            raise workflow.InvalidInput(
                f"/reviewers/{locked.slug}/ is another reviewer's page; choose another slug.",
                {"slug": ["Another published profile has this address."]},
            )
        locked.published = {name: getattr(locked, name) for name in PUBLIC_FIELDS}
        locked.public_slug = locked.slug
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.submitted_at = None
        locked.save(update_fields=[
            "published", "public_slug", "published_at", "published_by", "submitted_at",
            "updated_at",
        ])
        refresh_credits(locked.user)
    return locked


def withdraw_profile(profile: ReviewerProfile, *, actor) -> ReviewerProfile:
    """Take the profile off the public site (its pages answer 404, credits lose the link)."""
    if not can_publish(actor):
        raise workflow.NotAllowed("Only publishers may withdraw a reviewer profile.")
    with transaction.atomic():
        locked = ReviewerProfile.objects.select_for_update().get(pk=profile.pk)
        if not locked.is_published:
            raise workflow.WrongState("The profile is not published.")
        locked.published = {}
        locked.public_slug = ""
        locked.published_at = None
        locked.save(update_fields=["published", "public_slug", "published_at", "updated_at"])
        refresh_credits(locked.user)
    return locked


def refresh_credits(user) -> int:
    """Re-render the live pages that credit `user` with the credit their profile gives now.

    Only the credit changes (the content and ratings are the ones frozen at publish).
    Purges the public cache, also for the profile pages and the sitemap. Returns how many
    pages were re-rendered.
    """
    credit = reviewer_credit(user)
    count = 0
    for publication in Publication.objects.live().filter(reviewer=user).order_by("pk"):
        publication.trust = dict(publication.trust or {}, reviewer=credit)
        publication.save(update_fields=["trust"])
        rerender_publication(publication)
        count += 1
    purge_public_pages()
    return count


def current_policy() -> EditorialPolicy | None:
    return EditorialPolicy.objects.order_by("pk").first()
