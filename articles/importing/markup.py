"""Markdown and HTML to the same typed blocks as plain text. No markup is ever kept.

Markdown is parsed with markdown-it-py; raw HTML inside it is dropped (and reported). HTML
goes through trafilatura, which keeps the main content and leaves out scripts, styles,
navigation and frames; only its text is used, so event handlers, `javascript:` links and
`data:` URIs cannot survive.
"""

import itertools
import re

from markdown_it import MarkdownIt

from articles.blocks import MAX_LIST_DEPTH, flatten_items
from articles.importing.cleanup import parse_date
from articles.importing.plaintext import DATA_URI, QUESTION, collapse_spaces, normalize_text
from evidence.references import is_reference_heading

TAG = re.compile(r"<[^<>]{0,2000}>")
# Bounds the work of listing what the extraction left out of a very large page.
MAX_REPORTED_PIECES = 300
SAFE_LINK = re.compile(r"^https?://", re.I)
HTML_DATE_XPATHS = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@name='article:published_time']/@content",
    "//meta[@name='date']/@content",
    "//meta[@name='dc.date']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//time[@datetime]/@datetime",
)

_markdown = MarkdownIt("commonmark", {"html": True})


# Markdown ----------------------------------------------------------------------------------


def _inline_text(token, dropped):
    """Return the plain text of an inline token; images and raw HTML are reported."""
    parts = []
    for child in token.children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "image":
            alt = child.content or ""
            dropped.append({
                "text": f"image “{alt}”" if alt else "image without a description",
                "reason": "images are not imported as text",
            })
        elif kind == "html_inline":
            dropped.append({"text": child.content[:500], "reason": "markup is never imported"})
    return DATA_URI.sub("", "".join(parts))


def _md_list(tokens, index, dropped, depth=0):
    """Parse a list starting at tokens[index] (the *_list_open); return (items, next index)."""
    close = tokens[index].type.replace("_open", "_close")
    items = []
    index += 1
    while index < len(tokens) and tokens[index].type != close:
        token = tokens[index]
        if token.type == "list_item_open":
            item = {"text": "", "items": []}
            items.append(item)
        elif token.type == "inline" and items:
            text = collapse_spaces(_inline_text(token, dropped))
            item = items[-1]
            item["text"] = f"{item['text']} {text}".strip() if item["text"] else text
        elif token.type in ("bullet_list_open", "ordered_list_open") and items:
            nested, index = _md_list(tokens, index, dropped, depth + 1)
            if depth + 1 <= MAX_LIST_DEPTH:
                items[-1]["items"].extend(nested)
            else:
                items.extend(nested)
            continue
        index += 1
    return _without_empty(items), index + 1


def _without_empty(items):
    kept = []
    for item in items:
        item["items"] = _without_empty(item["items"])
        if item["text"].strip():
            kept.append(item)
        else:
            kept.extend(item["items"])
    return kept


def parse_markdown(text):
    """Return (raw blocks, dropped, title) for Markdown. The first `#` heading is the title."""
    dropped = []
    tokens = _markdown.parse(normalize_text(text))
    blocks = []
    title = ""
    quote_depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
            content = collapse_spaces(_inline_text(tokens[index + 1], dropped))
            if level == 1 and not title and not blocks:
                title = content
            elif content:
                blocks.append({"type": "heading", "level": max(2, min(level, 6)),
                               "text": content})
            index += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            items, index = _md_list(tokens, index, dropped)
            if items:
                blocks.append({"type": "list", "ordered": kind == "ordered_list_open",
                               "items": items})
            continue
        if kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "inline":
            raw = _inline_text(token, dropped)
            blocks.extend(_paragraph_blocks(raw, quoted=quote_depth > 0))
        elif kind in ("fence", "code_block"):
            content = token.content.strip()
            if content:
                blocks.append({"type": "paragraph", "text": collapse_spaces(content)})
        elif kind == "html_block":
            content = token.content.strip()
            if content:
                dropped.append({"text": content[:2000], "reason": "markup is never imported"})
        index += 1
    return blocks, dropped, title


def _paragraph_blocks(raw, *, quoted=False):
    """Return blocks for one paragraph's text; "Q: …\\nA: …" makes an FAQ block."""
    lines = [line.strip() for line in raw.split("\n") if line.strip()]
    if not lines:
        return []
    question = QUESTION.match(lines[0])
    if question and len(lines) > 1 and re.match(r"^(?:A|Answer)\s*:", lines[1]):
        answer = re.sub(r"^(?:A|Answer)\s*:\s*", "", " ".join(lines[1:]))
        return [{"type": "faq", "question": question.group("text").strip(),
                 "answer": collapse_spaces(answer)}]
    return [{"type": "quote" if quoted else "paragraph", "text": collapse_spaces(" ".join(lines))}]


# HTML --------------------------------------------------------------------------------------


def _element_text(element):
    return collapse_spaces("".join(element.itertext()))


def _xml_list(element, depth=0):
    items = []
    for child in element:
        if child.tag != "item":
            continue
        nested = []
        text_parts = [child.text or ""]
        for part in child:
            if part.tag == "list" and depth < MAX_LIST_DEPTH:
                nested.extend(_xml_list(part, depth + 1))
            else:
                text_parts.append("".join(part.itertext()))
            text_parts.append(part.tail or "")
        # A link's address is kept only when it is the entry (reference lists cite URLs).
        text = collapse_spaces("".join(text_parts))
        for ref in child.iter("ref"):
            target = ref.get("target") or ""
            if SAFE_LINK.match(target) and target not in text and not text.startswith("http"):
                text = f"{text} {target}".strip()
        if text:
            items.append({"text": text, "items": nested})
        else:
            items.extend(nested)
    return items


def _body_blocks(body):
    blocks = []
    for element in body:
        tag = element.tag
        if tag == "head":
            rend = element.get("rend") or "h2"
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            text = _element_text(element)
            if text:
                blocks.append({"type": "heading", "level": level, "text": text})
        elif tag == "list":
            items = _xml_list(element)
            if items:
                blocks.append({"type": "list", "ordered": element.get("rend") == "ol",
                               "items": items})
        elif tag == "quote":
            text = _element_text(element)
            if text:
                blocks.append({"type": "quote", "text": text})
        elif tag in ("p", "div", "code"):
            text = _element_text(element)
            if text:
                blocks.extend(_paragraph_blocks(text))
        elif tag == "table":
            for row in element.iter("row"):
                text = " | ".join(_element_text(cell) for cell in row if _element_text(cell))
                if text:
                    blocks.append({"type": "paragraph", "text": text})
    return blocks


def _html_reference_list(tree):
    """Return [heading, list] blocks for a page's reference list, else [].

    Extraction often leaves link-dense reference lists out as if they were navigation; the
    references are part of the article, so they are read from the page itself.
    """
    for heading in tree.xpath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6 | //p | //strong"):
        text = collapse_spaces(heading.text_content())
        if not is_reference_heading(text):
            continue
        following = heading.getnext()
        if following is None and heading.tag in ("strong",):
            following = heading.getparent().getnext()
        if following is None or following.tag not in ("ol", "ul"):
            continue
        items = []
        for item in following.iterchildren("li"):
            item_text = collapse_spaces(item.text_content())
            for link in item.iter("a"):
                href = (link.get("href") or "").strip()
                if SAFE_LINK.match(href) and href not in item_text:
                    item_text = f"{item_text} {href}".strip()
            if item_text:
                items.append({"text": item_text, "items": []})
        if items:
            return [{"type": "heading", "level": 2, "text": text},
                    {"type": "list", "ordered": following.tag == "ol", "items": items}]
    return []


def _html_date(tree):
    for xpath in HTML_DATE_XPATHS:
        for value in tree.xpath(xpath)[:3]:
            value = str(value).strip()[:10]
            date = parse_date(value)
            if date:
                return date
    return None


def _page_texts(tree):
    """Yield the visible text pieces of a page (no scripts or styles), in order."""
    for element in tree.iter("script", "style", "noscript", "template"):
        element.text = ""
    block_tags = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "a", "span",
                  "div", "blockquote", "figcaption", "dt", "dd", "button", "label", "title"}
    for element in tree.iter(*block_tags):
        text = collapse_spaces(element.text or "")
        if text:
            yield text


def parse_html(text):
    """Return (raw blocks, dropped, title, published_on) for an HTML page."""
    import lxml.html
    import trafilatura
    from lxml import etree

    dropped = []
    text = normalize_text(text)
    try:
        tree = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        tree = None
    scripts = len(tree.xpath("//script | //iframe | //object | //embed")) if tree is not None \
        else 0
    document = trafilatura.bare_extraction(
        text, with_metadata=True, include_links=True, include_images=False,
        include_tables=True, include_comments=False, favor_recall=True, output_format="python",
    )
    body = getattr(document, "body", None) if document is not None else None
    blocks = _body_blocks(body) if body is not None else []
    title = collapse_spaces(getattr(document, "title", "") or "") if document else ""
    if tree is not None and blocks and not any(
        b["type"] == "heading" and is_reference_heading(b["text"]) for b in blocks
    ):
        blocks.extend(_html_reference_list(tree))
    if not blocks and tree is not None:
        # Too little for trafilatura to call it an article: keep the page's text, untagged.
        blocks = [{"type": "paragraph", "text": piece} for piece in _page_texts(tree)
                  if piece != title]
    if scripts:
        dropped.append({
            "text": f"{scripts} script, frame or embedded object element(s)",
            "reason": "active content is never imported",
        })
    if tree is not None and blocks:
        kept = " ".join(t for b in blocks for t in (b.get("text", ""), b.get("question", ""),
                                                    b.get("answer", "")))
        kept += " " + " ".join(_item_texts(blocks)) + " " + title
        seen = set()
        for piece in itertools.islice(_page_texts(tree), MAX_REPORTED_PIECES):
            if piece in kept or piece in seen or piece == title:
                continue
            seen.add(piece)
            dropped.append({"text": piece[:2000],
                            "reason": "outside the main content (navigation, footer, sidebar)"})
    published_on = _html_date(tree) if tree is not None else None
    return blocks, dropped, title, published_on


def _item_texts(blocks):
    for block in blocks:
        if block["type"] == "list":
            for _, text in flatten_items(block["items"]):
                yield text

