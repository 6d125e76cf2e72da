"""Random edits of annotated articles, the requirement's verdict on where a note may go, and
two known-bad twins of `reanchor` that the properties must catch.

The requirement (DESIGN.md, "Anchoring"): when a revision is saved, each annotation is placed
again by an exact match of its quote in the same block, then by the quote with its prefix or
suffix anywhere, then by a fuzzy match above a threshold; whatever cannot be placed is
orphaned, never attached to the wrong text.

What that implies, and what the checks below assert (none of it read from the module):

- unchanged text keeps every note exactly where it was, even when its quote occurs twice;
- a passage that is still there word for word, with the words recorded either side of it
  (the selector's prefix and suffix), is found there, wherever its block went: moved, split,
  merged or pasted into another block; a copy of the quote elsewhere, without that context,
  is not it;
- one character changed, added or removed inside a quote of 20 or more characters (at least
  19 in 20 the same) leaves plainly the same passage: the note must re-anchor;
- a note lands only on its quote word for word or on text at least 4 in 5 the same as it
  (normalised Levenshtein similarity 0.8): anything less alike is different text;
- when no stretch of the new text has even 3 in 5 characters in common with the quote
  (rapidfuzz `partial_ratio` below 60), the note is orphaned.

`edited_article` draws an article with a quote (often repeated: before it in its block, in
other blocks, made of the same words as the text around it) and a random sequence of edits
that track where the annotated passage went: inserts and deletions anywhere (inside the quote
too), a character edited inside the quote, the quote replaced, blocks moved, split, merged,
duplicated and deleted, passages cut and pasted into other blocks, and copies of the quote
pasted with part of its context. The words include accented letters, a combining accent and
astral emoji (code points, as Python and the W3C TextPositionSelector count them).
"""

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from articles.blocks import block_text, with_text
from evidence.anchoring import Anchor, Placement

# The selector's context is up to 32 characters either side of the quote (API.md; tested in
# test_anchoring.test_quote_context_takes_up_to_32_characters_either_side).
SELECTOR_CONTEXT = 32
# The requirement's thresholds, as stated in the module docstring above.
SMALL_EDIT_MIN_QUOTE = 20
LEAST_LIKE_THE_QUOTE = 0.8
PLAINLY_DIFFERENT_BELOW = 60

FILLER = ["the", "a", "of", "in", "may", "help", "mood", "sleep", "dose", "adults", "trial",
          "ketamine", "café", "naïve", "Straße", "中文", "e\u0301", "💊", "🧪", "😀",
          "👩\u200d⚕\ufe0f", "🇬🇧"]
CLAIM = ["esketamine", "nasal", "spray", "remission", "placebo", "week", "42", "%", "RCT",
         "suicidal", "ideation", "🧠", "μg/kg", "Ωmega"]
# Text no quote is made of: what replaces a quote that is rewritten beyond recognition.
UNLIKE = ["zygote", "quartz", "lynx", "vortex", "jukebox", "fjord", "wyvern", "xylem"]


@dataclass
class Case:
    """An article, one annotation on it, the edited article, and where the passage went."""

    old_blocks: list
    anchor: Anchor
    new_blocks: list
    # (block id, start, end) of the annotated passage in the new text (edited or not), or
    # None when the edits destroyed it (deleted, replaced, or split across two blocks).
    target: tuple | None
    edits: list


def paragraph(block_id, text):
    return with_text({"id": block_id, "type": "paragraph", "text": text})


def anchor_at(text, block_id, start, end):
    """The selector of text[start:end]: the quote and up to 32 characters either side."""
    return Anchor(
        block_id, start, end, text[start:end],
        text[max(0, start - SELECTOR_CONTEXT) : start], text[end : end + SELECTOR_CONTEXT],
    )


def _words(vocabulary, min_size=1, max_size=10):
    return st.lists(st.sampled_from(vocabulary), min_size=min_size, max_size=max_size).map(
        " ".join
    )


class _Edits:
    """Blocks being edited, and the annotated passage's range followed through each edit."""

    def __init__(self, blocks, target):
        self.blocks = [[b["id"], b["text"]] for b in blocks]
        self.target = list(target)
        self.log = []
        self.serial = 0

    def new_id(self):
        self.serial += 1
        return f"n{self.serial}"

    def index_of(self, block_id):
        return next(i for i, (bid, _) in enumerate(self.blocks) if bid == block_id)

    def insert(self, index, at, words):
        block_id, text = self.blocks[index]
        self.blocks[index][1] = text[:at] + words + text[at:]
        if self.target and self.target[0] == block_id:
            _, start, end = self.target
            # At the quote's start the words go before it; at its end, after it.
            self.target[1] = start + len(words) if at <= start else start
            self.target[2] = end + len(words) if at < end else end

    def delete(self, index, a, b):
        block_id, text = self.blocks[index]
        self.blocks[index][1] = text[:a] + text[b:]
        if self.target and self.target[0] == block_id:
            _, start, end = self.target

            def moved(x):
                return x if x <= a else a if x <= b else x - (b - a)

            self.target[1:] = [moved(start), moved(end)]
            if self.target[1] >= self.target[2]:
                self.target = None

    def kill_target_if_in(self, block_id):
        if self.target and self.target[0] == block_id:
            self.target = None


@st.composite
def edited_article(draw, words=FILLER, max_edits=5):
    """Draw a Case: an annotated article and a random sequence of edits (see module doc)."""
    # "edits": any edits; "typo": a character edited inside the quote, blocks moved about;
    # "reword": several characters of the quote edited (anywhere from plainly the same
    # passage to plainly another); "rewrite": a quote without copies is deleted or rewritten.
    scenario = draw(st.sampled_from(["edits", "edits", "typo", "reword", "rewrite"]))
    copies = scenario != "rewrite"
    vocabulary = "claim" if not copies else draw(st.sampled_from(["claim", "filler", "mixed"]))
    quote_words = {"claim": CLAIM, "filler": words, "mixed": CLAIM + words}[vocabulary]
    quote = draw(_words(quote_words, 1, 8))
    # Sometimes a quote that starts or ends inside a word.
    cut_start = draw(st.integers(0, min(3, len(quote) - 1)))
    cut_end = draw(st.integers(0, min(3, len(quote) - cut_start - 1)))
    quote = quote[cut_start : len(quote) - cut_end]
    if not quote.strip():
        quote = draw(st.sampled_from(CLAIM))
    quote = quote.strip()
    sentence = _words(words, 0, 10)

    # The quote's block: filler, maybe a copy of the quote first, the quote, maybe another copy.
    parts = [draw(sentence)]
    if copies and draw(st.booleans()):
        parts += [quote, draw(sentence)]
    target_part = len(parts)
    parts.append(quote)
    parts.append(draw(sentence))
    if copies and draw(st.booleans()):
        parts += [quote, draw(sentence)]
    separator = draw(st.sampled_from([" ", "", "\n"]))
    text = ""
    for i, part in enumerate(parts):
        if i == target_part:
            start = len(text)
        text += part + (separator if i < len(parts) - 1 else "")
    other = st.one_of(sentence, st.just(quote), sentence.map(lambda s: f"{s} {quote} {s}"))
    others = draw(st.lists(other if copies else sentence, max_size=4))
    index = draw(st.integers(0, len(others)))
    texts = others[:index] + [text] + others[index:]
    old_blocks = [paragraph(f"b{i}", t) for i, t in enumerate(texts)]
    anchor = anchor_at(text, f"b{index}", start, start + len(quote))

    state = _Edits(old_blocks, (anchor.block_id, anchor.start, anchor.end))
    if scenario == "reword":
        for _ in range(draw(st.integers(2, max(2, len(quote) // 2)))):
            _edit(draw, state, anchor, words, kind="edit_quote")
    elif scenario != "edits":
        first = "edit_quote" if scenario == "typo" else draw(
            st.sampled_from(["replace_quote", "delete_quote"])
        )
        _edit(draw, state, anchor, words, kind=first)
        for _ in range(draw(st.integers(0, 2))):
            _edit(draw, state, anchor, words, kind=draw(st.sampled_from(BLOCK_EDITS)))
    else:
        for _ in range(draw(st.integers(0, max_edits))):
            _edit(draw, state, anchor, words)
    if not state.blocks:
        state.blocks = [[state.new_id(), draw(sentence)]]
    new_blocks = [paragraph(bid, t) for bid, t in state.blocks]
    target = tuple(state.target) if state.target else None
    return Case(old_blocks, anchor, new_blocks, target, state.log)


EDITS = ["insert", "delete", "edit_quote", "replace_quote", "delete_quote", "move_block",
         "split", "merge", "cut_paste", "copy_quote", "duplicate_block", "new_block",
         "delete_block"]


BLOCK_EDITS = ["move_block", "new_block", "duplicate_block"]


def _edit(draw, state, anchor, words, kind=None):
    kind = kind or draw(st.sampled_from(EDITS))
    blocks = state.blocks
    if not blocks:
        return
    index = draw(st.integers(0, len(blocks) - 1))
    block_id, text = blocks[index]
    target = tuple(state.target) if state.target else None
    if kind == "insert":
        at = draw(st.integers(0, len(text)))
        inserted = " " + draw(_words(words + CLAIM, 1, 6)) + " "
        state.insert(index, at, inserted)
        state.log.append(("insert", block_id, at, inserted))
    elif kind == "delete" and text:
        a = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(a + 1, min(len(text), a + 40)))
        state.delete(index, a, b)
        state.log.append(("delete", block_id, a, b))
    elif kind == "edit_quote" and target:
        index = state.index_of(target[0])
        _, start, end = target
        how = draw(st.sampled_from(["substitute", "add", "remove"]))
        char = draw(st.sampled_from("aeiouxyz💊é ·" + "".join(CLAIM)))
        if how == "substitute":
            at = draw(st.integers(start, end - 1))
            text = state.blocks[index][1]
            state.blocks[index][1] = text[:at] + char + text[at + 1 :]  # one code point
        elif how == "add" and end - start > 1:
            at = draw(st.integers(start + 1, end - 1))
            state.insert(index, at, char)
        elif how == "remove" and end - start > 1:
            at = draw(st.integers(start, end - 1))
            state.delete(index, at, at + 1)
        state.log.append(("edit_quote", how))
    elif kind == "replace_quote" and target:
        index = state.index_of(target[0])
        _, start, end = target
        state.delete(index, start, end)
        state.target = None
        replacement = draw(_words(UNLIKE, 1, 4))
        block_text_now = state.blocks[index][1]
        state.blocks[index][1] = block_text_now[:start] + replacement + block_text_now[start:]
        state.log.append(("replace_quote", replacement))
    elif kind == "delete_quote" and target:
        index = state.index_of(target[0])
        length = len(state.blocks[index][1])
        a = draw(st.integers(max(0, target[1] - 40), target[1]))
        b = draw(st.integers(target[2], min(length, target[2] + 40)))
        state.delete(index, a, b)
        state.log.append(("delete_quote", target[0], a, b))
    elif kind == "move_block" and len(blocks) > 1:
        moved = blocks.pop(index)
        to = draw(st.integers(0, len(blocks)))
        blocks.insert(to, moved)
        state.log.append(("move_block", block_id, to))
    elif kind == "split":
        at = draw(st.integers(0, len(text)))
        new_id = state.new_id()
        blocks[index][1] = text[:at]
        blocks.insert(index + 1, [new_id, text[at:]])
        if target and target[0] == block_id:
            if target[1] >= at:
                state.target = [new_id, target[1] - at, target[2] - at]
            elif target[2] > at:
                state.target = None  # the quote is now in two blocks
        state.log.append(("split", block_id, at, new_id))
    elif kind == "merge" and index + 1 < len(blocks):
        next_id, next_text = blocks.pop(index + 1)
        joint = draw(st.sampled_from([" ", ""]))
        blocks[index][1] = text + joint + next_text
        if target and target[0] == next_id:
            offset = len(text) + len(joint)
            state.target = [block_id, target[1] + offset, target[2] + offset]
        state.log.append(("merge", block_id, next_id))
    elif kind == "cut_paste" and text:
        a = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(a + 1, len(text)))
        piece = text[a:b]
        carried = bool(target and target[0] == block_id and a <= target[1] and target[2] <= b)
        offset_in_piece = target[1] - a if carried else 0
        state.delete(index, a, b)
        # Paste into another block, or into a new one.
        choices = [i for i in range(len(blocks)) if i != index]
        if choices and draw(st.booleans()):
            into = draw(st.sampled_from(choices))
        else:
            into = draw(st.integers(0, len(blocks)))
            blocks.insert(into, [state.new_id(), ""])
        at = draw(st.integers(0, len(blocks[into][1])))
        if carried:
            state.target = None
            state.insert(into, at, piece)
            state.target = [
                blocks[into][0], at + offset_in_piece,
                at + offset_in_piece + (target[2] - target[1]),
            ]
        else:
            state.insert(into, at, piece)
        state.log.append(("cut_paste", block_id, a, b, blocks[into][0], at))
    elif kind == "copy_quote":
        before = draw(st.integers(0, len(anchor.prefix)))
        after = draw(st.integers(0, len(anchor.suffix)))
        copy = anchor.prefix[len(anchor.prefix) - before :] + anchor.exact + anchor.suffix[:after]
        at = draw(st.integers(0, len(text)))
        state.insert(index, at, copy)
        state.log.append(("copy_quote", block_id, at, copy))
    elif kind == "duplicate_block":
        new_id = state.new_id()
        blocks.insert(draw(st.integers(0, len(blocks))), [new_id, text])
        state.log.append(("duplicate_block", block_id, new_id))
    elif kind == "new_block":
        new_id = state.new_id()
        blocks.insert(draw(st.integers(0, len(blocks))), [new_id, draw(_words(words, 1, 8))])
        state.log.append(("new_block", new_id))
    elif kind == "delete_block" and len(blocks) > 1:
        blocks.pop(index)
        state.kill_target_if_in(block_id)
        state.log.append(("delete_block", block_id))


# The requirement's verdicts --------------------------------------------------------------------


def similarity(a, b):
    return Levenshtein.normalized_similarity(a, b)


def texts_of(blocks):
    return {b["id"]: block_text(b) for b in blocks}


def place(reanchor, case):
    [placement] = reanchor(case.old_blocks, case.new_blocks, [case.anchor])
    return placement


def _sides(case, text, start, end):
    """(weak, strict): does the passage keep the recorded context on both sides / one side?

    Weak: the recorded prefix is right before it and the suffix right after. Strict, for a
    side: that context is the whole of what the selector would record there now (where the
    prefix was the start of the block, the block must still start there).
    """
    old_text = texts_of(case.old_blocks)[case.anchor.block_id]
    anchor = case.anchor
    old_before, old_after = old_text[: anchor.start], old_text[anchor.end :]
    before, after = text[:start], text[end:]
    prefix_weak = before.endswith(anchor.prefix)
    suffix_weak = after.startswith(anchor.suffix)
    prefix_strict = prefix_weak and (anchor.prefix != old_before or before == old_before)
    suffix_strict = suffix_weak and (anchor.suffix != old_after or after == old_after)
    return prefix_weak and suffix_weak, prefix_strict or suffix_strict, (
        prefix_strict and suffix_strict
    )


def with_context(case):
    """Every place in the new text that holds the quote with its recorded prefix and suffix."""
    exact = case.anchor.exact
    found = []
    for block_id, text in texts_of(case.new_blocks).items():
        position = text.find(exact)
        while position != -1:
            weak, _, _ = _sides(case, text, position, position + len(exact))
            if weak:
                found.append((block_id, position, position + len(exact)))
            position = text.find(exact, position + 1)
    return found


def check_never_on_other_words(reanchor, case):
    """A note lands only on its quote, word for word, or on text plainly like it."""
    placement = place(reanchor, case)
    if placement is None:
        return
    texts = texts_of(case.new_blocks)
    assert placement.block_id in texts, placement
    text = texts[placement.block_id]
    assert 0 <= placement.start < placement.end <= len(text), placement
    placed = text[placement.start : placement.end]
    assert placed == placement.exact, (placed, placement)
    assert text[: placement.start].endswith(placement.prefix), placement
    assert text[placement.end :].startswith(placement.suffix), placement
    assert placed == case.anchor.exact or (
        similarity(placed, case.anchor.exact) >= LEAST_LIKE_THE_QUOTE
    ), f"the note on {case.anchor.exact!r} was put on {placed!r}"


def check_unchanged_text_keeps_the_place(reanchor, case):
    """Saving the same text again leaves the note on the very words it marked."""
    placement = place(reanchor, Case(case.old_blocks, case.anchor, case.old_blocks,
                                     (case.anchor.block_id, case.anchor.start, case.anchor.end),
                                     []))
    assert placement is not None, "unchanged text, yet the note was orphaned"
    anchor = case.anchor
    assert (placement.block_id, placement.start, placement.end) == (
        anchor.block_id, anchor.start, anchor.end
    ), f"the note on {anchor.exact!r} moved from {anchor.start} to {placement.start}"


def check_kept_passage_is_found_where_it_is(reanchor, case):
    """The passage, still there with its context, is found there and not on a copy."""
    if case.target is None:
        return
    block_id, start, end = case.target
    text = texts_of(case.new_blocks)[block_id]
    if text[start:end] != case.anchor.exact:
        return  # edited: see the small-edit property
    weak, strict_side, _ = _sides(case, text, start, end)
    if not (weak and strict_side):
        return  # its context changed: a copy could as well be the one meant
    candidates = with_context(case)
    assert case.target in candidates  # the generator's bookkeeping
    placement = place(reanchor, case)
    assert placement is not None, (
        f"{case.anchor.exact!r} is still in block {block_id} at {start} with its context, "
        "but the note was orphaned"
    )
    found = (placement.block_id, placement.start, placement.end)
    assert found in candidates, (
        f"{case.anchor.exact!r} is in block {block_id} at {start} with its context; the note "
        f"went to block {found[0]} at {found[1]}"
    )


def check_small_edit_reanchors(reanchor, case):
    """One character changed inside a long quote, context intact: plainly the same passage."""
    if case.target is None or len(case.anchor.exact) < SMALL_EDIT_MIN_QUOTE:
        return
    block_id, start, end = case.target
    text = texts_of(case.new_blocks)[block_id]
    edited = text[start:end]
    if edited == case.anchor.exact or Levenshtein.distance(edited, case.anchor.exact) != 1:
        return
    _, _, both_strict = _sides(case, text, start, end)
    if not both_strict:
        return
    placement = place(reanchor, case)
    assert placement is not None, (
        f"{case.anchor.exact!r} became {edited!r} (one character), but the note was orphaned"
    )
    placed = texts_of(case.new_blocks)[placement.block_id][placement.start : placement.end]
    assert similarity(placed, case.anchor.exact) >= similarity(edited, case.anchor.exact), (
        f"{case.anchor.exact!r} became {edited!r}; the note went to {placed!r}"
    )


def check_plainly_different_text_orphans(reanchor, case):
    """When nothing in the new text resembles the quote, the note is orphaned."""
    exact = case.anchor.exact
    if any(fuzz.partial_ratio(exact, text) >= PLAINLY_DIFFERENT_BELOW
           for text in texts_of(case.new_blocks).values()):
        return
    placement = place(reanchor, case)
    assert placement is None, f"nothing is like {exact!r}, yet the note went to {placement}"


# Known-bad twins ------------------------------------------------------------------------------


def naive_reanchor(blocks_old, blocks_new, anchors):
    """Same block id, first occurrence, no context, no fuzzy step: what the properties missed."""
    texts = texts_of(blocks_new)
    placements = []
    for anchor in anchors:
        text = texts.get(anchor.block_id, "")
        if anchor.exact not in text:
            placements.append(None)
            continue
        start = text.index(anchor.exact)
        end = start + len(anchor.exact)
        placements.append(Placement(anchor.block_id, start, end, anchor.exact,
                                    text[max(0, start - 32) : start], text[end : end + 32],
                                    "naive"))
    return placements


def reckless_reanchor(blocks_old, blocks_new, anchors):
    """Puts every note on the most similar stretch of text it can find, however unlike."""
    texts = texts_of(blocks_new)
    placements = []
    for anchor in anchors:
        best = None
        for block_id, text in texts.items():
            found = fuzz.partial_ratio_alignment(anchor.exact, text) if text.strip() else None
            if found and found.dest_end > found.dest_start and (
                best is None or found.score > best[0]
            ):
                best = (found.score, block_id, text, found.dest_start, found.dest_end)
        if best is None:
            placements.append(None)
            continue
        _, block_id, text, start, end = best
        placements.append(Placement(block_id, start, end, text[start:end],
                                    text[max(0, start - 32) : start], text[end : end + 32],
                                    "reckless"))
    return placements


TWIN_SEARCH = settings(
    max_examples=400, derandomize=True, database=None, phases=[Phase.generate],
    deadline=None, suppress_health_check=list(HealthCheck),
)


def counterexample(check, twin, strategy):
    """Return a case the known-bad `twin` fails `check` on, or None if hypothesis found none."""

    def fails(case):
        try:
            check(twin, case)
        except AssertionError:
            return True
        return False

    try:
        return find(strategy, fails, settings=TWIN_SEARCH)
    except NoSuchExample:
        return None
