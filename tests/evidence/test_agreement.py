"""The agreement report: percentage agreement, weighted kappa on certainty and plain kappa on
verdicts per reviewer pair and month, checked against kappa computed by hand."""

from datetime import UTC, datetime

import pytest

from evidence.agreement import agreement_report
from evidence.models import ConsensusRating, ReviewerRating
from tests.conftest import make_article, make_blocks, make_user
from tests.workflow.conftest import add_annotation

pytestmark = pytest.mark.django_db

# Six annotations rated by Ann and Bob.
#
#            Ann                     Bob
#   1  supported   high        supported   high
#   2  supported   moderate    mixed       moderate     <- conflict (verdict)
#   3  mixed       moderate    mixed       low
#   4  mixed       low         mixed       low
#   5  unsupported very low    unsupported low
#   6  contradicted low        supported   high         <- conflict (verdict, 2 steps)
#
# Percentage agreement (no conflict): 4 of 6 = 66.7 %.
#
# Weighted kappa on certainty, linear weights |i - j| on very low=0, low=1, moderate=2,
# high=3: kappa_w = 1 - sum(w * observed) / sum(w * expected).
#   Ann: 3 2 2 1 0 1   Bob: 3 2 1 1 1 3   |differences|: 0 0 1 0 1 2 -> sum 4, over n = 6.
#   Marginals (very low, low, moderate, high): Ann a = (1, 2, 2, 1), Bob b = (0, 3, 1, 2).
#   sum over i, j of |i - j| * a_i * b_j:
#     i=0: 1*3*1 + 2*1*1 + 3*2*1 = 11;  i=1: 1*1*2 + 2*2*2 = 10;
#     i=2: 1*3*2 + 1*2*2 = 10;          i=3: 2*3*1 + 1*1*1 = 7;   total 38, over n*n = 36.
#   kappa_w = 1 - (4/6) / (38/36) = 1 - 24/38 = 14/38 = 7/19 = 0.368.
#
# Plain kappa on verdicts: p_o = 4/6 (items 1, 3, 4, 5 agree).
#   Marginals Ann: supported 2, mixed 2, unsupported 1, contradicted 1;
#             Bob: supported 2, mixed 3, unsupported 1, contradicted 0.
#   p_e = (2*2 + 2*3 + 1*1 + 1*0) / 36 = 11/36.
#   kappa = (24/36 - 11/36) / (1 - 11/36) = 13/25 = 0.52.
ANN = [("supported", "high"), ("supported", "moderate"), ("mixed", "moderate"),
       ("mixed", "low"), ("unsupported", "very_low"), ("contradicted", "low")]
BOB = [("supported", "high"), ("mixed", "moderate"), ("mixed", "low"),
       ("mixed", "low"), ("unsupported", "low"), ("supported", "high")]
MARCH = datetime(2026, 3, 10, 12, tzinfo=UTC)


def rate_pairs(first, second, pairs_first, pairs_second, *, when):
    article = make_article(blocks=make_blocks("x" * 200))
    annotations = []
    for index, (a, b) in enumerate(zip(pairs_first, pairs_second, strict=True)):
        annotation = add_annotation(article, start=index * 10, end=index * 10 + 5,
                                    certainty="", verdict="")
        for reviewer, (verdict, certainty) in ((first, a), (second, b)):
            rating = ReviewerRating.objects.create(
                annotation=annotation, reviewer=reviewer, verdict=verdict, certainty=certainty,
            )
            ReviewerRating.objects.filter(pk=rating.pk).update(created_at=when)
        annotations.append(annotation)
    return annotations


def test_kappa_matches_the_hand_computed_example():
    ann = make_user("Reviewers", username="ann")
    bob = make_user("Reviewers", username="bob")
    annotations = rate_pairs(bob, ann, BOB, ANN, when=MARCH)  # Bob rated first: same pair
    ConsensusRating.objects.create(
        annotation=annotations[1], verdict="mixed", certainty="moderate", note="Agreed.",
        resolution=ConsensusRating.Resolution.RATERS, settled_by=ann,
    )
    [row] = agreement_report()
    assert (row.first, row.second, row.month) == ("ann", "bob", "2026-03")
    assert row.rated_together == 6
    assert row.agreement_percent == 66.7
    assert row.certainty_kappa == round(7 / 19, 3) == 0.368
    assert row.verdict_kappa == 0.52
    assert row.conflicts == 2
    assert (row.settled_by_raters, row.settled_by_arbiter, row.unresolved) == (1, 0, 1)


def test_rows_are_per_pair_and_month():
    ann = make_user("Reviewers", username="ann")
    bob = make_user("Reviewers", username="bob")
    cat = make_user("Reviewers", username="cat")
    rate_pairs(ann, bob, ANN[:2], BOB[:2], when=MARCH)
    rate_pairs(ann, bob, ANN[:1], BOB[:1], when=MARCH.replace(month=4))
    rate_pairs(ann, cat, ANN[:3], ANN[:3], when=MARCH)
    rows = [(r.month, r.first, r.second, r.rated_together) for r in agreement_report()]
    assert rows == [("2026-04", "ann", "bob", 1), ("2026-03", "ann", "bob", 2),
                    ("2026-03", "ann", "cat", 3)]


def test_kappa_is_undefined_when_both_used_one_category():
    ann = make_user("Reviewers", username="ann")
    bob = make_user("Reviewers", username="bob")
    same = [("mixed", "low")] * 3
    rate_pairs(ann, bob, same, same, when=MARCH)
    [row] = agreement_report()
    assert row.agreement_percent == 100.0
    assert row.verdict_kappa is None and row.certainty_kappa is None


def test_the_admin_shows_the_report(client):
    ann = make_user("Reviewers", username="ann", is_staff=True)
    bob = make_user("Reviewers", username="bob")
    rate_pairs(ann, bob, ANN, BOB, when=MARCH)
    client.force_login(ann)
    page = client.get("/admin/evidence/reviewerrating/agreement/").content.decode()
    assert "ann &amp; bob" in page
    assert "0.368" in page and "0.52" in page and "66.7 %" in page
