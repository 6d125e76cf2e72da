"""Carrying annotations forward: cases `make mutate` found the suite did not check.

The annotation's own block and its prefix must steer where it goes when the same words occur
more than once; the mutation run showed the suite passed with either one ignored.
"""

import pytest

from articles.blocks import with_text
from articles.models import Revision
from evidence.anchoring import Anchor, carry_forward_annotations, quote_context, reanchor
from evidence.models import Annotation
from tests.conftest import make_article

DOSE = "0.5 mg/kg"
ADULTS = "Adults: 0.5 mg/kg over forty minutes, twice a week for three weeks."
TEENS = "Teenagers after careful screening: 0.5 mg/kg over forty minutes, twice a week."
ADDED = "A new paragraph of background about the trial sites and how patients were recruited."


def paragraph(block_id, text):
    return with_text({"id": block_id, "type": "paragraph", "text": text})


def annotate(article, block, start, end):
    text = block["text"]
    return Annotation.objects.create(
        article=article, revision=article.draft, block_id=block["id"], start=start, end=end,
        exact=text[start:end], prefix=text[max(0, start - 32) : start], suffix=text[end : end + 32],
    )


def new_revision(article, blocks):
    old = article.draft
    return Revision.objects.create(
        article=article, number=old.number + 1, title=old.title, blocks=blocks, parent=old
    )


@pytest.mark.django_db
def test_an_annotation_stays_in_its_own_paragraph_when_another_repeats_it_word_for_word():
    # Two identical paragraphs; the reviewer marked the second. Adding a paragraph at the end
    # must leave the mark where it was, not move it to the first copy.
    blocks = [paragraph("p1", ADULTS), paragraph("p2", ADULTS)]
    article = make_article(blocks=blocks)
    start = ADULTS.index(DOSE)
    mark = annotate(article, blocks[1], start, start + len(DOSE))
    new = new_revision(article, [*blocks, paragraph("p3", ADDED)])

    carry_forward_annotations(old_revision=article.draft, new_revision=new)

    mark.refresh_from_db()
    assert (mark.revision_id, mark.block_id, mark.start, mark.end) == (
        new.pk, "p2", start, start + len(DOSE)
    )
    assert mark.version == 1


@pytest.mark.django_db
def test_a_repeated_quote_follows_the_words_before_it_when_text_is_inserted():
    # The dose occurs twice in one paragraph with the same words after it; only the words
    # before it tell the teenagers' dose from the adults'. Text inserted between the two
    # sentences moves the marked one; the mark must follow it.
    old_text = f"{ADULTS} {TEENS}"
    blocks = [paragraph("p1", old_text)]
    article = make_article(blocks=blocks)
    start = old_text.index(DOSE, old_text.index("Teenagers"))
    mark = annotate(article, blocks[0], start, start + len(DOSE))
    # Long enough that the adults' dose is now nearer the mark's old offset than its own.
    new_text = f"{ADULTS} {ADDED} {ADDED} {ADDED} {TEENS}"
    new = new_revision(article, [paragraph("p1", new_text)])

    carry_forward_annotations(old_revision=article.draft, new_revision=new)

    mark.refresh_from_db()
    new_start = new_text.index(DOSE, new_text.index("Teenagers"))
    assert (mark.block_id, mark.start, mark.end) == ("p1", new_start, new_start + len(DOSE))
    assert new_text[mark.start - 19 : mark.end] == "careful screening: 0.5 mg/kg"


def carry(article, blocks):
    new = new_revision(article, blocks)
    result = carry_forward_annotations(old_revision=article.draft, new_revision=new)
    return new, result


@pytest.mark.django_db
def test_an_orphaned_annotation_gets_exactly_one_new_version():
    # A client holding the annotation must see that it changed, and versions count changes.
    blocks = [paragraph("p1", ADULTS), paragraph("p2", TEENS)]
    article = make_article(blocks=blocks)
    # Words found nowhere else: deleting their paragraph leaves nothing to re-anchor to.
    start = TEENS.index("careful screening")
    lost = annotate(article, blocks[1], start, start + len("careful screening"))
    lost_before = lost.version

    carry(article, [blocks[0]])

    lost.refresh_from_db()
    assert (lost.status, lost.version) == (Annotation.Status.ORPHANED, lost_before + 1)


@pytest.mark.django_db
def test_annotations_after_an_orphaned_one_are_still_carried():
    blocks = [paragraph("p1", TEENS), paragraph("p2", ADULTS)]
    article = make_article(blocks=blocks)
    # The first annotation (by id) loses its paragraph; the second keeps its place.
    lost = annotate(article, blocks[0], 0, 9)
    start = ADULTS.index(DOSE)
    kept = annotate(article, blocks[1], start, start + len(DOSE))

    new, result = carry(article, [blocks[1]])

    assert [a.pk for a in result.orphaned] == [lost.pk]
    assert [a.pk for a in result.carried] == [kept.pk]
    assert result.carried[0].revision == new
    kept.refresh_from_db()
    assert (kept.revision_id, kept.status, kept.start) == (new.pk, Annotation.Status.OPEN, start)


@pytest.mark.django_db
def test_a_changed_context_is_saved_even_when_the_quote_stays_at_its_offset():
    # The words before the dose change but keep their length: the quote is where it was, and
    # the selector's prefix (shown in the W3C API and used by the next re-anchoring) must be
    # the new text, not the old.
    blocks = [paragraph("p1", ADULTS)]
    article = make_article(blocks=blocks)
    start = ADULTS.index(DOSE)
    mark = annotate(article, blocks[0], start, start + len(DOSE))
    edited = ADULTS.replace("Adults:", "Elders:")

    new, _ = carry(article, [paragraph("p1", edited)])

    mark.refresh_from_db()
    assert (mark.revision_id, mark.start, mark.exact) == (new.pk, start, DOSE)
    assert mark.prefix == "Elders: "
    assert mark.suffix == edited[start + len(DOSE) : start + len(DOSE) + 32]


@pytest.mark.django_db
def test_only_the_old_revisions_annotations_move():
    # Another article's annotation on the same words is none of this revision's business.
    blocks = [paragraph("p1", ADULTS)]
    article = make_article(blocks=blocks)
    other = make_article(blocks=blocks)
    start = ADULTS.index(DOSE)
    annotate(article, blocks[0], start, start + len(DOSE))
    elsewhere = annotate(other, blocks[0], start, start + len(DOSE))

    new, result = carry(article, [paragraph("p0", ADDED), *blocks])

    assert len(result.carried) == 1
    elsewhere.refresh_from_db()
    assert elsewhere.revision_id == other.draft.pk


@pytest.mark.django_db
def test_an_annotation_already_orphaned_stays_orphaned_on_its_old_revision():
    # Re-anchoring an orphan is an editor's decision; a new revision that happens to contain
    # its words again must not bring it back silently.
    blocks = [paragraph("p1", ADULTS)]
    article = make_article(blocks=blocks)
    start = ADULTS.index(DOSE)
    orphan = annotate(article, blocks[0], start, start + len(DOSE))
    Annotation.objects.filter(pk=orphan.pk).update(status=Annotation.Status.ORPHANED)
    old = article.draft

    _, result = carry(article, blocks)

    assert (result.carried, result.orphaned) == ([], [])
    orphan.refresh_from_db()
    assert (orphan.status, orphan.revision_id, orphan.version) == (
        Annotation.Status.ORPHANED, old.pk, 1
    )


@pytest.mark.django_db
def test_more_than_five_hundred_annotations_all_reach_the_new_revision():
    # The carried annotations are moved in batches; none may be left on the old revision.
    blocks = [paragraph("p1", ADULTS)]
    article = make_article(blocks=blocks)
    start = ADULTS.index(DOSE)
    Annotation.objects.bulk_create(
        Annotation(
            article=article, revision=article.draft, block_id="p1", start=start,
            end=start + len(DOSE), exact=DOSE, prefix=ADULTS[:start],
            suffix=ADULTS[start + len(DOSE) : start + len(DOSE) + 32],
        )
        for _ in range(1001)
    )

    new, result = carry(article, [*blocks, paragraph("p2", ADDED)])

    assert len(result.carried) == 1001
    assert not Annotation.objects.filter(revision=article.draft).exists()
    assert Annotation.objects.filter(revision=new).count() == 1001


def placed_text(old_text, quote, new_text):
    """Mark `quote` in a paragraph, replace the paragraph's text; return the marked text."""
    start = old_text.index(quote)
    anchor = Anchor("p1", start, start + len(quote), *quote_context(old_text, start,
                                                                     start + len(quote)))
    new_blocks = [paragraph("p1", new_text)]
    [placement] = reanchor([paragraph("p1", old_text)], new_blocks, [anchor])
    assert placement is not None, "a one-letter edit must not orphan the note"
    return new_text[placement.start : placement.end]


# A one-letter edit inside the quote leaves the same passage (tests/evidence/
# test_anchoring_properties.py); the note must then cover exactly that passage, edited letter
# included, no more and no less: not ending mid-word, not taking in the space or comma next
# to it. These three are the edges the approximate match found wrong under mutation.


def test_a_letter_added_inside_a_quote_that_opens_its_paragraph_is_inside_the_note():
    old = "Ketamine helps placebo groups too, said the authors of the trial in adults."
    new = "Ketamine helps placebo bgroups too, said the authors of the trial in adults."

    assert placed_text(old, "Ketamine helps placebo groups too", new) == (
        "Ketamine helps placebo bgroups too"
    )


def test_a_changed_last_letter_of_a_quote_is_inside_the_note():
    old = "Doses helped adults within a week in the trial."
    new = "Doses helped adults within y week in the trial."

    assert placed_text(old, "Doses helped adults within a", new) == "Doses helped adults within y"


def test_a_letter_dropped_at_the_end_of_a_shifted_quote_leaves_the_comma_out():
    old = "Dose of 0.5 mg/kg given to adults twice a week, then the sleep study."
    new = "Extra dose of 0.5 mg/kg given to adults twice a wee, then the sleep study."

    assert placed_text(old, "adults twice a week", new) == "adults twice a wee"
