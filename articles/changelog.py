"""What changed between two publications, claim by claim, and each claim's public history.

A "claim" here is a rated annotation of a publication, named by its registry claim's statement
when it is linked to one (claims/), else by its quote. The lines are computed from the two
publications' frozen annotations (never typed, never read from a draft): an annotation keeps
its id when it is carried forward to a new revision, so the same id in two publications is
the same claim. The editor's own line ("Added a 2026 trial.") is the publication's
`change_note`, required when republishing (`articles.workflow.publish`).
"""

from evidence.summary import CERTAINTY_LABELS, VERDICT_LABELS

CLAIM_LABEL_CHARS = 80
CHANGE_NOTE_MAX_CHARS = 500


def _is_rated(annotation: dict) -> bool:
    return bool(annotation.get("verdict") and annotation.get("certainty"))


def rating_label(verdict: str, certainty: str) -> str:
    """Return e.g. "Mixed/low" for a verdict and a certainty."""
    certainty_text = CERTAINTY_LABELS.get(certainty, certainty).lower()
    return f"{VERDICT_LABELS.get(verdict, verdict)}/{certainty_text}"


def claim_label(annotation: dict) -> str:
    """The words readers know the claim by, shortened: the registry claim's statement when
    the passage is linked to one (publishing freezes it in the annotation's `claim`, for a
    link a reviewer confirmed), else the passage's quote."""
    linked = annotation.get("claim")
    statement = linked.get("statement") if isinstance(linked, dict) else ""
    text = " ".join(str(statement or annotation.get("exact", "")).split())
    if len(text) > CLAIM_LABEL_CHARS:
        text = text[: CLAIM_LABEL_CHARS - 1].rstrip() + "…"
    return text


def claim_changes(previous: list[dict], current: list[dict]) -> list[dict]:
    """Return what changed in the rated claims from `previous` to `current` (frozen
    annotations), in the current reading order, then the removed ones in their old order.

    Each item: {"kind": "changed"|"added"|"removed", "annotation", "claim", "from", "to",
    "text"}, `from`/`to` being "Verdict/certainty" labels ("" where there is none).
    """
    before = {a["id"]: a for a in previous if _is_rated(a)}
    after = {a["id"]: a for a in current if _is_rated(a)}
    lines = []
    for annotation in current:
        pk = annotation["id"]
        if pk not in after:
            continue
        claim = claim_label(annotation)
        now = rating_label(annotation["verdict"], annotation["certainty"])
        old = before.get(pk)
        if old is None:
            lines.append({"kind": "added", "annotation": pk, "claim": claim, "from": "",
                          "to": now, "text": f"Claim “{claim}”: claim added ({now})"})
            continue
        was = rating_label(old["verdict"], old["certainty"])
        if was != now:
            lines.append({
                "kind": "changed", "annotation": pk, "claim": claim, "from": was, "to": now,
                "text": f"Claim “{claim}”: rating changed from {was} to {now}",
            })
    for annotation in previous:
        pk = annotation["id"]
        if pk in before and pk not in after:
            claim = claim_label(annotation)
            was = rating_label(annotation["verdict"], annotation["certainty"])
            lines.append({"kind": "removed", "annotation": pk, "claim": claim, "from": was,
                          "to": "", "text": f"Claim “{claim}”: claim removed"})
    return lines


def changelog_entry(*, number: int, date: str, note: str, previous_annotations: list[dict],
                    annotations: list[dict]) -> dict:
    """One publication's changelog line: the editor's note and the computed claim lines."""
    claims = claim_changes(previous_annotations, annotations) if number > 1 else []
    return {
        "number": number,
        "date": date,
        "note": note,
        "claims": claims,
        "rating_changed": any(line["kind"] == "changed" for line in claims),
    }


def claim_history(publications, annotation_id: int) -> list[dict]:
    """Return the public rating history of one claim across `publications` (oldest first):
    one row per publication that showed it rated with a different rating from the row
    before, {"number", "date", "verdict", "certainty", "label", "reviewed_by"}.

    `publications` are rows with `number`, `published_at`, `annotations`, `reviewed_by`:
    frozen at publish, so the history never shows a draft's rating.
    """
    rows = []
    for publication in sorted(publications, key=lambda p: p.number):
        frozen = next((a for a in publication.annotations if a.get("id") == annotation_id),
                      None)
        if frozen is None or not _is_rated(frozen):
            continue
        label = rating_label(frozen["verdict"], frozen["certainty"])
        if rows and rows[-1]["label"] == label:
            continue
        rows.append({
            "number": publication.number,
            "date": publication.published_at,
            "verdict": frozen["verdict"],
            "certainty": frozen["certainty"],
            "label": label,
            "claim": claim_label(frozen),
            "reviewed_by": list(publication.reviewed_by or ()),
        })
    return rows
