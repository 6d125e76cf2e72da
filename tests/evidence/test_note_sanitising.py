"""No reviewer note or review comment can put markup of its own on a page."""

from html.parser import HTMLParser

import pytest

from evidence.annotations import add_comment, comment_html, update_annotation
from ketasite.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, clean_html, render_markdown
from tests.evidence.helpers import annotated_article
from tests.hostile.html_oracle import violations

ATTACKS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[ref]: javascript:alert(1)\n\n[click][ref]",
    "<img src=x onerror=alert(1)>",
    "![x](https://example.org/x.png\" onerror=\"alert(1))",
    '[a](https://example.org "t" onmouseover="alert(1)")',
    "<a href=\"https://example.org\" onclick=\"alert(1)\">x</a>",
    "<iframe src=https://example.org></iframe>",
    "<p style=\"position:fixed\">x</p>",
    "<svg onload=alert(1)>",
]


class _Elements(HTMLParser):
    """Collect every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _assert_inert(html):
    # An oracle that does not know the allowlist (a widened allowlist would pass the rest).
    assert violations(html) == []
    for tag, attrs in _Elements(html).elements:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}, attrs
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "mailto:")), href


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_note_cannot_inject_markup(attack):
    _assert_inert(render_markdown(attack))


@pytest.mark.parametrize("attack", ATTACKS)
def test_clean_html_strips_dangerous_markup(attack):
    _assert_inert(clean_html(attack))


def test_clean_html_keeps_safe_links_and_drops_scripts_with_their_content():
    html = clean_html('<p>ok <a href="https://e.org" onclick="x()">l</a><script>bad()</script></p>')
    assert html == '<p>ok <a href="https://e.org" rel="nofollow noopener noreferrer">l</a></p>'


def test_raw_html_in_a_note_is_shown_as_text():
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_ordinary_markdown_renders_with_safe_links():
    html = render_markdown("**Weak** evidence, see [the trial](https://example.org/t).")
    assert "<strong>Weak</strong>" in html
    assert 'href="https://example.org/t"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


@pytest.mark.django_db
def test_saved_note_html_is_sanitised(editor, reviewer):
    _, annotation = annotated_article(editor)
    updated = update_annotation(
        annotation, actor=reviewer, expected_version=1,
        note="<script>alert(1)</script> [x](javascript:alert(1))",
    )
    assert "<script" not in updated.note_html
    assert 'href="javascript' not in updated.note_html
    assert "&lt;script&gt;" in updated.note_html


@pytest.mark.django_db
def test_comment_html_is_sanitised(editor):
    _, annotation = annotated_article(editor)
    comment = add_comment(annotation, actor=editor, body="<img src=x onerror=alert(1)> hi")
    html = comment_html(comment)
    assert "<img" not in html
    assert "&lt;img" in html
