"""Quality: precision and recall of the spotter on hand-labelled sentences (at least 0.8).

tests/data/claim_sentences.tsv (≥150 sentences, the rules were tuned while looking at it) and
tests/data/claim_sentences_heldout.tsv (written before tuning and never tuned on). Both must
score at least 0.8; the figures are printed (`pytest -s`) for the README.
"""

from pathlib import Path

import pytest

from spotting.spotter import KINDS, assess

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

DATA = Path(__file__).resolve().parent.parent / "data"
TARGET = 0.8


def labelled(name):
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("sentence\t"):
            continue
        sentence, label, kind = line.split("\t")
        rows.append((sentence, int(label), kind))
    return rows


def scores(rows):
    tp = fp = fn = kinds_right = 0
    for sentence, label, kind in rows:
        result = assess(sentence)
        if result.is_claim and label:
            tp += 1
            kinds_right += result.kind == kind
        elif result.is_claim:
            fp += 1
        elif label:
            fn += 1
    return tp / (tp + fp), tp / (tp + fn), kinds_right / tp


def test_the_labelled_set_is_large_enough_and_well_formed():
    rows = labelled("claim_sentences.tsv")
    assert len(rows) >= 150
    assert len({sentence for sentence, _, _ in rows}) == len(rows), "a sentence appears twice"
    for sentence, label, kind in rows:
        assert label in (0, 1)
        assert (kind in KINDS) if label else kind == "", sentence
    header = (DATA / "claim_sentences.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("#"), "the labelling rule comes first"


@pytest.mark.parametrize("name", ["claim_sentences.tsv", "claim_sentences_heldout.tsv"])
def test_precision_and_recall_reach_the_target(name):
    precision, recall, kind_accuracy = scores(labelled(name))
    print(f"\n{name}: precision {precision:.3f}, recall {recall:.3f}, "
          f"kind right for {kind_accuracy:.0%} of true claims")
    assert precision >= TARGET
    assert recall >= TARGET
