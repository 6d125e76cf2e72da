"""The annotated body: marks, notes, citations and semantic blocks, all escaped."""

from articles.blocks import with_text
from articles.rendering import render_body


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


def test_overlapping_passages_each_keep_a_link():
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": "one two three four"})]
    html = render_body(blocks, [annotation(1, "p1", 0, 13), annotation(2, "p1", 4, 18)], [])
    assert 'id="claim-1"' in html and 'id="claim-2"' in html


def test_an_annotation_outside_its_block_is_left_out():
    blocks = [with_text({"id": "p1", "type": "paragraph", "text": "short"})]
    html = render_body(blocks, [annotation(1, "p1", 2, 50), annotation(2, "gone", 0, 2)], [])
    assert "note-1" not in html and "note-2" not in html
