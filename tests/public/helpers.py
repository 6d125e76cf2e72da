"""Builders for the public-site tests: published articles with rated passages."""

from articles.blocks import with_text
from tests.conftest import make_annotation, make_article, publish_now

VERDICTS = ["supported", "mixed", "unsupported", "misleading", "contradicted"]
CERTAINTIES = ["high", "moderate", "low", "very_low"]


def long_blocks(paragraphs):
    return [with_text({"id": "h1", "type": "heading", "level": 2, "text": "Overview"})] + [
        with_text({"id": f"p{i}", "type": "paragraph",
                   "text": f"Paragraph {i} says ketamine may help with claim number {i}."})
        for i in range(paragraphs)
    ]


def published_article(*, annotations=1, title="Ketamine and ADHD", tags=("adhd",), slug=None,
                      summary="What the studies say."):
    """Publish an article with `annotations` rated passages ("ketamine"), one a paragraph."""
    article = make_article(title=title, summary=summary, blocks=long_blocks(max(annotations, 1)),
                           tags=tags, slug=slug)
    for i in range(annotations):
        start = article.draft.blocks[i + 1]["text"].index("ketamine")
        make_annotation(article, block_id=f"p{i}", start=start, end=start + len("ketamine"),
                        verdict=VERDICTS[i % len(VERDICTS)],
                        certainty=CERTAINTIES[i % len(CERTAINTIES)],
                        note=f"Reviewer note {i}.")
    publish_now(article)
    return article
