"""The reviewer credit a publication freezes: name, qualifications and profile address."""

from django.conf import settings

from reviewers.models import ReviewerProfile


def display_name(user) -> str:
    """Return the name readers see for a user without a published profile."""
    return user.get_full_name() or user.get_username()


def reviewer_credit(user) -> dict | None:
    """Return the credit of `user` as a page shows it, or None for no reviewer.

    From the published profile when there is one (never the owner's unpublished edits);
    otherwise the user's name alone, with no qualifications and no link.
    """
    if user is None or not getattr(user, "pk", None):
        return None
    profile = ReviewerProfile.objects.published().filter(user=user).first()
    if profile is None:
        return {"id": user.pk, "name": display_name(user), "qualifications": "", "url": None}
    return {
        "id": user.pk,
        "name": profile.published.get("name") or display_name(user),
        "qualifications": profile.published.get("qualifications", ""),
        "url": settings.SITE_URL + profile.get_absolute_url(),
    }
