"""Sentences: split within blocks, with offsets that are the annotations' W3C selectors."""

import pytest

from articles.blocks import block_starts, block_text, plain_text, with_text
from spotting.sentences import revision_sentences

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral


def blocks():
    return [with_text(b) for b in [
        {"id": "h", "type": "heading", "level": 2, "text": "How ketamine works"},
        {"id": "p", "type": "paragraph",
         "text": "Dr. Rao gave 0.5 mg/kg, e.g. over 40 min. It lowered pain (1,2). Why? "
                 "Nobody knows 😀 yet."},
        {"id": "l", "type": "list", "items": [
            {"text": "Nausea is common.", "items": [{"text": "It passes within an hour."}]},
            {"text": "Dizziness"},
        ]},
        {"id": "f", "type": "faq", "question": "Is it addictive?",
         "answer": "It can be misused. Clinics supervise every dose."},
    ]]


def test_blocks_split_into_sentences_with_headings_items_and_faq_parts():
    found = [(s.block_id, s.role, s.text) for s in revision_sentences(blocks())]
    assert found == [
        ("h", "heading", "How ketamine works"),
        ("p", "paragraph", "Dr. Rao gave 0.5 mg/kg, e.g. over 40 min."),
        ("p", "paragraph", "It lowered pain (1,2)."),
        ("p", "paragraph", "Why?"),
        ("p", "paragraph", "Nobody knows 😀 yet."),
        ("l", "item", "Nausea is common."),
        ("l", "item", "It passes within an hour."),
        ("l", "item", "Dizziness"),
        ("f", "question", "Is it addictive?"),
        ("f", "answer", "It can be misused."),
        ("f", "answer", "Clinics supervise every dose."),
    ]


def test_offsets_read_back_from_the_block_and_from_the_public_plain_text():
    content = blocks()
    text = plain_text(content)
    starts = block_starts(content)
    by_id = {b["id"]: block_text(b) for b in content}
    for sentence in revision_sentences(content):
        assert by_id[sentence.block_id][sentence.start:sentence.end] == sentence.text
        quote, position = sentence.selector()
        assert quote["type"] == "TextQuoteSelector" and quote["exact"] == sentence.text
        assert position["type"] == "TextPositionSelector"
        # Code points, as the W3C selector counts them: the emoji is one character.
        assert text[position["start"]:position["end"]] == sentence.text
        assert position["start"] == starts[sentence.block_id] + sentence.start
        assert text[position["start"] - len(quote["prefix"]):position["start"]] == quote["prefix"]
        assert text[position["end"]:position["end"] + len(quote["suffix"])] == quote["suffix"]


def test_prefix_and_suffix_are_the_annotation_context_within_the_block():
    from evidence.annotations import compute_anchor

    content = blocks()
    for sentence in revision_sentences(content):
        anchor = compute_anchor(content, block_id=sentence.block_id, start=sentence.start,
                                end=sentence.end)
        assert anchor[3:] == (sentence.text, sentence.prefix, sentence.suffix)
