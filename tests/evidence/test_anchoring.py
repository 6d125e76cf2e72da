"""Re-anchoring: where an annotation goes when the text it marks is edited."""

import time

import pytest

from articles.blocks import with_text
from articles.models import Revision
from evidence.anchoring import (
    Anchor,
    carry_forward_annotations,
    quote_context,
    reanchor,
)
from evidence.models import Annotation
from tests.conftest import make_article

CLAIM = "Ketamine reduced depressive symptoms within hours in most adults"


def paragraph(block_id, text):
    return with_text({"id": block_id, "type": "paragraph", "text": text})


def anchor_for(blocks, block_id, quote, occurrence=0):
    text = next(b["text"] for b in blocks if b["id"] == block_id)
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    exact, prefix, suffix = quote_context(text, start, start + len(quote))
    return Anchor(block_id, start, start + len(quote), exact, prefix, suffix)


def text_at(blocks, placement):
    text = next(b["text"] for b in blocks if b["id"] == placement.block_id)
    return text[placement.start : placement.end]


def test_quote_context_takes_up_to_32_characters_either_side():
    text = "x" * 40 + "QUOTE" + "y" * 40
    exact, prefix, suffix = quote_context(text, 40, 45)
    assert (exact, prefix, suffix) == ("QUOTE", "x" * 32, "y" * 32)
    assert quote_context("QUOTE rest", 0, 5) == ("QUOTE", "", " rest")


def test_unchanged_text_keeps_the_same_place():
    blocks = [paragraph("p1", f"Intro. {CLAIM}. End.")]
    [placement] = reanchor(blocks, blocks, [anchor_for(blocks, "p1", CLAIM)])
    assert placement.method == "same_place"
    assert (placement.start, placement.end) == (7, 7 + len(CLAIM))


def test_text_inserted_before_the_quote_shifts_the_anchor():
    old = [paragraph("p1", f"Intro. {CLAIM}. End.")]
    new = [paragraph("p1", f"A new opening sentence was added here. Intro. {CLAIM}. End.")]
    [placement] = reanchor(old, new, [anchor_for(old, "p1", CLAIM)])
    assert text_at(new, placement) == CLAIM
    assert placement.block_id == "p1"


def test_quote_moved_to_another_block_follows_its_context():
    old = [paragraph("p1", f"In one trial, {CLAIM}, said the authors."), paragraph("p2", "Other.")]
    new = [paragraph("p2", "Other."), paragraph("p9", f"In one trial, {CLAIM}, said the authors.")]
    [placement] = reanchor(old, new, [anchor_for(old, "p1", CLAIM)])
    assert placement.block_id == "p9"
    assert text_at(new, placement) == CLAIM


def test_repeated_phrase_stays_on_the_same_occurrence():
    text = "Ketamine helps some. Later trials found ketamine helps some, but not all."
    old = [paragraph("p1", text)]
    new = [paragraph("p1", "Preface. " + text)]
    [placement] = reanchor(old, new, [anchor_for(old, "p1", "helps some", occurrence=1)])
    assert placement.start == len("Preface. ") + text.index("helps some", 10)


def test_typo_fixed_inside_the_quote_is_carried_by_a_close_match():
    typo = CLAIM.replace("depressive", "depresive")
    old = [paragraph("p1", f"Intro. {typo}. End.")]
    new = [paragraph("p1", f"Intro. {CLAIM}. End.")]
    [placement] = reanchor(old, new, [anchor_for(old, "p1", typo)])
    assert placement.method == "fuzzy"
    assert text_at(new, placement) == CLAIM


def test_of_two_copies_each_one_typo_away_the_note_stays_on_its_own():
    # The claim twice; the annotated (second) copy loses a letter, and so does the first.
    text = f"Early work: {CLAIM}. Later, a larger trial found {CLAIM}, as before."
    old = [paragraph("p1", text)]
    first, second = text.index(CLAIM), text.index(CLAIM, text.index(CLAIM) + 1)
    new_text = (
        text[:first] + CLAIM.replace("hours", "hour") + text[first + len(CLAIM) : second]
        + CLAIM.replace("depressive", "depresive") + text[second + len(CLAIM) :]
    )
    new = [paragraph("p1", new_text)]
    [placement] = reanchor(old, new, [anchor_for(old, "p1", CLAIM, occurrence=1)])
    assert placement.method == "fuzzy"
    assert text_at(new, placement) == CLAIM.replace("depressive", "depresive")
    assert placement.start == new_text.index("depresive") - CLAIM.index("depressive")


def test_a_different_sentence_is_never_taken_for_the_quote():
    old = [paragraph("p1", f"Intro. {CLAIM}. End.")]
    new = [paragraph("p1", "Intro. Ketamine did not reduce symptoms in most adults. End.")]
    assert reanchor(old, new, [anchor_for(old, "p1", CLAIM)]) == [None]


def test_deleted_quote_is_orphaned_even_if_a_short_phrase_recurs_elsewhere():
    old = [paragraph("p1", "Dose matters: ketamine helps. Be careful."), paragraph("p2", "Ok.")]
    new = [paragraph("p1", "Be careful."), paragraph("p2", "Elsewhere, ketamine helps.")]
    assert reanchor(old, new, [anchor_for(old, "p1", "ketamine helps")]) == [None]


def test_deleted_block_orphans_its_annotations():
    old = [paragraph("p1", CLAIM), paragraph("p2", "Second paragraph stays.")]
    new = [paragraph("p2", "Second paragraph stays.")]
    assert reanchor(old, new, [anchor_for(old, "p1", CLAIM)]) == [None]


def _big_article(paragraphs=200):
    blocks = []
    for index in range(paragraphs):
        words = " ".join(f"word{(index * 7 + k) % 997}" for k in range(30))
        blocks.append(paragraph(f"b{index}", f"Paragraph {index} says {words}."))
    return blocks


def _many_anchors(blocks, count=1000):
    anchors = []
    for index in range(count):
        block = blocks[index % len(blocks)]
        text = block["text"]
        start = (index * 13) % (len(text) - 40)
        exact, prefix, suffix = quote_context(text, start, start + 25)
        anchors.append(Anchor(block["id"], start, start + 25, exact, prefix, suffix))
    return anchors


def _edited(blocks):
    new = [dict(b) for b in blocks]
    for index in range(0, len(new), 10):
        new[index] = paragraph(new[index]["id"], "An inserted sentence. " + new[index]["text"])
    new.insert(50, paragraph("new", "A brand new paragraph."))
    return new


def test_reanchoring_1000_annotations_in_a_50kb_article_takes_under_a_second():
    blocks = _big_article()
    assert len("\n\n".join(b["text"] for b in blocks)) >= 50_000
    anchors = _many_anchors(blocks)
    new = _edited(blocks)
    began = time.perf_counter()
    placements = reanchor(blocks, new, anchors)
    elapsed = time.perf_counter() - began
    assert elapsed < 1.0
    pairs = zip(placements, anchors, strict=True)
    assert all(p is not None and text_at(new, p) == a.exact for p, a in pairs)


def _annotation(article, revision, block, start, end, status=Annotation.Status.OPEN):
    exact, prefix, suffix = quote_context(block["text"], start, end)
    return Annotation.objects.create(
        article=article, revision=revision, block_id=block["id"], start=start, end=end,
        exact=exact, prefix=prefix, suffix=suffix, status=status,
    )


def _new_revision(article, blocks):
    old = article.draft
    return Revision.objects.create(
        article=article, number=old.number + 1, title=old.title, blocks=blocks, parent=old
    )


@pytest.mark.django_db
def test_carry_forward_moves_open_and_resolved_annotations_and_orphans_the_rest():
    blocks = [paragraph("p1", f"Intro. {CLAIM}. End."), paragraph("p2", "Removed claim here.")]
    article = make_article(blocks=blocks)
    old = article.draft
    kept = _annotation(article, old, blocks[0], 7, 7 + len(CLAIM))
    resolved = _annotation(article, old, blocks[0], 0, 6, status=Annotation.Status.RESOLVED)
    lost = _annotation(article, old, blocks[1], 0, 13)
    new = _new_revision(article, [paragraph("p1", f"New start. Intro. {CLAIM}. End.")])

    result = carry_forward_annotations(old_revision=old, new_revision=new)

    assert {a.pk for a in result.carried} == {kept.pk, resolved.pk}
    assert [a.pk for a in result.orphaned] == [lost.pk]
    kept.refresh_from_db()
    assert kept.revision_id == new.pk
    assert new.blocks[0]["text"][kept.start : kept.end] == CLAIM
    resolved.refresh_from_db()
    assert resolved.status == Annotation.Status.RESOLVED
    lost.refresh_from_db()
    assert (lost.status, lost.revision_id, lost.exact) == ("orphaned", old.pk, "Removed claim")


@pytest.mark.django_db
def test_carry_forward_bumps_the_version_only_of_moved_annotations():
    blocks = [paragraph("p1", f"{CLAIM}."), paragraph("p2", "Second.")]
    article = make_article(blocks=blocks)
    still = _annotation(article, article.draft, blocks[0], 0, 8)
    moved = _annotation(article, article.draft, blocks[1], 0, 6)
    new = _new_revision(article, [blocks[0], paragraph("p2", "The Second.")])
    carry_forward_annotations(old_revision=article.draft, new_revision=new)
    still.refresh_from_db()
    moved.refresh_from_db()
    assert (still.version, moved.version) == (1, 2)


@pytest.mark.django_db
def test_carry_forward_of_many_annotations_uses_a_constant_number_of_queries(
    django_assert_max_num_queries,
):
    blocks = [paragraph(f"p{i}", f"Paragraph {i} says {CLAIM}.") for i in range(20)]
    article = make_article(blocks=blocks)
    for block in blocks:
        _annotation(article, article.draft, block, 0, 9)
    new = _new_revision(article, [paragraph(b["id"], "Now " + b["text"]) for b in blocks])
    with django_assert_max_num_queries(6):
        result = carry_forward_annotations(old_revision=article.draft, new_revision=new)
    assert len(result.carried) == 20
