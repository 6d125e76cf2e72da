"""A readable word diff between two revisions, block by block.

Blocks are matched by their stable ids (falling back to their order for blocks without a
counterpart), so a moved or edited paragraph reads as one changed block, not a wall of HTML.
Inside a changed block the words are compared with difflib; the result is escaped HTML with
`<ins>` and `<del>` around what was added and removed.
"""

import difflib
import re
from typing import Any

from django.utils.html import escape

from articles.blocks import block_text
from articles.models import Revision

WORD = re.compile(r"\s+|[^\s]+")


def _tokens(text):
    return WORD.findall(text or "")


def word_diff_html(old: str, new: str) -> str:
    """Return escaped HTML of `new` with deletions from `old` in <del> and additions in <ins>."""
    old_tokens, new_tokens = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    parts = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(old_tokens[a1:a2])))
            continue
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(old_tokens[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(new_tokens[b1:b2]))}</ins>")
    return "".join(parts)


def _describe(block):
    kind = block.get("type", "paragraph")
    if kind == "heading":
        return f"heading {block.get('level', 2)}"
    return kind


def diff_fields(old, new, label):
    """Return one entry comparing two plain strings (title, summary)."""
    status = "same" if old == new else "changed"
    html = escape(new) if status == "same" else word_diff_html(old, new)
    return {"id": label, "type": label, "status": status, "html": html}


def diff_blocks(
    old_blocks: list[dict[str, Any]], new_blocks: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Return the per-block diff: a list of {id, type, status, html}, in the new order,
    with removed blocks placed where they were. `status` is same, changed, added or removed.
    """
    old_by_id = {b.get("id"): b for b in old_blocks}
    new_ids = {b.get("id") for b in new_blocks}
    result = []
    removed_after = {}
    # Place each removed block after the nearest preceding block that still exists.
    previous = None
    for block in old_blocks:
        if block.get("id") in new_ids:
            previous = block.get("id")
        else:
            removed_after.setdefault(previous, []).append(block)

    def removed(anchor):
        return [
            {"id": b.get("id"), "type": _describe(b), "status": "removed",
             "html": f"<del>{escape(block_text(b))}</del>"}
            for b in removed_after.get(anchor, [])
        ]

    result.extend(removed(None))
    for block in new_blocks:
        block_id = block.get("id")
        old = old_by_id.get(block_id)
        text = block_text(block)
        if old is None:
            entry = {"status": "added", "html": f"<ins>{escape(text)}</ins>"}
        else:
            old_text = block_text(old)
            same = old_text == text and _describe(old) == _describe(block)
            entry = {
                "status": "same" if same else "changed",
                "html": escape(text) if same else word_diff_html(old_text, text),
            }
        result.append({"id": block_id, "type": _describe(block), **entry})
        result.extend(removed(block_id))
    return result


def diff_revisions(old: Revision, new: Revision) -> dict[str, Any]:
    """Return {"title", "summary", "blocks", "changed"} comparing two revisions."""
    blocks = diff_blocks(old.blocks, new.blocks)
    title = diff_fields(old.title, new.title, "title")
    summary = diff_fields(old.summary, new.summary, "summary")
    changed = sum(1 for b in blocks if b["status"] != "same") + sum(
        1 for f in (title, summary) if f["status"] != "same"
    )
    return {"title": title, "summary": summary, "blocks": blocks, "changed": changed}
