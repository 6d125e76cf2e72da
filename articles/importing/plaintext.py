"""Plain text to typed blocks: the heuristics for headings, lists and Q:/A: pairs.

Scraped text has no markup, so structure is read from the shape of lines:

- a short line without final punctuation is a heading candidate (`looks_like_heading`);
- `-`, `*`, `•` and `1.` lines are list items, including the style where a lone `-` line
  precedes each item; an item ending in ":" holds the items after it until an empty item,
  unless indentation says otherwise;
- `Q:` / `A:` pairs are FAQ blocks;
- inline `<image>`/`<img>` markup and `data:` URIs are dropped (and reported).

Hard-wrapped documents (every line under ~100 characters) have their lines joined into
paragraphs. The parser returns raw blocks (no ids yet) and the dropped pieces; the shared
clean-up in `cleanup.py` does titles, boilerplate, references and ids.
"""

import re

from articles.blocks import MAX_LIST_DEPTH

HEADING_MAX_CHARS = 120
HEADING_MAX_WORDS = 14
WRAP_MAX_LINE = 100
WRAP_MIN_LINE = 50

BULLET = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*•●▪◦‣])(?:\s+(?P<text>\S.*))?$")
NUMBERED = re.compile(r"^(?P<indent>\s*)(?P<number>\d{1,3})[.)]\s+(?P<text>\S.*)$")
QUESTION = re.compile(r"^\s*(?:Q|Question)\s*:\s*(?P<text>\S.*)$")
ANSWER = re.compile(r"^\s*(?:A|Answer)\s*:\s*(?P<text>\S.*)$")
IMAGE_MARKUP = re.compile(
    r"^\s*<\s*(?:[\w-]+:)?(?:image|img|picture|figure|svg|video|iframe|object|embed)\b",
    re.IGNORECASE,
)
TAG = re.compile(r"<[^<>]{0,2000}>")
DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+[^\s\"')<>]*", re.IGNORECASE)
ALT_TEXT = re.compile(r"""alt\s*=\s*["']([^"']{0,300})["']""", re.IGNORECASE)
URL = re.compile(r"https?://\S+", re.IGNORECASE)
FINAL_PUNCTUATION = ".,;!…"
INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"


def normalize_text(text):
    """Unify line ends and spaces; remove invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        for char in INVISIBLE_CHARS:
            if char in text:
                text = text.replace(char, "")
        text = text.replace("\u00a0", " ")
    return text.replace("\t", "    ")


def collapse_spaces(text):
    return " ".join(text.split())


def _significant_words(words):
    return [w for w in words if sum(ch.isalpha() for ch in w) >= 4]


def looks_like_heading(text):
    """Return True when a line has the shape of a heading.

    Short (at most 14 words, 120 characters), no URL, and no final sentence punctuation; a
    question mark is allowed, and a final colon only when the line is in title case.
    """
    if not text or len(text) > HEADING_MAX_CHARS:
        return False
    words = text.split()
    if not words or len(words) > HEADING_MAX_WORDS:
        return False
    if text[-1] in FINAL_PUNCTUATION or URL.search(text):
        return False
    if not any(ch.isalpha() for ch in text):
        return False
    if text.endswith(":"):
        significant = _significant_words(words)
        capitalised = [w for w in significant if w[0].isupper()]
        return bool(significant) and len(capitalised) * 2 >= len(significant)
    return True


def _image_report(line):
    alt = ALT_TEXT.search(line)
    label = f"“{alt.group(1)}”" if alt and alt.group(1).strip() else "without a description"
    embedded = " with embedded image data" if DATA_URI.search(line) else ""
    return f"inline image {label}{embedded} ({len(line):,} characters of markup)"


def _strip_markup(text, dropped):
    """Remove stray tags and data: URIs from a line of text, reporting what went."""
    if "data:" in text.lower():
        def _drop_uri(match):
            dropped.append({
                "text": f"embedded data ({len(match.group(0)):,} characters)",
                "reason": "data: URIs are never imported",
            })
            return ""
        text = DATA_URI.sub(_drop_uri, text)
    if "<" in text and ">" in text:
        tags = TAG.findall(text)
        if tags:
            text = TAG.sub(" ", text)
            dropped.append({"text": " ".join(tags)[:500], "reason": "markup is never imported"})
    return text


def _classify(line, dropped):
    """Return (kind, indent, payload) for one non-blank line."""
    if IMAGE_MARKUP.match(line):
        dropped.append({"text": _image_report(line), "reason": "image markup in the text"})
        return "skip", 0, None
    line = _strip_markup(line, dropped)
    if not line.strip():
        return "skip", 0, None
    match = BULLET.match(line)
    if match:
        return "bullet", len(match.group("indent")), match.group("text")
    match = NUMBERED.match(line)
    if match:
        return "number", len(match.group("indent")), match.group("text")
    match = QUESTION.match(line)
    if match:
        return "question", 0, match.group("text")
    match = ANSWER.match(line)
    if match:
        return "answer", 0, match.group("text")
    return "text", len(line) - len(line.lstrip()), line.strip()


def _is_wrapped(lines):
    """Return True when the text is hard-wrapped: many similar, medium-length lines."""
    lengths = [len(line) for line in lines if line.strip()]
    if len(lengths) < 5 or max(lengths) > WRAP_MAX_LINE:
        return False
    return sum(1 for n in lengths if n >= WRAP_MIN_LINE) * 2 >= len(lengths)


def _units(text, dropped):
    """Yield (kind, indent, payload, blank_before, line) for each logical line of the text."""
    lines = text.split("\n")
    wrapped = _is_wrapped(lines)
    blank_before = True
    previous = None  # the last unit, so wrapped lines can be joined to it
    for raw in lines:
        if not raw.strip():
            blank_before = True
            if previous is not None:
                yield previous
                previous = None
            continue
        line = raw.rstrip()
        kind, indent, payload = _classify(line, dropped)
        if kind == "skip":
            continue
        if previous is not None:
            prev_kind, prev_indent, prev_payload, prev_blank, prev_line = previous
            continues_item = (
                kind == "text" and prev_kind in ("bullet", "number") and prev_payload
                and indent > prev_indent
            )
            continues_answer = kind == "text" and prev_kind == "answer" and not blank_before
            continues_wrapped = (
                wrapped and kind == "text" and prev_kind == "text" and not blank_before
                and len(prev_payload) >= WRAP_MIN_LINE - 10
            )
            if continues_item or continues_answer or continues_wrapped:
                previous = (prev_kind, prev_indent, f"{prev_payload} {payload.strip()}",
                            prev_blank, prev_line)
                continue
            yield previous
        previous = (kind, indent, payload, blank_before, line.strip())
        blank_before = False
    if previous is not None:
        yield previous


def _build_list_items(entries):
    """Build nested items from (indent, text or None) entries; None is an empty item.

    Indentation decides nesting when the entries are indented differently; otherwise an item
    ending in ":" holds the items after it until an empty item closes it.
    """
    by_indent = len({indent for indent, _ in entries}) > 1
    root = []
    stack = [(entries[0][0] if entries else 0, root)]
    for indent, text in entries:
        if text is None:
            if not by_indent and len(stack) > 1:
                stack.pop()
            continue
        if by_indent:
            while len(stack) > 1 and indent < stack[-1][0]:
                stack.pop()
            parent_items = stack[-1][1]
            if indent > stack[-1][0] and parent_items and len(stack) <= MAX_LIST_DEPTH:
                stack.append((indent, parent_items[-1]["items"]))
        item = {"text": collapse_spaces(text), "items": []}
        stack[-1][1].append(item)
        if not by_indent and text.rstrip().endswith(":") and len(stack) <= MAX_LIST_DEPTH:
            stack.append((indent, item["items"]))
    return root


def parse_plain_text(text):
    """Return (raw blocks, dropped) for plain text. Blocks have no ids yet."""
    dropped = []
    units = list(_units(normalize_text(text), dropped))
    blocks = []
    index = 0
    count = len(units)
    while index < count:
        kind, indent, payload, _blank, _line = units[index]
        if kind in ("bullet", "number"):
            next_kind = units[index + 1][0] if index + 1 < count else None
            if (
                kind == "number" and looks_like_heading(payload)
                and next_kind == "text" and not looks_like_heading(units[index + 1][2])
            ):
                # "1. Enhancing the effect" followed by prose: a numbered section heading.
                number = NUMBERED.match(units[index][4]).group("number")
                blocks.append({
                    "type": "heading", "level": 3, "text": collapse_spaces(f"{number}. {payload}")
                })
                index += 1
                continue
            ordered = kind == "number"
            entries = []
            while index < count and units[index][0] in ("bullet", "number"):
                k, item_indent, item_text = units[index][:3]
                if k == "bullet" and item_text is None:
                    # A lone marker: the item's text is the next plain line, if any.
                    following = units[index + 1] if index + 1 < count else None
                    if following and following[0] == "text":
                        entries.append((item_indent, following[2]))
                        index += 2
                        continue
                    entries.append((item_indent, None))
                    index += 1
                    continue
                entries.append((item_indent, item_text))
                index += 1
            items = _build_list_items(entries)
            if items:
                blocks.append({"type": "list", "ordered": ordered, "items": items})
            continue
        if kind == "question":
            answer_parts = []
            index += 1
            while index < count and units[index][0] == "answer":
                answer_parts.append(units[index][2])
                index += 1
            if answer_parts:
                blocks.append({
                    "type": "faq",
                    "question": collapse_spaces(payload),
                    "answer": collapse_spaces(" ".join(answer_parts)),
                })
            else:
                blocks.append({"type": "paragraph", "text": collapse_spaces(payload)})
            continue
        if kind == "answer":
            blocks.append({"type": "paragraph", "text": collapse_spaces(payload)})
            index += 1
            continue
        text_value = collapse_spaces(payload) if len(payload) < 100_000 else payload.strip()
        if looks_like_heading(text_value):
            blocks.append({"type": "heading", "level": 2, "text": text_value, "_guess": True})
        else:
            blocks.append({"type": "paragraph", "text": text_value})
        index += 1
    return blocks, dropped
