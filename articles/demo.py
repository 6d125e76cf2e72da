"""Take the demo articles through the real workflow so `make run` shows a living site.

Every step calls the same functions as the admin and the API (annotations, reviewers, submit,
approve, publish), acting as the demo accounts, so the demo exercises the rules rather than
going around them.
"""

from dataclasses import dataclass

from articles import workflow
from articles.blocks import block_text
from articles.models import Article
from evidence.annotations import create_annotation


@dataclass(frozen=True)
class DemoClaim:
    quote: str
    verdict: str
    certainty: str
    note: str


# The demo file name → the claims a reviewer rates, and whether it is published.
DEMO_REVIEWS = {
    "esketamine-nasal-spray.md": (
        True,
        [
            DemoClaim(
                "the difference was modest and some trials missed their main goal",
                "supported", "moderate",
                "Matches the licensing trials: a small average benefit over placebo spray, and "
                "two of the three short-term trials did not reach their primary end point.",
            ),
            DemoClaim(
                "A nurse watches the patient for at least two hours",
                "supported", "high",
                "This is the monitoring period in the product licence, because blood pressure "
                "and dissociation peak in the first hour.",
            ),
        ],
    ),
    "ketamine-side-effects.md": (
        True,
        [
            DemoClaim(
                "fade within two hours",
                "mixed", "low",
                "Most acute effects do settle quickly, but blood-pressure rises and nausea "
                "can last longer in some patients; the cited study was small.",
            ),
            DemoClaim(
                "Frequent, unsupervised use of ketamine has been linked to bladder damage",
                "supported", "moderate",
                "Ketamine-associated cystitis is well described in case series of "
                "recreational users; it is rare at clinical doses.",
            ),
        ],
    ),
    "ketamine-and-chronic-pain.txt": (
        True,
        [
            DemoClaim(
                "the evidence is of low certainty",
                "supported", "low",
                "The Cochrane review rates most comparisons as low or very low certainty.",
            ),
        ],
    ),
    # Left in review with one unrated claim, so the dashboard has something to show.
    "what-is-ketamine-assisted-therapy.html": (False, []),
}


def _locate(blocks, quote):
    """Return (block id, start, end) of the first occurrence of `quote`, or None."""
    for block in blocks:
        start = block_text(block).find(quote)
        if start >= 0:
            return block["id"], start, start + len(quote)
    return None


def publish_demo_articles(*, editor, reviewer, publisher):
    """Annotate, review and publish the demo articles that are still fresh drafts.

    Returns the articles it published. An article already past its first draft is left
    alone, so running it again changes nothing.
    """
    published = []
    for filename, (publish, claims) in DEMO_REVIEWS.items():
        article = Article.objects.filter(original_filename=filename).first()
        if article is None or article.state != Article.State.DRAFT or article.live_id:
            continue
        workflow.assign_reviewers(article, actor=editor, reviewers=[reviewer])
        for claim in claims:
            anchor = _locate(article.draft.blocks, claim.quote)
            if anchor is None:
                continue
            block_id, start, end = anchor
            create_annotation(
                article=article, actor=reviewer, block_id=block_id, start=start, end=end,
                exact=claim.quote, certainty=claim.certainty, verdict=claim.verdict,
                note=claim.note,
            )
        if not publish:
            anchor = _locate(article.draft.blocks, "Small studies report encouraging results")
            if anchor:
                create_annotation(
                    article=article, actor=editor, block_id=anchor[0], start=anchor[1],
                    end=anchor[2],
                )
            workflow.submit(article, actor=editor, comment="Ready for a first review.")
            continue
        workflow.submit(article, actor=editor, comment="Ready for review.")
        workflow.approve(article, actor=reviewer, comment="Claims rated; sources checked.")
        workflow.publish(article, actor=publisher, comment="First publication.")
        published.append(article)
    return published
