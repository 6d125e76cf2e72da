"""The public changelog and a passage's rating history name a passage linked to a registry
claim by the claim's statement, not by the passage's own words; others keep their quote."""

import pytest
from django.utils import timezone

from articles.changelog import claim_label
from evidence.models import Annotation
from tests.claims.helpers import STATEMENT, linked_article, rated_claim
from tests.conftest import make_annotation, make_user, publish_now

pytestmark = pytest.mark.django_db


def test_a_linked_passage_is_named_by_its_claim_in_the_changelog_and_history(client):
    editor, reviewer = make_user("Editors"), make_user("Reviewers")
    claim = rated_claim(editor=editor, reviewer=reviewer)
    article, (linked,) = linked_article(claim, editor=editor, reviewer=reviewer)
    # A passage with no claim, in the same article: named by its quote.
    block = article.draft.blocks[1]
    plain = make_annotation(article, block_id=block["id"], start=0, end=8, verdict="mixed",
                            certainty="low")
    publish_now(article, change_note="A second passage rated.")
    Annotation.objects.filter(pk=linked.pk).update(verdict="unsupported", certainty="low",
                                                   modified_at=timezone.now())
    Annotation.objects.filter(pk=plain.pk).update(verdict="supported")
    third = publish_now(article, change_note="Ratings revisited.")

    lines = [line["text"] for line in third.changelog[-1]["claims"]]
    assert f"Claim “{STATEMENT}”: rating changed from Supported/moderate to Unsupported/low" \
        in lines
    assert f"Claim “{plain.exact}”: rating changed from Mixed/low to Supported/low" in lines
    assert linked.exact not in " ".join(lines)
    page = client.get(f"/articles/{article.slug}/").content.decode()
    assert f"Claim “{STATEMENT}”: rating changed" in page
    history = client.get(f"/articles/{article.slug}/claims/{linked.pk}/").content.decode()
    assert STATEMENT in history


@pytest.mark.neutral
def test_the_label_falls_back_to_the_quote_and_is_shortened():
    quote = {"exact": "Ketamine   eases\\ndepression.".replace("\\n", "\n")}
    assert claim_label(quote) == "Ketamine eases depression."
    assert claim_label({**quote, "claim": {"statement": "Ketamine relieves depression."}}) == (
        "Ketamine relieves depression.")
    long = {"exact": "x", "claim": {"statement": "word " * 40}}
    assert len(claim_label(long)) == 80 and claim_label(long).endswith("…")
