"""What the claim registry adds to the workflow's approve gate.

Kept apart from `claims.services` so the workflow can ask it without importing the services
(which call the workflow).
"""

from claims.models import ClaimLink
from evidence.models import Annotation


def unconfirmed_link_failures(revision) -> list[str]:
    """Return an approval failure for each open annotation of `revision` whose claim link no
    reviewer has confirmed for the claim's current rating (the workflow's approve gate)."""
    links = (
        ClaimLink.objects.filter(
            annotation__revision=revision, annotation__status=Annotation.Status.OPEN
        )
        .select_related("annotation", "claim")
        .order_by("annotation_id")
    )
    failures = []
    for link in links:
        if link.confirmed_at is None or link.confirmed_version != link.claim.version:
            failures.append(
                f"confirm the claim link of annotation {link.annotation_id} "
                f"“{link.annotation.exact[:60]}” (a reviewer accepts claim {link.claim_id}'s "
                "rating or rates the passage differently with a note)"
            )
    return failures
