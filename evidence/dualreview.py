"""Dual review: two independent, blind ratings of each annotation, and a recorded consensus.

An article needs dual review when its own `DualReviewPolicy` says so, or, without one, when a
tag of it has a policy that requires it. Then:

- each reviewer assigned to the article (`ReviewAssignment`) rates every open annotation once,
  through `rate_independently`; a second rating by the same reviewer, or a rating by anyone
  not assigned, is refused (403). The annotation's own certainty and verdict cannot be set
  directly (409): they are what the two ratings settle to;
- a rating stays hidden from everyone but its author until both ratings exist (blind);
- the two ratings conflict when the verdicts differ or the certainties are more than one
  GRADE step apart. Without a conflict the annotation takes the shared verdict and the lower
  certainty (the cautious reading); with one, one of the two raters or the article's arbiter
  records a `ConsensusRating` with a note, which the annotation then publishes;
- `dual_review_gate` lists every annotation that still lacks a rating or a needed consensus;
  `articles.workflow.approve_gate` includes it, so approval and publication refuse until then.

Both original ratings are kept unchanged. Nothing is written on a refusal.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evidence.annotations import (
    AnnotationError,
    AnnotationNotAllowed,
    _check_article,
    _clean_choice,
    _clean_note,
    _content_changed,
    _lock_article,
    _short,
    can_review,
)
from evidence.models import (
    Annotation,
    ConsensusRating,
    DualReviewPolicy,
    RatingChange,
    ReviewerRating,
)
from ketasite.sanitize import render_markdown

# GRADE certainty as an ordered scale: a difference of more than one step is a conflict.
CERTAINTY_STEPS = {"very_low": 0, "low": 1, "moderate": 2, "high": 3}
REQUIRED_RATINGS = 2


class RatingsMissing(AnnotationNotAllowed):
    """A consensus was asked for before both independent ratings exist (409).

    `missing` names each reviewer whose rating is still missing.
    """

    code = "ratings_missing"

    def __init__(self, message, *, missing):
        self.missing = list(missing)
        super().__init__(message, http_status=409)


# Reads ----------------------------------------------------------------------------------------


def dual_review_required(article) -> bool:
    """True when `article` needs two independent ratings: its own rule, else any tag's."""
    return DualReviewPolicy.objects.requires_two_ratings(article)


def arbiter_id(article) -> int | None:
    """The id of the article's named arbiter (its own rule's), or None."""
    return DualReviewPolicy.objects.filter(article_id=article.pk).values_list(
        "arbiter_id", flat=True
    ).first()


def assigned_reviewer_ids(article) -> set[int]:
    return set(article.review_assignments.values_list("reviewer_id", flat=True))


def conflicts(first, second) -> bool:
    """True when two ratings disagree on the verdict, or on certainty by more than one step."""
    if first.verdict != second.verdict:
        return True
    return abs(CERTAINTY_STEPS[first.certainty] - CERTAINTY_STEPS[second.certainty]) > 1


def _reviewer_name(user):
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class DualState:
    """Where one annotation stands in dual review, as `viewer` may see it.

    `ratings` holds only what the viewer may see: their own rating until both exist (blind),
    then both. `rated_by_viewer` and `count` are always true facts.
    """

    annotation_id: int
    count: int
    rater_ids: frozenset
    ratings: tuple
    rated_by_viewer: bool
    both_rated: bool
    in_conflict: bool
    consensus: ConsensusRating | None

    @property
    def needs_consensus(self):
        return self.in_conflict and self.consensus is None


def dual_states(annotations, *, viewer) -> dict[int, DualState]:
    """Return {annotation id: DualState} for `annotations`, blind for `viewer`. Two queries."""
    ids = [a.pk for a in annotations]
    by_annotation: dict[int, list[ReviewerRating]] = {pk: [] for pk in ids}
    for rating in ReviewerRating.objects.filter(annotation_id__in=ids).select_related(
        "reviewer"
    ).order_by("created_at", "pk"):
        by_annotation[rating.annotation_id].append(rating)
    consensus = {
        c.annotation_id: c
        for c in ConsensusRating.objects.filter(annotation_id__in=ids).select_related(
            "settled_by"
        )
    }
    viewer_id = getattr(viewer, "pk", None)
    states = {}
    for pk, ratings in by_annotation.items():
        both = len(ratings) >= REQUIRED_RATINGS
        shown = ratings if both else [r for r in ratings if r.reviewer_id == viewer_id]
        states[pk] = DualState(
            annotation_id=pk,
            count=len(ratings),
            rater_ids=frozenset(r.reviewer_id for r in ratings),
            ratings=tuple(shown),
            rated_by_viewer=any(r.reviewer_id == viewer_id for r in ratings),
            both_rated=both,
            in_conflict=both and conflicts(ratings[0], ratings[1]),
            consensus=consensus.get(pk),
        )
    return states


def rating_item(rating) -> dict:
    """One independent rating as the editorial API and the annotator show it."""
    return {
        "id": rating.pk,
        "reviewer": rating.reviewer.get_username(),
        "reviewer_name": _reviewer_name(rating.reviewer),
        "certainty": rating.certainty,
        "verdict": rating.verdict,
        "note": rating.note,
        "note_html": rating.note_html,
        "created_at": rating.created_at.isoformat(),
    }


def consensus_item(consensus) -> dict | None:
    if consensus is None:
        return None
    return {
        "certainty": consensus.certainty,
        "verdict": consensus.verdict,
        "note": consensus.note,
        "note_html": consensus.note_html,
        "resolution": consensus.resolution,
        "settled_by": consensus.settled_by.get_username(),
        "created_at": consensus.created_at.isoformat(),
    }


def dual_review_item(state: DualState) -> dict:
    """The `dual_review` part of an editorial annotation: blind until both have rated."""
    return {
        "ratings_count": state.count,
        "ratings_required": REQUIRED_RATINGS,
        "rated_by_you": state.rated_by_viewer,
        "ratings": [rating_item(r) for r in state.ratings],
        "in_conflict": state.in_conflict,
        "consensus": consensus_item(state.consensus),
    }


def dual_review_gate(article) -> list[str]:
    """Return one line for each open draft annotation still lacking a rating or a consensus.

    Empty when the article does not need dual review.
    """
    if article.draft_id is None or not dual_review_required(article):
        return []
    reviewers = {
        a.reviewer_id: a.reviewer for a in article.review_assignments.select_related("reviewer")
    }
    annotations = list(
        Annotation.objects.filter(revision_id=article.draft_id, status=Annotation.Status.OPEN)
        .order_by("pk")
    )
    states = dual_states(annotations, viewer=None)
    failures = []
    for annotation in annotations:
        state = states[annotation.pk]
        quote = f"“{annotation.exact[:60]}”"
        if state.count < REQUIRED_RATINGS:
            waiting = sorted(
                reviewer.get_username() for pk, reviewer in reviewers.items()
                if pk not in state.rater_ids
            )
            who = f" (waiting for {', '.join(waiting)})" if waiting else ""
            missing = REQUIRED_RATINGS - state.count
            noun = "rating" if missing == 1 else "ratings"
            failures.append(
                f"annotation {annotation.pk} {quote} lacks {missing} independent {noun}{who}"
            )
        elif state.needs_consensus:
            failures.append(
                f"record the consensus for annotation {annotation.pk} {quote}: its two "
                "ratings conflict"
            )
    return failures


def publishes_two_ratings(annotation_ids) -> set[int]:
    """Return the ids among `annotation_ids` whose rating rests on two independent ratings."""
    rows = (
        ReviewerRating.objects.filter(annotation_id__in=annotation_ids)
        .values_list("annotation_id", flat=True)
    )
    counts: dict[int, int] = {}
    for pk in rows:
        counts[pk] = counts.get(pk, 0) + 1
    return {pk for pk, count in counts.items() if count >= REQUIRED_RATINGS}


# Writes ---------------------------------------------------------------------------------------


def _clean_rating(certainty, verdict, note, *, note_required=False):
    errors = {}
    certainty = _clean_choice(certainty, Annotation.Certainty, "certainty", errors)
    verdict = _clean_choice(verdict, Annotation.Verdict, "verdict", errors)
    note = _clean_note(note, errors)
    if not certainty and "certainty" not in errors:
        errors["certainty"] = ["Choose a certainty."]
    if not verdict and "verdict" not in errors:
        errors["verdict"] = ["Choose a verdict."]
    if note_required and not note.strip() and "note" not in errors:
        errors["note"] = ["Say why this is the agreed rating."]
    if errors:
        raise AnnotationError(errors)
    return certainty, verdict, note


def _lock_for_rating(annotation):
    article = _lock_article(annotation.article_id)
    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    _check_article(article, current)
    if not dual_review_required(article):
        raise AnnotationNotAllowed(
            "This article does not need two independent ratings; rate the annotation itself.",
            http_status=409,
        )
    if current.status != Annotation.Status.OPEN:
        raise AnnotationNotAllowed(
            f"This annotation is {current.get_status_display().lower()}; only open ones are "
            "rated.",
            http_status=409,
        )
    return article, current


def _publish_rating(article, current, *, actor, certainty, verdict, note=None, reason):
    """Give the annotation its settled rating (version moves on, history recorded)."""
    values = {"certainty": certainty, "verdict": verdict}
    if note is not None:
        values["note"] = note
        values["note_html"] = render_markdown(note)
    changed = {k: v for k, v in values.items() if getattr(current, k) != v}
    if not changed:
        return
    Annotation.objects.filter(pk=current.pk).update(
        **changed, version=F("version") + 1, modified_at=timezone.now()
    )
    RatingChange.objects.bulk_create(
        RatingChange(annotation=current, actor=actor, field=name,
                     old_value=getattr(current, name), new_value=changed[name])
        for name in ("certainty", "verdict", "note") if name in changed
    )
    _content_changed(article, actor=actor, reason=reason)


def rate_independently(annotation, *, actor, certainty, verdict, note="") -> ReviewerRating:
    """Record `actor`'s own rating of `annotation` in dual review and return it.

    Only reviewers assigned to the article, once each (403 otherwise). When this is the
    second rating and the two do not conflict, the annotation takes the shared verdict and
    the lower certainty; when they conflict it stays unrated until a consensus.
    """
    if not can_review(actor):
        raise AnnotationNotAllowed("Only reviewers may rate annotations.")
    certainty, verdict, note = _clean_rating(certainty, verdict, note)
    with transaction.atomic():
        article, current = _lock_for_rating(annotation)
        if actor.pk not in assigned_reviewer_ids(article):
            raise AnnotationNotAllowed(
                "Only the reviewers assigned to this article may rate its annotations "
                "independently."
            )
        existing = list(
            ReviewerRating.objects.filter(annotation=current).select_related("reviewer")
        )
        if any(r.reviewer_id == actor.pk for r in existing):
            raise AnnotationNotAllowed(
                "You have already rated this annotation; each reviewer rates it once. "
                "Settle a change through the consensus."
            )
        if len(existing) >= REQUIRED_RATINGS:
            raise AnnotationNotAllowed(
                "This annotation already has its two independent ratings.", http_status=409
            )
        rating = ReviewerRating.objects.create(
            annotation=current, reviewer=actor, certainty=certainty, verdict=verdict,
            note=note, note_html=render_markdown(note),
        )
        if existing:
            other = existing[0]
            if not conflicts(other, rating):
                lower = min(
                    (other.certainty, rating.certainty), key=CERTAINTY_STEPS.__getitem__
                )
                _publish_rating(
                    article, current, actor=actor, certainty=lower, verdict=verdict,
                    reason=f"annotation “{_short(current.exact)}” rated by two reviewers",
                )
    return rating


def record_consensus(annotation, *, actor, certainty, verdict, note) -> ConsensusRating:
    """Record the agreed rating of an annotation whose two ratings exist, and publish it.

    One of the two raters or the article's arbiter may (403 otherwise). Refused with 409,
    naming who has not rated yet, before both ratings exist, and once a consensus exists.
    The two original ratings are left as they are.
    """
    if not can_review(actor):
        raise AnnotationNotAllowed("Only reviewers may record a consensus.")
    certainty, verdict, note = _clean_rating(certainty, verdict, note, note_required=True)
    with transaction.atomic():
        article, current = _lock_for_rating(annotation)
        ratings = list(
            ReviewerRating.objects.filter(annotation=current).select_related("reviewer")
        )
        raters = {r.reviewer_id for r in ratings}
        arbiter = arbiter_id(article)
        may_settle = actor.pk in raters or actor.pk == arbiter or (
            # Before both have rated, an assigned reviewer is told what is missing (409).
            len(ratings) < REQUIRED_RATINGS and actor.pk in assigned_reviewer_ids(article)
        )
        if not may_settle:
            raise AnnotationNotAllowed(
                "Only the two reviewers who rated this annotation, or the article's "
                "arbiter, may record its consensus."
            )
        if len(ratings) < REQUIRED_RATINGS:
            assigned = article.review_assignments.select_related("reviewer").order_by("pk")
            missing = [
                a.reviewer.get_username() for a in assigned if a.reviewer_id not in raters
            ]
            count = REQUIRED_RATINGS - len(ratings)
            noun = "rating is" if count == 1 else "ratings are"
            who = f": waiting for {', '.join(missing)}" if missing else ""
            raise RatingsMissing(
                f"A consensus needs both independent ratings first; {count} {noun} "
                f"missing{who}.",
                missing=missing,
            )
        if ConsensusRating.objects.filter(annotation=current).exists():
            raise AnnotationNotAllowed(
                "A consensus has already been recorded for this annotation.", http_status=409
            )
        consensus = ConsensusRating.objects.create(
            annotation=current, certainty=certainty, verdict=verdict, note=note,
            note_html=render_markdown(note),
            resolution=(
                ConsensusRating.Resolution.RATERS if actor.pk in raters
                else ConsensusRating.Resolution.ARBITER
            ),
            settled_by=actor,
        )
        _publish_rating(
            article, current, actor=actor, certainty=certainty, verdict=verdict, note=note,
            reason=f"consensus recorded for annotation “{_short(current.exact)}”",
        )
    return consensus


CONFLICTS_SHOWN = 20


def open_conflicts(*, limit: int = CONFLICTS_SHOWN) -> list[dict]:
    """Return the draft annotations whose two ratings conflict and wait for a consensus, newest
    first: [{"annotation", "article", "ratings": (first, second)}]. Both ratings exist, so
    nothing blind is shown. Three queries."""
    candidates = (
        Annotation.objects.filter(
            status=Annotation.Status.OPEN, consensus__isnull=True,
            revision_id=F("article__draft_id"),
        )
        .filter(reviewer_ratings__isnull=False)
        .select_related("article__draft")
        .distinct()
        .order_by("-modified_at", "-pk")
    )
    annotations = list(candidates[: limit * 5])
    states = dual_states(annotations, viewer=None)
    ratings = {
        pk: list(rows) for pk, rows in _both_ratings([a.pk for a in annotations]).items()
    }
    rows = []
    for annotation in annotations:
        if states[annotation.pk].needs_consensus:
            rows.append({"annotation": annotation, "article": annotation.article,
                         "ratings": ratings[annotation.pk][:REQUIRED_RATINGS]})
        if len(rows) == limit:
            break
    return rows


def _both_ratings(annotation_ids):
    by_annotation: dict[int, list[ReviewerRating]] = {}
    for rating in ReviewerRating.objects.filter(annotation_id__in=annotation_ids).select_related(
        "reviewer"
    ).order_by("created_at", "pk"):
        by_annotation.setdefault(rating.annotation_id, []).append(rating)
    return by_annotation
