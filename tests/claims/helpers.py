"""Builders for the claim registry tests: claims rated through the services, and published
articles whose passages are linked to them."""

from articles.blocks import with_text
from claims import services
from evidence.models import Annotation
from tests.conftest import make_annotation, make_article, publish_now

STATEMENT = "Ketamine is not FDA-approved for ADHD."


def rated_claim(statement=STATEMENT, *, editor, reviewer, verdict="supported",
                certainty="moderate", note="The FDA label lists no such use.", sources=()):
    """Register a claim (as `editor`) and rate it (as `reviewer`); return it."""
    claim = services.create_claim(statement=statement, actor=editor)
    return services.rate_claim(
        claim, actor=reviewer, expected_version=claim.version, verdict=verdict,
        certainty=certainty, note=note, sources=list(sources),
    )


def article_blocks(count, text="Ketamine is not approved by the FDA for ADHD, says paragraph {i}."):
    return [with_text({"id": "h1", "type": "heading", "level": 2, "text": "Overview"})] + [
        with_text({"id": f"p{i}", "type": "paragraph", "text": text.format(i=i)})
        for i in range(count)
    ]


def unrated_passage(article, block_id="p0", quote="not approved by the FDA for ADHD"):
    """Mark `quote` in a block of the article's draft, unrated; return the annotation."""
    block = next(b for b in article.draft.blocks if b["id"] == block_id)
    start = block["text"].index(quote)
    return make_annotation(article, block_id=block_id, start=start, end=start + len(quote))


def linked_article(claim, *, editor, reviewer, passages=1, title="Ketamine and ADHD",
                   tags=("adhd",), confirm=True, publish=True, slug=None):
    """An article with `passages` passages linked to `claim` (confirmed by the reviewer when
    `confirm`), published when `publish`. Returns (article, annotations)."""
    article = make_article(title=title, blocks=article_blocks(passages), tags=tags, slug=slug)
    annotations = []
    for index in range(passages):
        annotation = unrated_passage(article, block_id=f"p{index}")
        services.link_annotation(annotation, claim=claim, actor=editor)
        if confirm:
            services.confirm_link(annotation, actor=reviewer, accept=True)
        annotations.append(Annotation.objects.get(pk=annotation.pk))
    if publish:
        publish_now(article)
        article.refresh_from_db()
    return article, annotations
