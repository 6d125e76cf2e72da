"""Property-based checks of re-anchoring: random edits never put an annotation on wrong words,
and never lose one whose words are still there.

The articles, edits and verdicts are in tests/evidence/anchoring_cases.py (read its docstring
for what the requirement implies). Each property runs against `evidence.anchoring.reanchor`
and must hold; it also runs against a known-bad twin (a naive same-block `str.index`, or a
reckless fuzzy match without a threshold) and must fail: that proves, on every run, that the
properties can find a broken re-anchoring.
"""

import os

import pytest
from hypothesis import example, given, settings

from evidence.anchoring import reanchor
from tests.evidence.anchoring_cases import (
    Case,
    anchor_at,
    check_kept_passage_is_found_where_it_is,
    check_never_on_other_words,
    check_plainly_different_text_orphans,
    check_small_edit_reanchors,
    check_unchanged_text_keeps_the_place,
    counterexample,
    edited_article,
    naive_reanchor,
    paragraph,
    reckless_reanchor,
)

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("KETASITE_PROPERTY_EXAMPLES", 100)), deadline=None
)


@PROPERTY_SETTINGS
@given(case=edited_article())
def test_unchanged_text_keeps_every_note_in_its_place(case):
    check_unchanged_text_keeps_the_place(reanchor, case)


def a_copy_inserted_at_the_block_start():
    """Found by this suite: "the" at the start of " the the" is annotated, and " the " is
    inserted before it. The inserted copy now starts the block as the quote did, but only the
    annotated one still has " " before it and " the" after it; the note went to the copy."""
    old, new = " the the", " the  the the"
    return Case([paragraph("b0", old)], anchor_at(old, "b0", 1, 4), [paragraph("b0", new)],
                ("b0", 6, 9), [("insert", "b0", 0, " the ")])


@PROPERTY_SETTINGS
@given(case=edited_article())
@example(case=a_copy_inserted_at_the_block_start())
def test_a_passage_still_there_with_its_context_is_found_there(case):
    check_kept_passage_is_found_where_it_is(reanchor, case)


def two_copies_each_one_typo_away():
    """Found by this suite: the quote twice in a block, a character gone from the first copy
    and one added to the annotated second. The note went to the first copy (the fuzzy step
    took the best-scoring alignment and ignored the context the second one kept)."""
    quote = "RCT ideation Ωmega ideation ideation placebo 42 ideati"
    head = "e\u0301 ketamine"
    old = f"{head}{quote}{head}{quote}may 😀 a"
    start = len(head) * 2 + len(quote)
    first = quote.replace("ideation ideation", "ideation ieation")
    second = quote.replace("RCT ideation", "RCT ideat ion")
    new = f"{head}{first}{head}{second}may 😀 a"
    new_start = start - 1
    return Case(
        [paragraph("b0", old)], anchor_at(old, "b0", start, start + len(quote)),
        [paragraph("b0", new), paragraph("n1", "d")],
        ("b0", new_start, new_start + len(second)),
        [("cut_paste", "b0", 40, 41, "n1", 0), ("edit_quote", "add")],
    )


@PROPERTY_SETTINGS
@given(case=edited_article())
@example(case=two_copies_each_one_typo_away())
def test_one_character_edited_inside_a_long_quote_reanchors(case):
    check_small_edit_reanchors(reanchor, case)


@PROPERTY_SETTINGS
@given(case=edited_article())
def test_a_note_never_lands_on_words_unlike_its_quote(case):
    check_never_on_other_words(reanchor, case)


@PROPERTY_SETTINGS
@given(case=edited_article())
def test_a_quote_with_nothing_like_it_left_is_orphaned(case):
    check_plainly_different_text_orphans(reanchor, case)


TWINS = [
    # Same block id and the first occurrence: a repeated quote moves the note.
    (naive_reanchor, check_unchanged_text_keeps_the_place),
    # Same block id only: a passage split or pasted into another block is lost; the first
    # occurrence is a copy without the context.
    (naive_reanchor, check_kept_passage_is_found_where_it_is),
    # No fuzzy step: a typo fixed inside the quote orphans the note.
    (naive_reanchor, check_small_edit_reanchors),
    # No threshold: the note goes to whatever text is least unlike it.
    (reckless_reanchor, check_never_on_other_words),
    (reckless_reanchor, check_plainly_different_text_orphans),
]


@pytest.mark.parametrize(
    ("twin", "check"), TWINS, ids=[f"{t.__name__}-{c.__name__}" for t, c in TWINS]
)
def test_each_property_catches_a_known_bad_twin(twin, check):
    found = counterexample(check, twin, edited_article())
    assert found is not None, f"{check.__name__} let {twin.__name__} through"
    # The same case is one the real re-anchoring gets right.
    check(reanchor, found)
