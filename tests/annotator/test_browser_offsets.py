"""The annotator's offsets on text with emoji and other astral characters, in Chromium.

A browser counts a string in UTF-16 code units: an emoji outside the Basic Multilingual Plane
is two of them. The server counts code points, as the W3C TextPositionSelector requires
("in terms of unicode code points, not code units"), and so does every stored annotation. A
passage selected after an emoji must be stored at its code-point offsets with its own words as
the quote, and its highlight must come back over exactly those words on reload.
"""

import pytest
from playwright.sync_api import expect

from articles.blocks import block_text, with_text
from evidence.models import Annotation
from tests.annotator import test_browser
from tests.annotator.test_browser import SELECT_IN_BLOCK, assert_clean, open_annotator, sign_in
from tests.conftest import make_article, make_user

# The Chromium page fixture of the annotator's browser tests, shared rather than copied.
annotator_page = test_browser.browser_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Astral emoji (two UTF-16 units each), a ZWJ sequence (four code points, five units), a
# flag (two regional indicators, four units) and a combining accent before the passages.
EMOJI_TEXT = (
    "Mood 💊 and sleep 🧪 improved; the nurse 👩‍⚕️ in the 🇬🇧 clinic noted it. "
    "Cafe\u0301 talk aside, ketamine eased symptoms within hours in most adults. "
    "A second 😀 sentence 🧪 follows it."
)


def utf16_units(text):
    """How many UTF-16 code units the browser counts in `text`."""
    return len(text.encode("utf-16-le")) // 2


def select_and_save(page, block_id, text, start, end):
    """Select text[start:end] (code points) of a block in the browser, and save it."""
    # The selection helper walks DOM text nodes, whose lengths are in UTF-16 units.
    selected = page.evaluate(
        SELECT_IN_BLOCK, [block_id, utf16_units(text[:start]), utf16_units(text[:end])]
    )
    assert selected == text[start:end]
    expect(page.locator("#annotation-form-title")).to_have_text("New annotation")
    page.fill("#annotation-note", "Check this.")
    page.click("#annotation-save")
    expect(page.locator("#annotator-status")).to_contain_text("Annotation saved")


def test_a_passage_after_emoji_is_stored_at_code_point_offsets_and_highlighted_again(
    annotator_page, live_server
):
    page = annotator_page
    blocks = [
        with_text({"id": "e1", "type": "paragraph", "text": EMOJI_TEXT}),
        with_text({"id": "e2", "type": "list", "ordered": False, "items": [
            {"text": "First 💊 item", "items": []},
            {"text": "🧪🧪 then the words that matter", "items": []},
        ]}),
    ]
    article = make_article(blocks=blocks)
    sign_in(page, live_server, make_user(groups=["Editors"], is_staff=True))
    open_annotator(page, live_server, article)
    list_text = block_text(blocks[1])
    sentence = "ketamine eased symptoms within hours in most adults."
    wanted = [
        # After five astral characters and a combining accent.
        ("e1", EMOJI_TEXT.index(sentence), EMOJI_TEXT.index(sentence) + len(sentence)),
        # Starting on an emoji and ending on one.
        ("e1", EMOJI_TEXT.index("😀"), EMOJI_TEXT.index("🧪 follows") + 1),
        # In the second list item, after two emoji on that line and one on the line above;
        # the DOM has no line break where the block text has "\n".
        ("e2", list_text.index("the words"), len(list_text)),
    ]

    for block_id, start, end in wanted:
        text = EMOJI_TEXT if block_id == "e1" else list_text
        if block_id == "e2":
            # The helper counts DOM text nodes, which have no "\n" between list items.
            dom = text.replace("\n", "")
            dom_start = start - text[:start].count("\n")
            dom_end = end - text[:end].count("\n")
            select_and_save(page, block_id, dom, dom_start, dom_end)
        else:
            select_and_save(page, block_id, text, start, end)

    saved = list(Annotation.objects.order_by("pk"))
    assert [(a.block_id, a.start, a.end) for a in saved] == wanted
    assert [a.exact for a in saved] == [
        sentence, "😀 sentence 🧪", "the words that matter",
    ]
    first = saved[0]
    # The quote's context is the code points either side, emoji and accent intact.
    assert first.prefix == EMOJI_TEXT[max(0, wanted[0][1] - 32) : wanted[0][1]]
    assert first.prefix.endswith("Cafe\u0301 talk aside, ")
    assert first.suffix == EMOJI_TEXT[wanted[0][2] : wanted[0][2] + 32]
    # 32 code points: each emoji is one of them (in UTF-16 units the suffix would be shorter).
    assert first.suffix == " A second 😀 sentence 🧪 follows i"

    page.reload()
    page.wait_for_selector("#annotator.annotator-ready")
    marks = page.locator("#b-e1 a.claim mark")
    assert marks.count() == 2
    assert sorted(marks.all_inner_texts()) == sorted([sentence, "😀 sentence 🧪"])
    assert page.locator("#b-e2 a.claim mark").inner_text() == "the words that matter"
    # Nothing but the selected words is highlighted: the text before each mark is intact.
    before = page.evaluate(
        "() => { const b = document.getElementById('b-e1'); const r = document.createRange();"
        " r.setStart(b, 0); r.setEndBefore(b.querySelector('a.claim')); return r.toString(); }"
    )
    assert before.endswith("Cafe\u0301 talk aside, ")
    assert_clean(page)
