"""A small public site built the way editors build it: imported, rated, reviewed, published.

Every step calls the real importer, annotation services and workflow transitions, acting as
an editor, a reviewer and a publisher, so the pages the tests fetch are the ones a publish
froze, not rows written around the workflow.
"""

from dataclasses import dataclass

from articles import workflow
from articles.blocks import block_text
from articles.importing import import_bytes
from articles.models import Article
from evidence.annotations import create_annotation
from tests.conftest import make_user

LIVE_DOCUMENT = b"""# Ketamine infusions for treatment-resistant depression

What the trials say about single infusions, and what they leave open.

## What the trials found

A single infusion lifted mood within a day in small placebo-controlled trials (1,2).
The effect usually faded within two weeks.

## Safety

Blood pressure rises for about an hour after each dose, so clinics watch patients closely.

## References

1. Rapid antidepressant effects of ketamine in small trials. Journal of Example Trials. 2019. https://pubmed.ncbi.nlm.nih.gov/31109201/
2. https://doi.org/10.1176/appi.ajp.2019.19020172
"""

WITHDRAWN_DOCUMENT = b"""# Ketamine lozenges at home

A claim about lozenges that was later withdrawn for a second review.

## The claim

Lozenges taken at home work as well as clinic infusions, a clinic says.
"""

RATED_QUOTE = "A single infusion lifted mood within a day"
RATED_NOTE = "Two small trials agree; no large trial yet."
WITHDRAWN_QUOTE = "Lozenges taken at home work as well as clinic infusions"


@dataclass
class ReviewedSite:
    live: Article
    withdrawn: Article
    editor: object
    reviewer: object
    publisher: object


def _locate(article, quote):
    for block in article.draft.blocks:
        start = block_text(block).find(quote)
        if start >= 0:
            return block["id"], start, start + len(quote)
    raise AssertionError(f"{quote!r} is not in the imported article")


def review_and_publish(document, *, filename, quote, tags, editor, reviewer, publisher, **rating):
    """Import `document`, rate `quote`, submit, approve and publish it; return the article."""
    outcome = import_bytes(document, filename=filename, tags=tags, actor=editor)
    assert outcome.result == "created", outcome.error
    article = outcome.article
    workflow.assign_reviewers(article, actor=editor, reviewers=[reviewer])
    block_id, start, end = _locate(article, quote)
    create_annotation(article=article, actor=reviewer, block_id=block_id, start=start,
                      end=end, exact=quote, **rating)
    workflow.submit(article, actor=editor, comment="Ready for review.")
    workflow.approve(article, actor=reviewer, comment="Claims rated.")
    workflow.publish(article, actor=publisher, comment="First publication.")
    article.refresh_from_db()
    assert article.live_id, "the workflow published the article"
    return article


def reviewed_site(*, staff=False):
    """Publish one rated article and publish then take down another, through the workflow."""
    editor = make_user("Editors", username="site-editor", is_staff=staff)
    reviewer = make_user("Reviewers", username="site-reviewer", is_staff=staff)
    publisher = make_user("Publishers", username="site-publisher", is_staff=staff)
    people = {"editor": editor, "reviewer": reviewer, "publisher": publisher}
    live = review_and_publish(
        LIVE_DOCUMENT, filename="infusions.md", quote=RATED_QUOTE, tags=["depression"],
        certainty="moderate", verdict="supported", note=RATED_NOTE, **people,
    )
    withdrawn = review_and_publish(
        WITHDRAWN_DOCUMENT, filename="lozenges.md", quote=WITHDRAWN_QUOTE, tags=["home-use"],
        certainty="very_low", verdict="unsupported", note="No trial compares the two.", **people,
    )
    workflow.unpublish(withdrawn, actor=publisher, comment="Under review again.")
    return ReviewedSite(live=live, withdrawn=withdrawn, **people)
