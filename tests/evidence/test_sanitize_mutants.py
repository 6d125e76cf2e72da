"""What a reviewer's Markdown note turns into, in the cases `make mutate` found unchecked.

Each test pins one requirement of the note renderer with the exact HTML a reader gets; the
mutation run showed that breaking the code behind it passed the rest of the suite.
"""

import pytest

from ketasite.sanitize import clean_html, render_markdown

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral


def test_note_headings_start_at_h3_under_the_page_heading():
    # The page owns h1 and h2, so a note's `#` and `##` become h3; deeper levels keep theirs.
    note = "# Big\n\n## Middle\n\n### Three\n\n#### Small"

    assert render_markdown(note) == (
        "<h3>Big</h3>\n<h3>Middle</h3>\n<h3>Three</h3>\n<h4>Small</h4>"
    )


def test_an_empty_note_renders_as_nothing():
    assert render_markdown(None) == ""
    assert render_markdown("") == ""
    assert render_markdown("  \n\t ") == ""
    assert clean_html(None) == ""
    assert clean_html("") == ""


def test_nul_characters_are_dropped_not_shown_as_replacement_marks():
    assert render_markdown("dose\x00 note") == "<p>dose note</p>"


def test_line_breaks_in_a_note_keep_their_markdown_meaning():
    # A single newline stays inside the paragraph; two trailing spaces make a hard break.
    assert render_markdown("line one\nline two") == "<p>line one\nline two</p>"
    assert render_markdown("line one  \nline two") == "<p>line one<br>\nline two</p>"
