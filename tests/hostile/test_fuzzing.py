"""Fuzzing: random bytes and text never crash the importer, and random Unicode (combining
marks, emoji, direction marks) never makes anchoring put a note on the wrong words."""

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from articles.blocks import with_text
from articles.importing import import_bytes
from articles.importing.decoding import ImportFailure
from articles.importing.parser import parse_document
from evidence.anchoring import Anchor, quote_context, reanchor
from tests.conftest import make_user

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

COMBINING = st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
EMOJI = st.sampled_from(["😀", "👩‍⚕️", "🇬🇧", "💊", "❤️", "🧪"])
DIRECTION = st.sampled_from(["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
                             "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u061c"])
UNICODE_BITS = st.one_of(COMBINING, EMOJI, DIRECTION, st.sampled_from(
    ["é", "ß", "ﬁ", "İ", "ع", "ש", "中", " ", "\u00a0", "\u200b"]))
UNICODE_TEXT = st.lists(UNICODE_BITS, min_size=0, max_size=15).map("".join)
ANCHOR_SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def unicode_article(draw):
    """Blocks of Unicode noise around a quote made of ASCII capitals and digits."""
    quote = "Q" + draw(st.text(alphabet="ABCDEFGHJKMNPRSTUVWXYZ23456789", min_size=10,
                               max_size=30)) + "Z"
    before, after = draw(UNICODE_TEXT), draw(UNICODE_TEXT)
    text = f"{before} {quote} {after}"
    others = draw(st.lists(UNICODE_TEXT.filter(bool), max_size=3))
    blocks = [with_text({"id": "q", "type": "paragraph", "text": text})] + [
        with_text({"id": f"o{i}", "type": "paragraph", "text": t}) for i, t in enumerate(others)
    ]
    start = len(before) + 1
    exact, prefix, suffix = quote_context(text, start, start + len(quote))
    return blocks, Anchor("q", start, start + len(quote), exact, prefix, suffix)


def block_text_of(blocks, block_id):
    return next(b["text"] for b in blocks if b["id"] == block_id)


@ANCHOR_SETTINGS
@given(case=unicode_article())
def test_unchanged_unicode_text_keeps_every_anchor_in_place(case):
    blocks, anchor = case
    [placement] = reanchor(blocks, blocks, [anchor])
    assert placement is not None
    assert (placement.block_id, placement.start, placement.end) == (
        anchor.block_id, anchor.start, anchor.end)


@ANCHOR_SETTINGS
@given(case=unicode_article(), noise=UNICODE_TEXT, where=st.sampled_from(
    ["before", "after", "new_block", "prefix_only"]))
def test_unicode_edits_never_move_a_note_onto_other_words(case, noise, where):
    blocks, anchor = case
    text = block_text_of(blocks, "q")
    if where == "before":
        text = noise + text
    elif where == "after":
        text = text + noise
    elif where == "prefix_only":
        text = text[: anchor.start] .replace(" ", noise or " ") + text[anchor.start:]
    new_blocks = [with_text({**b, "text": text}) if b["id"] == "q" else b for b in blocks]
    if where == "new_block":
        new_blocks = [with_text({"id": "n", "type": "paragraph", "text": noise or "x"}),
                      *new_blocks]
    [placement] = reanchor(blocks, new_blocks, [anchor])
    # The quote is still there, word for word: it must be found, and only there.
    assert placement is not None
    placed = block_text_of(new_blocks, placement.block_id)[placement.start:placement.end]
    assert placed == anchor.exact == placement.exact


@ANCHOR_SETTINGS
@given(case=unicode_article(), replacement=UNICODE_TEXT)
def test_a_quote_replaced_by_unicode_noise_is_orphaned_not_misplaced(case, replacement):
    blocks, anchor = case
    text = block_text_of(blocks, "q")
    assume(anchor.exact not in replacement)
    text = text[: anchor.start] + replacement + text[anchor.end:]
    new_blocks = [with_text({**b, "text": text}) if b["id"] == "q" else b for b in blocks]
    [placement] = reanchor(blocks, new_blocks, [anchor])
    if placement is not None:
        placed = block_text_of(new_blocks, placement.block_id)[placement.start:placement.end]
        assert placed == placement.exact
        # A fuzzy match may only land on text that resembles the quote: never on the noise.
        assert any(ch.isascii() and ch.isalnum() for ch in placed), placed
