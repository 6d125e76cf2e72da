"""Who may do what with the claim registry, as `articles/workflow.py` says it for articles.

One `check_<action>(user, ...)` per rule raises `ClaimNotAllowed`: first for the role or a
personal rule (403), then for the state of what it acts on (409); `can_<action>(user, ...)`
asks it and answers a bool. The services (`claims/services.py`) call the checks, on the rows
they locked; the API, the admin and the annotator ask the `can_` functions only to decide what
to offer, and the service refuses whatever slips through.

- view claims (the editorial list and the admin): whoever may see articles;
- register a claim: whoever may annotate (editors and reviewers);
- link or unlink an annotation: whoever may edit that annotation (editors and reviewers), on
  the draft of an article that is not archived;
- rate a claim, confirm a link, merge and split: reviewers;
- publish a claim page (or take it down): publishers, for a rated claim.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from articles.models import Article
from articles.permissions import PERM_PUBLISH, has_permission, is_reviewer
from claims.models import Claim
from evidence.annotations import can_annotate
from evidence.models import Annotation
from ketasite.errors import Refusal

PERM_VIEW = "articles.view_article"


class ClaimNotAllowed(Refusal, PermissionError):
    """The actor may not do this (403), or the state does not allow it (409)."""

    code = "not_allowed"
    http_status = 403


def _passes(check: Callable[..., None], *args: Any) -> bool:
    try:
        check(*args)
    except ClaimNotAllowed:
        return False
    return True


def _wrong_state(message: str, code: str) -> ClaimNotAllowed:
    return ClaimNotAllowed(message, http_status=409, code=code)


def _require_current(claim: Claim | None, verb: str) -> None:
    if claim is not None and claim.merged_into_id is not None:
        raise _wrong_state(
            f"Claim {claim.pk} was merged into claim {claim.merged_into_id}; {verb} that one.",
            "merged",
        )


# Checks ---------------------------------------------------------------------------------------


def check_view_claims(user: Any) -> None:
    if not has_permission(user, PERM_VIEW):
        raise ClaimNotAllowed("Only the editorial team may see the claim registry.")


def check_create_claim(user: Any) -> None:
    if not can_annotate(user):
        raise ClaimNotAllowed("Only editors and reviewers may register claims.")


def check_link_annotation(user: Any, annotation: Annotation | None = None,
                          claim: Claim | None = None, *, verb: str = "link") -> None:
    """Whoever may edit the annotation links it (or unlinks it, `verb`), on the draft of an
    article that is not archived, to a claim that is not merged into another."""
    if not can_annotate(user):
        raise ClaimNotAllowed(f"You may not edit this annotation, so you may not {verb} it.")
    if annotation is not None:
        article = annotation.article
        if article.state == Article.State.ARCHIVED:
            raise _wrong_state(
                "The article is archived; restore it before changing its annotations.",
                "wrong_state",
            )
        if (annotation.revision_id != article.draft_id
                or annotation.status == Annotation.Status.ORPHANED):
            raise _wrong_state(
                "Only an annotation placed on the article's draft can be linked to a claim.",
                "wrong_state",
            )
    _require_current(claim, "link")


def check_unlink_annotation(user: Any, annotation: Annotation | None = None) -> None:
    check_link_annotation(user, annotation, verb="unlink")


def check_confirm_link(user: Any, annotation: Annotation | None = None) -> None:
    """Reviewers confirm (or rate differently) a linked passage on the draft."""
    if not is_reviewer(user):
        raise ClaimNotAllowed("Only reviewers may confirm a claim's rating for a passage.")
    if annotation is not None:
        check_link_annotation(user, annotation, verb="confirm")


def check_rate_claim(user: Any, claim: Claim | None = None) -> None:
    if not is_reviewer(user):
        raise ClaimNotAllowed("Only reviewers may rate claims.")
    _require_current(claim, "rate")


def check_publish_claim(user: Any, claim: Claim | None = None) -> None:
    """Publishers publish the page of a rated claim that is not merged into another."""
    if not has_permission(user, PERM_PUBLISH):
        raise ClaimNotAllowed("Only publishers may publish a claim page.")
    _require_current(claim, "publish")
    if claim is not None and not claim.is_rated:
        raise _wrong_state("Rate the claim before publishing its page.", "not_rated")


def check_unpublish_claim(user: Any, claim: Claim | None = None) -> None:
    if not has_permission(user, PERM_PUBLISH):
        raise ClaimNotAllowed("Only publishers may take a claim page down.")


def check_merge_claims(user: Any, source: Claim | None = None,
                       target: Claim | None = None) -> None:
    """Reviewers merge a claim into another claim that is not merged itself."""
    if not is_reviewer(user):
        raise ClaimNotAllowed("Only reviewers may merge or split claims.")
    if source is None or target is None:
        return
    if source.pk == target.pk:
        raise _wrong_state(f"Claim {source.pk} cannot be merged into itself.",
                           "merge_into_itself")
    if source.merged_into_id is not None:
        raise _wrong_state(
            f"Claim {source.pk} is already merged into claim {source.merged_into_id}.", "merged"
        )
    if target.merged_into_id is not None:
        raise _wrong_state(
            f"Claim {target.pk} is merged into claim {target.merged_into_id}; merge into that "
            "one.", "merged",
        )


def check_split_claim(user: Any, claim: Claim | None = None) -> None:
    if not is_reviewer(user):
        raise ClaimNotAllowed("Only reviewers may merge or split claims.")
    if claim is not None and claim.merged_into_id is None:
        raise _wrong_state(
            f"Claim {claim.pk} is not merged into another; there is nothing to split.",
            "not_merged",
        )


# Questions --------------------------------------------------------------------------------


def can_view_claims(user: Any) -> bool:
    return _passes(check_view_claims, user)


def can_create_claim(user: Any) -> bool:
    return _passes(check_create_claim, user)


def can_link_annotation(user: Any, annotation: Annotation | None = None) -> bool:
    return _passes(check_link_annotation, user, annotation)


def can_unlink_annotation(user: Any, annotation: Annotation | None = None) -> bool:
    return _passes(check_unlink_annotation, user, annotation)


def can_confirm_link(user: Any, annotation: Annotation | None = None) -> bool:
    return _passes(check_confirm_link, user, annotation)


def can_rate_claim(user: Any, claim: Claim | None = None) -> bool:
    return _passes(check_rate_claim, user, claim)


def can_publish_claim(user: Any, claim: Claim | None = None) -> bool:
    return _passes(check_publish_claim, user, claim)


def can_unpublish_claim(user: Any, claim: Claim | None = None) -> bool:
    return _passes(check_unpublish_claim, user, claim)


def can_merge_claims(user: Any, source: Claim | None = None, target: Claim | None = None
                     ) -> bool:
    return _passes(check_merge_claims, user, source, target)


def can_split_claim(user: Any, claim: Claim | None = None) -> bool:
    return _passes(check_split_claim, user, claim)
