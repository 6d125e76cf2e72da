"""The clean-up every format shares: title, boilerplate, references, summary, stable ids.

Each step takes the raw blocks a format parser produced and records what it removes in
`dropped` ({"text", "reason"}), so the import report can show an editor every piece of text
that was left out, and why.
"""

import datetime
import hashlib
import re

from articles.blocks import MAX_BLOCK_CHARS, block_text, flatten_items, with_text
from evidence.references import (
    find_citation_groups,
    is_reference_heading,
    parse_reference,
)

PROVISIONAL_TITLE_CHARS = 100
SUMMARY_CHARS = 300
SUMMARY_MIN_WORDS = 12
SPLIT_PARAGRAPH_CHARS = 20_000
BOILERPLATE_MAX_CHARS = 300

BOILERPLATE = [
    (re.compile(r"^you may also like\b", re.I), "related-article link (“You may also like”)"),
    (re.compile(r"^(?:related (?:posts?|articles?|reading)|read (?:more|next|also))\b", re.I),
     "related-article link"),
    (re.compile(r"^(?:leave a (?:comment|reply)|post a comment|add a comment|\d+ comments?|"
                r"no comments(?: yet)?)\b", re.I), "comment-form prompt"),
    (re.compile(r"^please (?:watch|listen(?: to)?|subscribe|like and share)\b", re.I),
     "promotion of a video, podcast or channel"),
    (re.compile(r"^(?:share (?:this|on)\b|follow us\b|(?:subscribe|sign up) (?:to|for) our "
                r"newsletter)", re.I), "sharing or newsletter prompt"),
    (re.compile(r"^(?:skip to (?:main )?content|table of contents|contents|advertisement|"
                r"click here to (?:subscribe|share))\s*:?$", re.I), "page furniture"),
    (re.compile(r"^[\w\-.%()~]+\.(?:jpe?g|png|gif|webp|svg|avif|bmp|tiff?)(?:\?\S*)?$", re.I),
     "image file name (the image itself is not part of the text)"),
]
FAQ_HEADING = re.compile(r"\b(?:faqs?|frequently asked questions)\b", re.I)
SECTION_LABEL = re.compile(
    r"^(?:introduction|summary|overview|background|abstract)\s*:\s+", re.I
)
DATE_PREFIX = re.compile(
    r"^(?:(?:published|posted|updated|last updated|date)(?:\s+on)?\s*:?\s*)", re.I
)
DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%b %d %Y",
                "%B %d %Y", "%d/%m/%Y", "%d.%m.%Y")
SENTENCE_END = re.compile(r"[.!?][)\"”’]?(?=\s+[A-Z0-9“\"(])")
PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)")
CALL_TO_ACTION = re.compile(
    r"\b(?:book (?:an|your|a) (?:appointment|consultation|session|visit)|"
    r"schedule (?:an|your|a) (?:appointment|consultation|session|visit)|"
    r"request (?:an|your|a) (?:appointment|consultation)|call (?:us|our office|today)\b|"
    r"contact us today|book online|(?:free|complimentary) consultation)",
    re.I,
)
PROMO_SCAN_CHARS = 200_000


def _key(text):
    return " ".join(str(text).lower().split()).strip(" :.")


def _texts(block):
    if block["type"] == "list":
        return [text for _, text in flatten_items(block.get("items"))]
    if block["type"] == "faq":
        return [block.get("question", ""), block.get("answer", "")]
    return [block.get("text", "")]


def drop(dropped, block_or_text, reason):
    text = block_or_text if isinstance(block_or_text, str) else "\n".join(_texts(block_or_text))
    dropped.append({"text": text, "reason": reason})


def parse_date(text):
    """Return the date a short line states (e.g. "Jun 19, 2024"), else None."""
    candidate = DATE_PREFIX.sub("", text.strip()).strip(" .")
    if not candidate or len(candidate) > 40 or not any(ch.isdigit() for ch in candidate):
        return None
    candidate = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", candidate)
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(candidate, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


def _is_breadcrumb(text):
    return text == text.lower() or any(sep in text for sep in (" > ", " » ", " / ", " › "))


def take_title(blocks, *, explicit_title, dropped, warnings):
    """Return (title, is_provisional, blocks) with the title line and its repeats removed."""
    blocks = list(blocks)
    title = " ".join((explicit_title or "").split())[:300]
    if not title:
        if (
            len(blocks) > 1 and blocks[0]["type"] == "heading" and blocks[0].get("_guess")
            and blocks[1]["type"] == "heading" and _is_breadcrumb(blocks[0]["text"])
        ):
            drop(dropped, blocks[0], "breadcrumb (site navigation above the title)")
            blocks = blocks[1:]
        if blocks and blocks[0]["type"] == "heading":
            title = blocks[0]["text"][:300]
            blocks = blocks[1:]
    elif blocks and blocks[0]["type"] == "heading" and _key(blocks[0]["text"]) == _key(title):
        blocks = blocks[1:]
    provisional = not title
    if provisional:
        title = provisional_title(blocks)
        warnings.append(
            f"No title line was found: the title “{title}” is provisional and needs an editor."
        )
    kept = []
    for block in blocks:
        if block["type"] in ("heading", "paragraph") and _key(block["text"]) == _key(title) \
                and not provisional:
            drop(dropped, block, "repeated title")
            continue
        kept.append(block)
    return title, provisional, kept


def _shorten(text, limit):
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def provisional_title(blocks):
    """Return a stand-in title: the first heading, else the opening words of the text."""
    for block in blocks:
        if block["type"] == "heading" and block["text"].strip():
            return _shorten(block["text"], PROVISIONAL_TITLE_CHARS)
    for block in blocks:
        text = block_text(block).strip()
        if text:
            text = SECTION_LABEL.sub("", text)
            return _shorten(text.split("\n")[0], PROVISIONAL_TITLE_CHARS)
    return "Untitled import"


def take_date(blocks, *, dropped):
    """Return (date or None, blocks) with a date line near the top removed."""
    for index, block in enumerate(blocks[:4]):
        if block["type"] not in ("heading", "paragraph"):
            continue
        date = parse_date(block["text"])
        if date:
            drop(dropped, block, "publication date (kept as the original publication date)")
            return date, blocks[:index] + blocks[index + 1:]
    return None, blocks


def drop_boilerplate(blocks, *, dropped):
    kept = []
    for block in blocks:
        text = block.get("text", "")
        if block["type"] in ("heading", "paragraph") and len(text) <= BOILERPLATE_MAX_CHARS:
            reason = next((r for pattern, r in BOILERPLATE if pattern.search(text)), None)
            if reason:
                drop(dropped, block, reason)
                continue
        kept.append(block)
    return kept


def drop_table_of_contents(blocks, *, dropped):
    """Drop a leading run of headings that repeat, as section headings, further down."""
    run_end = 0
    while run_end < len(blocks) and blocks[run_end]["type"] == "heading":
        run_end += 1
    if run_end < 3:
        return blocks
    repeated = []
    for index in range(run_end):
        key = _key(blocks[index]["text"])
        later = any(
            b["type"] == "heading" and _key(b["text"]) == key for b in blocks[index + 1:]
        )
        if later:
            repeated.append(index)
    if len(repeated) < 3:
        return blocks
    toc = "\n".join(blocks[i]["text"] for i in repeated)
    drop(dropped, toc, "table of contents (these headings repeat below as section headings)")
    return [b for i, b in enumerate(blocks) if i not in set(repeated)]


def _reference_like(text):
    entry = parse_reference(text)
    return bool(entry["url"] or entry["pmid"] or entry["doi"])


def take_references(blocks):
    """Return (reference entries, blocks without the reference list)."""
    for index in range(len(blocks) - 1, -1, -1):
        block = blocks[index]
        if block["type"] in ("heading", "paragraph") and is_reference_heading(block["text"]):
            end = index + 1
            entries = []
            while end < len(blocks) and blocks[end]["type"] in ("list", "paragraph"):
                entries.extend(t for t in _texts(blocks[end]) if t.strip())
                end += 1
            if entries:
                references = [parse_reference(text) for text in entries]
                return references, blocks[:index] + blocks[end:]
    # No heading: a final list whose entries are mostly links or identifiers.
    if blocks and blocks[-1]["type"] == "list":
        texts = [t for t in _texts(blocks[-1]) if t.strip()]
        if len(texts) >= 2 and sum(map(_reference_like, texts)) * 5 >= len(texts) * 4:
            return [parse_reference(text) for text in texts], blocks[:-1]
    return [], blocks


def drop_trailing_links(blocks, *, dropped):
    """Drop a final run of two or more headings with no text after them (related links)."""
    start = len(blocks)
    while start > 0 and blocks[start - 1]["type"] == "heading":
        start -= 1
    run = blocks[start:]
    if len(run) >= 2:
        for block in run:
            drop(dropped, block, "related-links boilerplate (titles of other pages, no text)")
        return blocks[:start]
    if len(run) == 1 and run[0].get("_guess"):
        # A short closing line is a sentence without a full stop, not a section.
        return blocks[:start] + [{"type": "paragraph", "text": run[0]["text"]}]
    return blocks


def make_faq_pairs(blocks):
    """In an FAQ section, turn question headings followed by a paragraph into FAQ blocks."""
    result = []
    in_faq = False
    index = 0
    while index < len(blocks):
        block = blocks[index]
        if block["type"] == "heading" and not block["text"].rstrip().endswith("?"):
            in_faq = bool(FAQ_HEADING.search(block["text"]))
        elif (
            in_faq and block["type"] == "heading" and index + 1 < len(blocks)
            and blocks[index + 1]["type"] == "paragraph"
        ):
            result.append({
                "type": "faq", "question": block["text"], "answer": blocks[index + 1]["text"]
            })
            index += 2
            continue
        result.append(block)
        index += 1
    return result


def split_long_paragraphs(blocks, *, warnings):
    """Split paragraphs too long to edit (a scraped page on one line) at sentence ends."""
    result = []
    for block in blocks:
        text = block.get("text", "")
        if block["type"] != "paragraph" or len(text) <= SPLIT_PARAGRAPH_CHARS:
            result.append(block)
            continue
        parts = []
        rest = text
        while len(rest) > SPLIT_PARAGRAPH_CHARS:
            window = rest[:SPLIT_PARAGRAPH_CHARS]
            cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! "))
            cut = cut + 1 if cut > SPLIT_PARAGRAPH_CHARS // 2 else window.rfind(" ")
            if cut <= SPLIT_PARAGRAPH_CHARS // 2:
                cut = SPLIT_PARAGRAPH_CHARS
            parts.append(rest[:cut].strip())
            rest = rest[cut:].strip()
        if rest:
            parts.append(rest)
        warnings.append(
            f"A paragraph of {len(text):,} characters was split into {len(parts)} parts."
        )
        result.extend({"type": "paragraph", "text": part} for part in parts if part)
    return result


def propose_summary(blocks):
    """Return the first real paragraph, cut at a sentence end, at most 300 characters."""
    for block in blocks:
        if block["type"] != "paragraph":
            continue
        text = " ".join(block["text"][:5000].split())
        if len(text.split()) < SUMMARY_MIN_WORDS or text.endswith((":", "?")):
            continue
        text = SECTION_LABEL.sub("", text)
        if len(text) <= SUMMARY_CHARS:
            return text
        ends = [m.end() for m in SENTENCE_END.finditer(text, 0, SUMMARY_CHARS + 1)]
        ends = [end for end in ends if end <= SUMMARY_CHARS]
        if ends:
            return text[: ends[-1]].strip()
        return _shorten(text, SUMMARY_CHARS)
    return ""


def detect_promotion(blocks):
    """Return a warning when the text reads as marketing, else ""."""
    text = " ".join(block_text(b) for b in blocks)[:PROMO_SCAN_CHARS]
    phone = PHONE.search(text)
    actions = CALL_TO_ACTION.findall(text)
    if (phone and actions) or len(actions) >= 2:
        evidence = []
        if phone:
            evidence.append(f"a phone number ({phone.group(0).strip()})")
        if actions:
            evidence.append(f"a booking call to action (“{actions[0]}”)")
        return "The page reads as promotional: " + " and ".join(evidence) + "."
    return ""


def add_citation_links(blocks, reference_count):
    for block in blocks:
        if block["type"] == "paragraph":
            cites = find_citation_groups(block["text"], reference_count)
            if cites:
                block["cites"] = cites
    return blocks


def assign_ids(blocks):
    """Give each block a stable id: a short hash of its type and text, suffixed on collision."""
    seen = set()
    result = []
    for block in blocks:
        block = with_text({k: v for k, v in block.items() if not k.startswith("_")})
        digest = hashlib.sha1(  # noqa: S324 - an id, not a security measure
            f"{block['type']}\n{block['text']}".encode(), usedforsecurity=False
        ).hexdigest()[:8]
        block_id, suffix = digest, 2
        while block_id in seen:
            block_id = f"{digest}-{suffix}"
            suffix += 1
        seen.add(block_id)
        block["id"] = block_id
        result.append({"id": block_id, **{k: v for k, v in block.items() if k != "id"}})
    return result


def drop_empty(blocks):
    kept = []
    for block in blocks:
        if block["type"] == "list":
            if block.get("items"):
                kept.append(block)
        elif block["type"] == "faq":
            if block.get("question", "").strip() or block.get("answer", "").strip():
                kept.append(block)
        elif block.get("text", "").strip():
            kept.append(block)
    return kept


def too_long(blocks):
    """Return a readable problem when a block is still longer than blocks allow, else ""."""
    for block in blocks:
        if len(block.get("text", "")) > MAX_BLOCK_CHARS:
            return (f"A {block['type']} of {len(block['text']):,} characters is longer than the "
                    f"{MAX_BLOCK_CHARS:,} characters a block may hold.")
    return ""

