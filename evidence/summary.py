"""The evidence summary of an article: counts by verdict and by certainty.

One function, used by the admin, the public site (frozen into each Publication) and the API.
"""

from collections.abc import Iterable
from typing import Any

from evidence.models import Annotation

VERDICT_ORDER = [value for value, _ in Annotation.Verdict.choices]
CERTAINTY_ORDER = [value for value, _ in Annotation.Certainty.choices]
VERDICT_LABELS = dict(Annotation.Verdict.choices)
CERTAINTY_LABELS = dict(Annotation.Certainty.choices)


def _field(annotation, name):
    if isinstance(annotation, dict):
        return annotation.get(name) or ""
    return getattr(annotation, name) or ""


def evidence_summary(annotations: Iterable[Any]) -> dict[str, Any]:
    """Summarise annotations (model instances or dicts with `verdict` and `certainty`).

    Return {"total", "rated", "unrated", "by_verdict", "by_certainty",
    "by_verdict_and_certainty", "text"}; the mappings list every level in scale order, zeros
    included, so clients need no defaults. `by_verdict_and_certainty` counts the rated claims
    ({verdict: {certainty: n}}): the figures of the page's evidence chart.
    """
    by_verdict = dict.fromkeys(VERDICT_ORDER, 0)
    by_certainty = dict.fromkeys(CERTAINTY_ORDER, 0)
    by_both = {verdict: dict.fromkeys(CERTAINTY_ORDER, 0) for verdict in VERDICT_ORDER}
    total = rated = 0
    for annotation in annotations:
        total += 1
        verdict = _field(annotation, "verdict")
        certainty = _field(annotation, "certainty")
        if verdict in by_verdict:
            by_verdict[verdict] += 1
        if certainty in by_certainty:
            by_certainty[certainty] += 1
        if verdict and certainty:
            rated += 1
        if verdict in by_both and certainty in by_certainty:
            by_both[verdict][certainty] += 1
    return {
        "total": total,
        "rated": rated,
        "unrated": total - rated,
        "by_verdict": by_verdict,
        "by_certainty": by_certainty,
        "by_verdict_and_certainty": by_both,
        "text": summary_text(rated, by_verdict),
    }


def summary_text(rated: int, by_verdict: dict[str, int]) -> str:
    """Return e.g. "14 claims rated: 2 supported, 5 mixed, 7 unsupported"."""
    if not rated:
        return "No claims rated yet"
    noun = "claim" if rated == 1 else "claims"
    parts = [
        f"{count} {VERDICT_LABELS[verdict].lower()}"
        for verdict, count in by_verdict.items()
        if count
    ]
    return f"{rated} {noun} rated: " + ", ".join(parts)
