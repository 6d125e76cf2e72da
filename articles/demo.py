"""Take the demo articles through the real workflow so `make run` shows a living site.

Every step calls the same functions as the admin and the API (annotations, reviewers, submit,
approve, publish, and the claim registry's create, rate, link and confirm), acting as the demo
accounts, so the demo exercises the rules rather than going around them. A few registry
claims are rated once and linked to passages of the published demo articles (one of them in
two articles), so /claims/ has something to show after `make run`.
"""

from dataclasses import dataclass

from articles import workflow
from articles.blocks import block_text
from articles.models import Article
from claims import services as claims
from evidence.annotations import create_annotation
from evidence.models import Annotation


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


@dataclass(frozen=True)
class DemoRegistryClaim:
    """A claim of the registry, rated once, and the demo passages that make it:
    (file name, quote) pairs. A passage with no DemoClaim of its own is marked unrated by the
    editor; the reviewer's confirmation gives it the claim's rating."""

    statement: str
    verdict: str
    certainty: str
    note: str
    appearances: tuple


DEMO_REGISTRY = (
    DemoRegistryClaim(
        "Ketamine and esketamine raise blood pressure for a short time after a dose.",
        "supported", "high",
        "Blood pressure and heart rate rise within minutes of a dose, peak in the first hour "
        "and settle within about two hours; this is why patients are monitored after each "
        "dose.",
        (("esketamine-nasal-spray.md", "blood pressure can rise"),
         ("ketamine-side-effects.md", "A rise in blood pressure and heart rate")),
    ),
    DemoRegistryClaim(
        "Patients are monitored for at least two hours after each esketamine nasal spray "
        "dose.",
        "supported", "high",
        "This is the monitoring period in the product licence, because blood pressure "
        "and dissociation peak in the first hour.",
        (("esketamine-nasal-spray.md", "A nurse watches the patient for at least two hours"),),
    ),
    DemoRegistryClaim(
        "Frequent, unsupervised ketamine use can damage the bladder.",
        "supported", "moderate",
        "Ketamine-associated cystitis is well described in case series of "
        "recreational users; it is rare at clinical doses.",
        (("ketamine-side-effects.md",
          "Frequent, unsupervised use of ketamine has been linked to bladder damage"),),
    ),
)


def ensure_demo_claims(*, editor, reviewer):
    """Register and rate the demo registry claims that are missing; return {statement:
    claim}. A claim already registered (a second run) is left as it is."""
    made = {}
    for entry in DEMO_REGISTRY:
        claim = claims.duplicate_of(entry.statement)
        if claim is None:
            claim = claims.create_claim(statement=entry.statement, actor=editor)
        if not claim.is_rated:
            claim = claims.rate_claim(
                claim, actor=reviewer, expected_version=claim.version, verdict=entry.verdict,
                certainty=entry.certainty, note=entry.note,
            )
        made[entry.statement] = claim
    return made


def _link_demo_claims(article, filename, registry, *, editor, reviewer):
    """Link the article's passages to their registry claims, and confirm each link."""
    for entry in DEMO_REGISTRY:
        for appearance_file, quote in entry.appearances:
            if appearance_file != filename:
                continue
            annotation = Annotation.objects.filter(
                revision_id=article.draft_id, exact=quote
            ).first()
            if annotation is None:
                anchor = _locate(article.draft.blocks, quote)
                if anchor is None:
                    continue
                annotation = create_annotation(
                    article=article, actor=editor, block_id=anchor[0], start=anchor[1],
                    end=anchor[2], exact=quote,
                )
            claims.link_annotation(annotation, claim=registry[entry.statement], actor=editor)
            claims.confirm_link(annotation, actor=reviewer, accept=True)


def _locate(blocks, quote):
    """Return (block id, start, end) of the first occurrence of `quote`, or None."""
    for block in blocks:
        start = block_text(block).find(quote)
        if start >= 0:
            return block["id"], start, start + len(quote)
    return None


def publish_demo_articles(*, editor, reviewer, publisher):
    """Annotate, review and publish the demo articles that are still fresh drafts, their
    passages linked to the demo registry claims (rated once, `ensure_demo_claims`).

    Returns the articles it published. An article already past its first draft is left
    alone, so running it again changes nothing.
    """
    published = []
    registry = ensure_demo_claims(editor=editor, reviewer=reviewer)
    for filename, (publish, demo_claims) in DEMO_REVIEWS.items():
        article = Article.objects.filter(original_filename=filename).first()
        if article is None or article.state != Article.State.DRAFT or article.live_id:
            continue
        workflow.assign_reviewers(article, actor=editor, reviewers=[reviewer])
        for claim in demo_claims:
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
        _link_demo_claims(article, filename, registry, editor=editor, reviewer=reviewer)
        workflow.submit(article, actor=editor, comment="Ready for review.")
        workflow.approve(article, actor=reviewer, comment="Claims rated; sources checked.")
        workflow.publish(article, actor=publisher, comment="First publication.")
        published.append(article)
    return published
