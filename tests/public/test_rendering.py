"""The annotated body: marks, notes, citations and semantic blocks, all escaped."""

import itertools

import lxml.html
import pytest

from articles.blocks import with_text
from articles.rendering import render_body

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral


def annotation(id, block, start, end, **extra):
    return {"id": id, "block": block, "start": start, "end": end, "exact": "", "sources": [],
            "verdict": extra.pop("verdict", "supported"),
            "certainty": extra.pop("certainty", "high"), "note_html": "", **extra}


def test_a_rated_passage_becomes_a_link_to_its_note():
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": "Ketamine helps some."})]
    html = render_body(blocks, [annotation(7, "p1", 0, 8)], [])
    assert '<a href="#note-7" id="claim-7"' in html
    assert "<mark>Ketamine</mark>" in html
    assert 'id="note-7"' in html
    assert "Supported" in html and "High certainty" in html


def test_text_and_quotes_are_escaped():
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": "<script>x</script> & co"})]
    html = render_body(blocks, [annotation(1, "p1", 0, 8, exact="<script>")], [])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&amp; co" in html


def test_a_note_is_sanitised_again():
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": "Some claim."})]
    note = '<p onclick="x()">ok</p><script>alert(1)</script>'
    html = render_body(blocks, [annotation(1, "p1", 0, 4, note_html=note)], [])
    assert "onclick" not in html and "alert(1)" not in html
    assert "<p>ok</p>" in html


def test_citation_groups_link_to_numbered_references():
    text = "Studies agree (2,4)."
    block = with_text({"id": "p1", "type": "paragraph", "text": text,
                       "cites": [{"start": 14, "end": 19, "refs": [2, 4]}]})
    refs = [{"number": 2, "id": 20, "title": "A"}, {"number": 4, "id": 40, "title": "B"}]
    html = render_body([block], [], refs)
    assert '(<a href="#ref-2" class="cite-ref" aria-label="Reference 2">2</a>,' in html
    assert 'href="#ref-4"' in html


def test_annotations_in_a_list_map_onto_its_items():
    block = with_text({"id": "l1", "type": "list", "ordered": False, "items": [
        {"text": "First item", "items": [{"text": "Nested one", "items": []}]},
        {"text": "Second", "items": []},
    ]})
    # "First item\nNested one\nSecond": "Nested" starts at 11.
    html = render_body([block], [annotation(3, "l1", 11, 17)], [])
    assert "<ul><li>First item<ul><li><a" in html
    assert "<mark>Nested</mark>" in html
    assert html.count("<ul>") == 2 and "<li>Second</li>" in html


def test_faq_heading_and_quote_render_semantically():
    blocks = [with_text(b) for b in [
        {"id": "h", "type": "heading", "level": 3, "text": "Risks"},
        {"id": "f", "type": "faq", "question": "Is it safe?", "answer": "Mostly."},
        {"id": "q", "type": "quote", "text": "A quote."},
    ]]
    html = render_body(blocks, [annotation(1, "f", 12, 18)], [])
    assert '<h3 id="b-h">Risks</h3>' in html
    assert "<dt>Is it safe?</dt>" in html and "<mark>Mostly</mark>" in html
    assert '<blockquote id="b-q"><p>A quote.</p></blockquote>' in html


def marked_segments(html, block_id):
    """Parse the body and return the visible text of block `block_id` and its marks in order.

    Each mark is a dict: its text, its offsets in the visible text (the screen-reader labels
    left out), the note its link points to and whether the link is marked as an overlap.
    """
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    (block,) = root.xpath(f'//*[@id="b-{block_id}"]')
    pieces = []

    def walk(element, mark):
        if element.text:
            pieces.append((element.text, mark))
        for child in element:
            if "visually-hidden" not in child.get("class", "").split():
                walk(child, child if child.tag == "mark" else mark)
            if child.tail:
                pieces.append((child.tail, mark))

    walk(block, None)
    marks, offset = [], 0
    for text, mark in pieces:
        if mark is not None and marks and marks[-1]["element"] is mark:
            marks[-1]["text"] += text
            marks[-1]["end"] += len(text)
        elif mark is not None:
            link = mark.getparent()
            marks.append({
                "element": mark, "text": text, "start": offset, "end": offset + len(text),
                "note": link.get("href") if link.tag == "a" else None,
                "overlap": "claim-overlap" in link.get("class", "").split(),
            })
        offset += len(text)
    return block, "".join(text for text, _ in pieces), marks


def assert_each_quote_is_marked_whole(marks, annotations, text):
    """The marks inside each annotation's range tile it exactly and read as its quote."""
    for item in annotations:
        inside = [m for m in marks if item["start"] <= m["start"] and m["end"] <= item["end"]]
        assert [m["start"] for m in inside[:1]] == [item["start"]], item["id"]
        assert all(a["end"] == b["start"] for a, b in itertools.pairwise(inside)), item["id"]
        assert inside[-1]["end"] == item["end"], item["id"]
        assert "".join(m["text"] for m in inside) == text[item["start"]:item["end"]]


def assert_links_are_flat(block):
    """Every mark sits in a claim link directly inside the block; no link holds another."""
    assert not block.xpath(".//a//a"), "a claim link nested inside another link"
    for mark in block.iter("mark"):
        link = mark.getparent()
        assert link.tag == "a" and "claim" in link.get("class", "").split()
        assert link.getparent() is block


def test_overlapping_passages_each_keep_a_link():
    text = "one two three four"
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": text})]
    # "one two three" and "two three four" cross: "two three" belongs to both.
    annotations = [annotation(1, "p1", 0, 13), annotation(2, "p1", 4, 18)]
    html = render_body(blocks, annotations, [])
    assert 'id="claim-1"' in html and 'id="claim-2"' in html

    block, visible, marks = marked_segments(html, "p1")
    assert visible == text
    # The shared words are one mark, linked to the shorter passage (1: 13 characters against
    # 14) and flagged as an overlap; each passage's own words link to its own note.
    assert [(m["text"], m["start"], m["end"], m["note"], m["overlap"]) for m in marks] == [
        ("one ", 0, 4, "#note-1", False),
        ("two three", 4, 13, "#note-1", True),
        (" four", 13, 18, "#note-2", False),
    ]
    assert_each_quote_is_marked_whole(marks, annotations, text)
    assert_links_are_flat(block)
    # Each passage's anchor is on the first link that shows it, once.
    assert [link.get("href") for link in block.xpath('.//a[@id="claim-1"]')] == ["#note-1"]
    assert [link.get("href") for link in block.xpath('.//a[@id="claim-2"]')] == ["#note-2"]
    assert block.xpath('.//a[@id="claim-1"]/mark')[0].text == "one "
    assert block.xpath('.//a[@id="claim-2"]/mark')[0].text == " four"


def test_a_passage_inside_another_owns_its_words():
    text = "one two three four"
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": text})]
    # "two three" lies inside the whole sentence: the inner passage owns its words, the outer
    # one is shown on both sides of it.
    annotations = [annotation(1, "p1", 0, 18), annotation(2, "p1", 4, 13)]
    html = render_body(blocks, annotations, [])

    block, visible, marks = marked_segments(html, "p1")
    assert visible == text
    assert [(m["text"], m["start"], m["end"], m["note"], m["overlap"]) for m in marks] == [
        ("one ", 0, 4, "#note-1", False),
        ("two three", 4, 13, "#note-2", True),
        (" four", 13, 18, "#note-1", False),
    ]
    assert_each_quote_is_marked_whole(marks, annotations, text)
    assert_links_are_flat(block)
    assert block.xpath('.//a[@id="claim-1"]/mark')[0].text == "one "
    assert block.xpath('.//a[@id="claim-2"]/mark')[0].text == "two three"
    assert len(block.xpath('.//a[@href="#note-1"]')) == 2


def test_an_annotation_outside_its_block_is_left_out():
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": "short"})]
    html = render_body(blocks, [annotation(1, "p1", 2, 50), annotation(2, "gone", 0, 2)], [])
    assert "note-1" not in html and "note-2" not in html
