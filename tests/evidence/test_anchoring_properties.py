"""Property-based checks of re-anchoring: random edits never put an annotation on wrong words."""

import os

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from articles.blocks import with_text
from evidence.anchoring import FUZZY_THRESHOLD, Anchor, quote_context, reanchor

# Ordinary words are lower case; the quote is upper case and digits, so no edit made of
# ordinary words can recreate it or anything close to it.
WORDS = st.sampled_from(
    ["ketamine", "dose", "mood", "sleep", "the", "a", "of", "trial", "adults", "may", "help"]
)
SENTENCE = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)
# At least 12 characters: a shorter quote whose context was rewritten on both sides is
# orphaned on purpose (too likely to recur by chance).
QUOTE = (
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789 ", min_size=12, max_size=40)
    .map(lambda s: "Q" + s.strip() + "Z")
    .filter(lambda quote: len(quote) >= 12)
)
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("KETASITE_PROPERTY_EXAMPLES", 100)), deadline=None
)


@st.composite
def article_with_quote(draw):
    texts = draw(st.lists(SENTENCE, min_size=1, max_size=5))
    index = draw(st.integers(0, len(texts) - 1))
    quote = draw(QUOTE)
    before, after = draw(SENTENCE), draw(SENTENCE)
    texts[index] = f"{before} {quote} {after}"
    blocks = [with_text({"id": f"b{i}", "type": "paragraph", "text": t}) for i, t in
              enumerate(texts)]
    start = len(before) + 1
    exact, prefix, suffix = quote_context(texts[index], start, start + len(quote))
    return blocks, Anchor(f"b{index}", start, start + len(quote), exact, prefix, suffix)


def _replace_block_text(blocks, block_id, text):
    return [with_text({**b, "text": text}) if b["id"] == block_id else b for b in blocks]


@st.composite
def edit_away_from_quote(draw, blocks, anchor):
    """Return blocks with edits that leave the quoted characters intact."""
    blocks = list(blocks)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "new_block", "other_block"]))
        text = next(b["text"] for b in blocks if b["id"] == anchor.block_id)
        start = text.index(anchor.exact)
        end = start + len(anchor.exact)
        if kind == "insert":
            at = draw(st.sampled_from([draw(st.integers(0, start)),
                                       draw(st.integers(end, len(text)))]))
            text = text[:at] + draw(SENTENCE) + " " + text[at:]
        elif kind == "delete":
            if draw(st.booleans()) and start > 0:
                a = draw(st.integers(0, start - 1))
                b = draw(st.integers(a + 1, start))
            elif end < len(text):
                a = draw(st.integers(end, len(text) - 1))
                b = draw(st.integers(a + 1, len(text)))
            else:
                continue
            text = text[:a] + text[b:]
        elif kind == "new_block":
            position = draw(st.integers(0, len(blocks)))
            new = with_text({"id": f"new{len(blocks)}", "type": "paragraph",
                             "text": draw(SENTENCE)})
            blocks.insert(position, new)
            continue
        else:
            others = [b for b in blocks if b["id"] != anchor.block_id]
            if not others:
                continue
            other = draw(st.sampled_from(others))
            blocks = _replace_block_text(blocks, other["id"], draw(SENTENCE))
            continue
        blocks = _replace_block_text(blocks, anchor.block_id, text)
    return blocks


@PROPERTY_SETTINGS
@given(st.data())
def test_edits_that_leave_the_quote_alone_keep_it_on_the_same_words(data):
    blocks, anchor = data.draw(article_with_quote())
    new_blocks = data.draw(edit_away_from_quote(blocks, anchor))
    [placement] = reanchor(blocks, new_blocks, [anchor])
    assert placement is not None
    assert placement.block_id == anchor.block_id
    new_text = next(b["text"] for b in new_blocks if b["id"] == anchor.block_id)
    assert new_text[placement.start : placement.end] == anchor.exact
    assert placement.start == new_text.index(anchor.exact)


@PROPERTY_SETTINGS
@given(st.data())
def test_edits_that_delete_the_quote_orphan_it(data):
    blocks, anchor = data.draw(article_with_quote())
    text = next(b["text"] for b in blocks if b["id"] == anchor.block_id)
    cut_start = data.draw(st.integers(0, anchor.start))
    cut_end = data.draw(st.integers(anchor.end, len(text)))
    replacement = data.draw(SENTENCE) if cut_start == 0 and cut_end == len(text) else ""
    new_blocks = _replace_block_text(
        blocks, anchor.block_id, text[:cut_start] + replacement + text[cut_end:]
    )
    if data.draw(st.booleans()):
        new_blocks = [b for b in new_blocks if b["id"] != anchor.block_id] or [
            with_text({"id": "only", "type": "paragraph", "text": "mood"})
        ]
    assert reanchor(blocks, new_blocks, [anchor]) == [None]


@PROPERTY_SETTINGS
@given(st.data())
def test_any_edit_never_anchors_on_text_unlike_the_quote(data):
    blocks, anchor = data.draw(article_with_quote())
    text = next(b["text"] for b in blocks if b["id"] == anchor.block_id)
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, min(len(text), a + 10)))
    inserted = data.draw(st.text(alphabet="abcXYZ 23", max_size=6))
    new_blocks = _replace_block_text(blocks, anchor.block_id, text[:a] + inserted + text[b:])
    [placement] = reanchor(blocks, new_blocks, [anchor])
    if placement is not None:
        new_text = next(x["text"] for x in new_blocks if x["id"] == placement.block_id)
        found = new_text[placement.start : placement.end]
        assert found == placement.exact
        assert found == anchor.exact or (
            Levenshtein.normalized_similarity(found, anchor.exact) >= FUZZY_THRESHOLD
        )
