"""Helpers for the evidence tests: an article with a known paragraph, and an annotation on it."""

from evidence.annotations import create_annotation
from tests.conftest import make_article, make_blocks

CLAIM_TEXT = "Ketamine may help some adults with ADHD, according to one small trial."
QUOTE = "help some adults"


def annotated_article(author, **fields):
    """Return (article, annotation) with the quote marked in paragraph p1 by `author`."""
    article = make_article(blocks=make_blocks(CLAIM_TEXT))
    start = CLAIM_TEXT.index(QUOTE)
    annotation = create_annotation(
        article=article, actor=author, block_id="p1", start=start, end=start + len(QUOTE),
        **fields,
    )
    return article, annotation
