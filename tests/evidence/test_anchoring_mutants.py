"""Carrying annotations forward: cases `make mutate` found the suite did not check.

The annotation's own block and its prefix must steer where it goes when the same words occur
more than once; the mutation run showed the suite passed with either one ignored.
"""

import pytest

from articles.blocks import with_text
from articles.models import Revision
from evidence.anchoring import carry_forward_annotations
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
