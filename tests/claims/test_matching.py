"""Matching: the same claim in other words is suggested, a different claim in the same
words is not, and the data tables of synonyms, abbreviations and units do what they say.

The pairs in tests/data/claim_pairs.tsv are written for this test (labelling rule at the top
of the file); precision and recall of the top suggestion must be at least 0.8.
"""

from pathlib import Path

import pytest

from claims import matching
from claims.matching import features, rank, similarity

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

PAIRS_FILE = Path(__file__).resolve().parents[1] / "data" / "claim_pairs.tsv"


def labelled_pairs():
    pairs = []
    for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, first, second = line.split("\t")
        assert label in ("same", "different"), line
        pairs.append((first, second, label == "same"))
    return pairs


def test_the_pair_file_has_at_least_40_pairs_half_same_half_different():
    pairs = labelled_pairs()
    same = sum(1 for *_, is_same in pairs if is_same)
    assert len(pairs) >= 40
    assert same >= 20 and len(pairs) - same >= 20


def test_top_suggestion_precision_and_recall_are_at_least_0_8():
    """For each pair, rank every other sentence of the file as the registry and take the top
    suggestion: for a same-claim pair it must be the other sentence; for a different-claim
    pair the other sentence must not be suggested at the top."""
    pairs = labelled_pairs()
    registry = sorted({sentence for a, b, _ in pairs for sentence in (a, b)})
    true_pos = false_pos = 0
    same_total = 0
    for first, second, same in pairs:
        candidates = [(s, s) for s in registry if s != first]
        if not same:
            # The hard negative is the candidate under test; its true twin stays out.
            twins = {b for a, b, s in pairs if s and a == first} | {
                a for a, b, s in pairs if s and b == first}
            candidates = [(s, s) for s in registry if s != first and s not in twins]
        suggested = [m for m in rank(first, candidates) if m.comparison.suggested]
        top = suggested[0].statement if suggested else None
        if same:
            same_total += 1
            if top == second:
                true_pos += 1
            elif top is not None:
                false_pos += 1
        elif top == second:
            false_pos += 1
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / same_total
    assert precision >= 0.8, precision
    assert recall >= 0.8, recall


def test_pairwise_precision_and_recall_are_at_least_0_8():
    precision, recall = matching.precision_recall(labelled_pairs())
    assert precision >= 0.8 and recall >= 0.8, (precision, recall)


def test_the_issue_examples():
    same = similarity("Ketamine can raise blood pressure for about an hour",
                      "Blood pressure goes up during the first hour after a ketamine dose")
    assert same.suggested
    for other in ("Ketamine can lower blood pressure for about an hour",
                  "Esketamine can raise blood pressure for about an hour"):
        assert not similarity("Ketamine can raise blood pressure for about an hour",
                              other).suggested, other


def test_reasons_name_the_shared_drug_condition_and_outcome():
    result = similarity("Ketamine raises blood pressure in adults with depression.",
                        "In depressed adults, blood pressure goes up after ketamine.")
    reasons = " | ".join(result.reasons)
    assert "same drug: ketamine" in reasons
    assert "same condition: depression" in reasons
    assert "same outcome: blood pressure" in reasons


def test_reasons_say_what_differs():
    result = similarity("Ketamine raises blood pressure.", "Esketamine raises blood pressure.")
    assert any(r.startswith("different drug: ") and "esketamine" in r for r in result.reasons)


def test_similarity_is_between_0_and_1_and_the_threshold_decides_suggested():
    for a, b, _ in labelled_pairs():
        result = similarity(a, b)
        assert 0.0 <= result.similarity <= 1.0
        assert result.suggested == (result.similarity >= matching.SUGGEST_THRESHOLD
                                    and not result.vetoed)


@pytest.mark.parametrize(("short", "long"), [
    ("FDA", "Food and Drug Administration"),
    ("EMA", "European Medicines Agency"),
    ("PTSD", "post-traumatic stress disorder"),
    ("TRD", "treatment-resistant depression"),
    ("IV", "intravenous"),
    ("BP", "blood pressure"),
    ("side effects", "adverse effects"),
    ("NMDA receptors", "N-methyl-D-aspartate receptors"),
    ("Spravato", "esketamine"),
    ("SSRIs", "selective serotonin reuptake inhibitors"),
])
def test_abbreviations_and_spelled_out_forms_are_the_same_concept(short, long):
    assert features(short).facets == features(long).facets
    assert features(short).facets


@pytest.mark.parametrize(("first", "second"), [
    ("70%", "seventy percent"),
    ("70 per cent", "70 %"),
    ("an hour", "60 minutes"),
    ("two weeks", "14 days"),
    ("0.5 mg/kg", "0.5 milligrams per kilogram"),
    ("500 mcg", "0.5 mg"),
    ("half of patients", "50% of patients"),
    ("one in three patients", "33% of patients"),
])
def test_numbers_and_units_are_compared_after_conversion(first, second):
    assert features(first).quantities == features(second).quantities
    assert features(first).quantities


def test_a_number_only_counts_before_a_unit_when_written_as_a():
    assert features("a study of ketamine").quantities == frozenset()
    assert features("for an hour").quantities == {(60.0, "minute")}


def test_negation_turns_the_direction():
    assert not similarity("Ketamine increases heart rate.",
                          "Ketamine does not increase heart rate.").suggested
    assert similarity("Ketamine does not raise heart rate.",
                      "Heart rate is not increased by ketamine.").suggested


def test_every_table_row_names_known_facets():
    lexicon = matching.lexicon()
    facets = {"drug", "condition", "population", "outcome", "route", "agency", "mechanism",
              "status", "qualifier"}
    for phrase, concepts in lexicon.terms.items():
        for concept in concepts:
            if concept in ("neg", "bad", "stop"):
                continue
            kind, _, name = concept.partition(":")
            assert kind in facets | {"dir"}, (phrase, concept)
            assert name, (phrase, concept)
            if kind == "dir":
                assert name in {"up", "down", "benefit", "harm", "more", "less"}, concept


def test_the_search_key_holds_concepts_so_synonyms_find_each_other():
    first = set(matching.search_key("Adverse effects of IV ketamine").split())
    second = set(matching.search_key("Side effects of intravenous ketamine").split())
    assert {"outcomeadverseeffects", "routeintravenous", "drugketamine"} <= first & second
