"""How far independent reviewers agree: the dual review agreement report.

For each pair of reviewers and each month (the month the second of the two ratings was made),
over the annotations both of them rated:

- percentage agreement: the share of annotations whose two ratings did not conflict (same
  verdict, certainty at most one GRADE step apart: `dualreview.conflicts`);
- weighted Cohen's kappa on certainty, with linear weights on the ordered scale very low < low
  < moderate < high (a one-step difference counts less than a three-step one);
- Cohen's kappa on verdicts (nominal: every disagreement counts the same);
- the conflicts, and how they were resolved (by the two raters, by the arbiter, or not yet).

Kappa comes from scikit-learn's `cohen_kappa_score`. It is undefined (None here) when both
reviewers used one and the same category throughout: agreement by chance is then certain.
"""

import math
import warnings
from dataclasses import dataclass

from sklearn.metrics import cohen_kappa_score

from evidence.dualreview import CERTAINTY_STEPS, conflicts
from evidence.models import ConsensusRating, ReviewerRating
from evidence.summary import VERDICT_ORDER


@dataclass(frozen=True)
class PairMonth:
    """The agreement of two reviewers over the annotations they both rated in one month."""

    first: str
    second: str
    month: str  # "YYYY-MM"
    rated_together: int
    agreement_percent: float
    certainty_kappa: float | None
    verdict_kappa: float | None
    conflicts: int
    settled_by_raters: int
    settled_by_arbiter: int
    unresolved: int


def _kappa(first, second, **options):
    with warnings.catch_warnings():
        # A constant pair of ratings makes kappa 0/0: reported as undefined, not as a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        value = cohen_kappa_score(first, second, **options)
    return None if math.isnan(value) else round(float(value), 3)


def pair_agreement(pairs) -> dict:
    """Return the figures for `pairs`: [(rating of the first reviewer, of the second)], each
    rating having `verdict` and `certainty`."""
    count = len(pairs)
    in_conflict = sum(1 for a, b in pairs if conflicts(a, b))
    return {
        "rated_together": count,
        "agreement_percent": round(100 * (count - in_conflict) / count, 1) if count else 0.0,
        "certainty_kappa": _kappa(
            [CERTAINTY_STEPS[a.certainty] for a, _ in pairs],
            [CERTAINTY_STEPS[b.certainty] for _, b in pairs],
            labels=sorted(CERTAINTY_STEPS.values()), weights="linear",
        ),
        "verdict_kappa": _kappa(
            [a.verdict for a, _ in pairs], [b.verdict for _, b in pairs], labels=VERDICT_ORDER,
        ),
        "conflicts": in_conflict,
    }


def agreement_report() -> list[PairMonth]:
    """Return one PairMonth per reviewer pair and month, newest month first. Two queries."""
    by_annotation: dict[int, list[ReviewerRating]] = {}
    for rating in ReviewerRating.objects.select_related("reviewer").order_by("created_at", "pk"):
        by_annotation.setdefault(rating.annotation_id, []).append(rating)
    resolutions = dict(ConsensusRating.objects.values_list("annotation_id", "resolution"))
    groups: dict[tuple[str, str, str], list] = {}
    for annotation_id, ratings in by_annotation.items():
        if len(ratings) < 2:
            continue
        # The same order for every annotation of a pair, whoever rated first.
        a, b = sorted(ratings[:2], key=lambda r: r.reviewer.get_username())
        month = max(a.created_at, b.created_at).strftime("%Y-%m")
        key = (a.reviewer.get_username(), b.reviewer.get_username(), month)
        groups.setdefault(key, []).append((a, b, resolutions.get(annotation_id)))
    rows = []
    for (first, second, month), items in groups.items():
        figures = pair_agreement([(a, b) for a, b, _ in items])
        settled = [resolution for a, b, resolution in items if conflicts(a, b)]
        rows.append(PairMonth(
            first=first, second=second, month=month, **figures,
            settled_by_raters=settled.count(ConsensusRating.Resolution.RATERS),
            settled_by_arbiter=settled.count(ConsensusRating.Resolution.ARBITER),
            unresolved=settled.count(None),
        ))
    rows.sort(key=lambda row: (row.month, row.first, row.second))
    rows.sort(key=lambda row: row.month, reverse=True)
    return rows
