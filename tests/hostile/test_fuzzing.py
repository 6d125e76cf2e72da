"""Fuzzing: random bytes and text never crash the importer, and random Unicode (combining
marks, emoji, direction marks) never makes anchoring put a note on the wrong words."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.importing import import_bytes
from articles.importing.decoding import ImportFailure
from articles.importing.parser import parse_document
from evidence.anchoring import reanchor
from tests.conftest import make_user
from tests.evidence.anchoring_cases import (
    check_kept_passage_is_found_where_it_is,
    check_never_on_other_words,
    check_plainly_different_text_orphans,
    check_small_edit_reanchors,
    check_unchanged_text_keeps_the_place,
    counterexample,
    edited_article,
    naive_reanchor,
    reckless_reanchor,
)

FORMATS = st.sampled_from([None, "text", "markdown", "html"])
FILENAMES = st.sampled_from(["", "a.txt", "a.md", "a.html", "a.htm", "noext", "a.pdf"])
MARKUP = st.sampled_from(["<p>", "</p>", "<div>", "# ", "* ", "> ", "<h1>", "</h1>", "\n\n",
                          "<!--", "-->", "<![CDATA[", "&amp;", "&#0;", "\x00", "\r", "\t",
                          "[x](y)", "References", "doi:10.1/x", "PMID: 123"])
HOSTILE_TEXT = st.lists(st.one_of(st.text(max_size=40), MARKUP), max_size=40).map("".join)
PARSE_SETTINGS = settings(max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
IMPORT_SETTINGS = settings(max_examples=30, deadline=None,
                           suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])


def check_parse(data, filename, kind):
    try:
        parsed = parse_document(data, filename=filename, format=kind)
    except ImportFailure as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert isinstance(parsed.title, str)
    for block in parsed.blocks:
        assert block["id"] and block["type"]


@PARSE_SETTINGS
@given(data=st.binary(max_size=2000), filename=FILENAMES, kind=FORMATS)
def test_random_bytes_parse_or_fail_readably(data, filename, kind):
    check_parse(data, filename, kind)


@PARSE_SETTINGS
@given(text=HOSTILE_TEXT, filename=FILENAMES, kind=FORMATS,
       encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "latin-1"]))
def test_random_text_parses_or_fails_readably(text, filename, kind, encoding):
    check_parse(text.encode(encoding, "replace"), filename, kind)


@IMPORT_SETTINGS
@given(data=st.one_of(st.binary(max_size=600), HOSTILE_TEXT.map(str.encode)),
       filename=FILENAMES, kind=FORMATS)
def test_random_imports_are_created_or_fail_readably(db, data, filename, kind):
    actor = make_user("Editors")
    outcome = import_bytes(data, filename=filename, format=kind, actor=actor)
    assert outcome.result in ("created", "new_revision", "unchanged", "failed")
    if outcome.failed:
        assert outcome.error and "\n" not in outcome.error
        assert outcome.article is None
    else:
        assert outcome.article.pk and outcome.article.draft_id


# Anchoring with hostile Unicode ----------------------------------------------------------------
# The articles and edits of tests/evidence/anchoring_cases.py, written in hostile Unicode: the
# quote and the text around it are made of combining marks, emoji sequences, direction and
# zero-width marks and letters that change length when case-folded, so a quote recurs, and a
# one-character edit can be half of an emoji or a lone combining mark.

COMBINING = [chr(c) for c in (0x0300, 0x0301, 0x0308, 0x0327, 0x036F)]
EMOJI = ["😀", "👩\u200d⚕\ufe0f", "🇬🇧", "💊", "❤\ufe0f", "🧪", "𝔘𝔫𝔦"]
DIRECTION = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
             "\u2066", "\u2067", "\u2068", "\u2069", "\u061c"]
HOSTILE_WORDS = [
    *COMBINING, *EMOJI, *DIRECTION, "é", "e\u0301", "ß", "ﬁ", "İ", "عربي", "עברית", "中文",
    "\u00a0", "\u200b", "dose", "mood", "ketamine",
]
ANCHOR_SETTINGS = settings(max_examples=80, deadline=None)
HOSTILE_ARTICLES = edited_article(words=HOSTILE_WORDS)


@ANCHOR_SETTINGS
@given(case=HOSTILE_ARTICLES)
def test_unchanged_unicode_text_keeps_every_anchor_in_place(case):
    check_unchanged_text_keeps_the_place(reanchor, case)


@ANCHOR_SETTINGS
@given(case=HOSTILE_ARTICLES)
def test_unicode_passage_still_there_with_its_context_is_found_there(case):
    check_kept_passage_is_found_where_it_is(reanchor, case)


@ANCHOR_SETTINGS
@given(case=HOSTILE_ARTICLES)
def test_unicode_edits_never_move_a_note_onto_other_words(case):
    check_never_on_other_words(reanchor, case)
    check_small_edit_reanchors(reanchor, case)


@ANCHOR_SETTINGS
@given(case=HOSTILE_ARTICLES)
def test_a_quote_replaced_by_unicode_noise_is_orphaned_not_misplaced(case):
    check_plainly_different_text_orphans(reanchor, case)


@pytest.mark.parametrize(("twin", "check"), [
    (naive_reanchor, check_unchanged_text_keeps_the_place),
    (naive_reanchor, check_kept_passage_is_found_where_it_is),
    (reckless_reanchor, check_never_on_other_words),
], ids=["naive-unchanged", "naive-kept", "reckless-other-words"])
def test_the_unicode_properties_catch_a_known_bad_twin(twin, check):
    found = counterexample(check, twin, HOSTILE_ARTICLES)
    assert found is not None, f"{check.__name__} let {twin.__name__} through"
    check(reanchor, found)
