"""The evidence chart under an article's title: its rated claims by verdict, shaded by
certainty, as one stacked bar.

Pure: computed from a publication's frozen annotations (already in the row), so the chart is
rendered into the frozen page at publish and costs no query. The template
(`articles/_evidence_chart.html`) draws it as inline SVG, coloured and shaded by classes from
the stylesheet (the CSP allows no inline style), with a list beside it that says the same in
words and links each segment to the first claim of its kind on the page.
"""

from articles.rendering import CERTAINTY_ICONS, VERDICT_ICONS
from evidence.summary import CERTAINTY_LABELS, CERTAINTY_ORDER, VERDICT_LABELS, VERDICT_ORDER

CHART_WIDTH = 600
CHART_HEIGHT = 28


def evidence_chart(annotations: list[dict]) -> dict | None:
    """Return the chart of the rated claims among `annotations` (frozen dicts in reading
    order), or None when none is rated.

    {"width", "height", "rated", "segments": [{"verdict", "certainty", "count", "x", "width",
    "first", "label"}], "verdicts": [{"verdict", "label", "icon", "count", "first",
    "parts": [segment...]}]}: `first` is the id of the first claim of that kind on the page
    (its mark is `#claim-<id>`).
    """
    counts: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], int] = {}
    first_of_verdict: dict[str, int] = {}
    for annotation in annotations:
        key = (annotation.get("verdict") or "", annotation.get("certainty") or "")
        if key[0] not in VERDICT_LABELS or key[1] not in CERTAINTY_LABELS:
            continue
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, annotation["id"])
        first_of_verdict.setdefault(key[0], annotation["id"])
    rated = sum(counts.values())
    if not rated:
        return None
    segments, verdicts = [], []
    x = 0.0
    for verdict in VERDICT_ORDER:
        parts = []
        for certainty in CERTAINTY_ORDER:
            count = counts.get((verdict, certainty), 0)
            if not count:
                continue
            width = CHART_WIDTH * count / rated
            certainty_text = CERTAINTY_LABELS[certainty].lower()
            noun = "claim" if count == 1 else "claims"
            segment = {
                "verdict": verdict,
                "certainty": certainty,
                "count": count,
                "x": round(x, 2),
                "width": round(width, 2),
                "first": first[(verdict, certainty)],
                "certainty_label": certainty_text,
                "certainty_icon": CERTAINTY_ICONS[certainty],
                "label": f"{count} {VERDICT_LABELS[verdict].lower()} {noun}, "
                         f"{certainty_text} certainty",
            }
            x += width
            parts.append(segment)
            segments.append(segment)
        if parts:
            verdicts.append({
                "verdict": verdict,
                "label": VERDICT_LABELS[verdict],
                "icon": VERDICT_ICONS[verdict],
                "count": sum(part["count"] for part in parts),
                "first": first_of_verdict[verdict],
                "parts": parts,
            })
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "rated": rated,
        "segments": segments,
        "verdicts": verdicts,
    }
