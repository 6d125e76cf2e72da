"""The one place user-written markup becomes HTML: Markdown rendering and sanitising.

Reviewer notes and comments are Markdown. They are rendered with raw HTML switched off, then
every result passes through the single nh3 Cleaner below, so no note can inject markup,
scripts, event handlers, styles or `javascript:` links, whatever trick the Markdown tries.
"""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# Tags whose content is dropped with them, not kept as text.
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "template", "noscript", "textarea",
    "select", "svg", "math",
}
LINK_REL = "nofollow noopener noreferrer"

CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)

# CommonMark with raw HTML off: "<script>" in a note is text, not a tag. Markdown headings
# start at h3 on the page, so `#` and `##` are demoted (see _demote_headings).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MARKDOWN.disable("image")


def _demote_headings(tokens):
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2"):
            token.tag = "h3"
    return tokens


def render_markdown(text):
    """Return safe HTML for Markdown `text` ("" for blank text)."""
    text = str(text or "")
    if not text.strip():
        return ""
    tokens = _demote_headings(_MARKDOWN.parse(text.replace("\x00", "")))
    html = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    return clean_html(html)


def clean_html(html):
    """Return `html` with everything outside the allowed tags, attributes and schemes removed."""
    return CLEANER.clean(str(html or "")).strip()
