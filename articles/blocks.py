"""The typed blocks an article's text is made of, and the plain text anchoring counts in.

A block is a dict with a stable `id`, a `type` and a `text`:

    {"id": "b3f9c2a1", "type": "heading", "level": 2, "text": "Side effects"}
    {"id": "…", "type": "paragraph", "text": "…",
     "cites": [{"start": 10, "end": 19, "refs": [2, 4]}]}
    {"id": "…", "type": "list", "ordered": false,
     "items": [{"text": "First", "items": [{"text": "Nested", "items": []}]}],
     "text": "First\nNested"}
    {"id": "…", "type": "quote", "text": "…"}
    {"id": "…", "type": "faq", "question": "…", "answer": "…", "text": "question\nanswer"}
    {"id": "…", "type": "caption", "text": "…"}

`text` is always the block's plain text, derived from its parts (`items`, `question`/`answer`)
by `block_text`. Annotation offsets count characters in `text`; the article's plain text, in
which W3C TextPositionSelectors count, is the blocks' texts joined by a blank line.
"""

import secrets

BLOCK_TYPES = ("heading", "paragraph", "list", "quote", "faq", "caption")
BLOCK_SEPARATOR = "\n\n"
MAX_BLOCKS = 5000
MAX_BLOCK_CHARS = 200_000
MAX_LIST_DEPTH = 6


class BlockError(ValueError):
    """Blocks that do not have the documented shape. `errors` lists every problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def new_block_id():
    return secrets.token_hex(4)


def flatten_items(items, depth=0):
    """Yield (depth, text) for every list item, depth-first, in reading order."""
    for item in items or ():
        yield depth, item.get("text", "")
        yield from flatten_items(item.get("items") or (), depth + 1)


def block_text(block):
    """Return the plain text of a block, derived from its parts."""
    kind = block.get("type")
    if kind == "list":
        return "\n".join(text for _, text in flatten_items(block.get("items")))
    if kind == "faq":
        return f"{block.get('question', '')}\n{block.get('answer', '')}"
    return block.get("text", "")


def with_text(block):
    """Return a copy of `block` whose `text` is derived from its parts."""
    block = dict(block)
    block["text"] = block_text(block)
    return block


def plain_text(blocks):
    """Return the article's plain text: every block's text, joined by a blank line."""
    return BLOCK_SEPARATOR.join(block_text(b) for b in blocks)


def block_starts(blocks):
    """Return {block id: offset of the block's first character in `plain_text(blocks)`}."""
    starts = {}
    offset = 0
    for block in blocks:
        starts[block["id"]] = offset
        offset += len(block_text(block)) + len(BLOCK_SEPARATOR)
    return starts


def blocks_by_id(blocks):
    return {block["id"]: block for block in blocks}


def _check_text(value, where, errors):
    if not isinstance(value, str):
        errors.append(f"{where}: text must be a string.")
        return
    if len(value) > MAX_BLOCK_CHARS:
        errors.append(f"{where}: text is longer than {MAX_BLOCK_CHARS} characters.")
    if "\x00" in value:
        errors.append(f"{where}: text contains a NUL character.")


def _check_items(items, where, errors, depth=0):
    if not isinstance(items, list):
        errors.append(f"{where}: items must be a list.")
        return
    if depth > MAX_LIST_DEPTH:
        errors.append(f"{where}: lists nest deeper than {MAX_LIST_DEPTH} levels.")
        return
    for index, item in enumerate(items):
        here = f"{where}.items[{index}]"
        if not isinstance(item, dict):
            errors.append(f"{here}: an item must be an object with text.")
            continue
        _check_text(item.get("text", ""), here, errors)
        if isinstance(item.get("text"), str) and not item["text"].strip():
            errors.append(f"{here}: an item must not be empty.")
        if "\n" in str(item.get("text", "")):
            errors.append(f"{here}: an item's text must be one line.")
        _check_items(item.get("items", []), here, errors, depth + 1)


def clean_blocks(blocks):
    """Validate blocks from an editor or a client and return them normalised.

    Raises BlockError listing every problem. Missing ids get new ones; `text` is derived.
    """
    errors = []
    if not isinstance(blocks, list):
        raise BlockError(["blocks must be a list."])
    if len(blocks) > MAX_BLOCKS:
        raise BlockError([f"an article holds at most {MAX_BLOCKS} blocks."])
    seen = set()
    cleaned = []
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict):
            errors.append(f"{where}: a block must be an object.")
            continue
        block = dict(block)
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            errors.append(f"{where}: type must be one of {', '.join(BLOCK_TYPES)}.")
            continue
        block_id = block.get("id") or new_block_id()
        if not isinstance(block_id, str) or not block_id.isascii() or len(block_id) > 64:
            errors.append(f"{where}: id must be a short ASCII string.")
            continue
        if block_id in seen:
            errors.append(f"{where}: id {block_id!r} is used twice.")
            continue
        seen.add(block_id)
        block["id"] = block_id
        if kind == "heading":
            level = block.get("level", 2)
            if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 6:
                errors.append(f"{where}: level must be a whole number from 1 to 6.")
            block["level"] = level
        if kind == "list":
            _check_items(block.get("items", []), where, errors)
            block.setdefault("ordered", False)
            if not block.get("items"):
                errors.append(f"{where}: a list needs at least one item.")
        elif kind == "faq":
            _check_text(block.get("question", ""), f"{where}.question", errors)
            _check_text(block.get("answer", ""), f"{where}.answer", errors)
        else:
            _check_text(block.get("text", ""), where, errors)
        if not errors:
            block = with_text(block)
            if not block["text"].strip():
                errors.append(f"{where}: a block must not be empty.")
        cleaned.append(block)
    if errors:
        raise BlockError(errors)
    return cleaned
