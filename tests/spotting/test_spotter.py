"""The spotter's rules: what is a claim, its kind, and the reasons an editor reads."""

import tomllib

import pytest

from spotting import spotter
from spotting.spotter import assess

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral


@pytest.mark.parametrize("sentence, kind", [
    ("Ketamine is not FDA-approved for ADHD.", "regulatory"),
    ("Esketamine worked faster than the older antidepressants in two trials.", "comparison"),
    ("In the trial, 52% of patients were in remission after four weeks.", "statistic"),
    ("The usual dose is 0.5 mg/kg given over 40 minutes.", "dosing"),
    ("Ketamine can raise blood pressure for about an hour.", "safety"),
    ("Ketamine blocks NMDA receptors in the brain.", "mechanism"),
    ("Ketamine reduces suicidal thoughts in people with depression.", "efficacy"),
])
def test_claims_of_each_kind_are_spotted(sentence, kind):
    result = assess(sentence)
    assert result.is_claim, result
    assert result.kind == kind
    assert 0.5 <= result.score <= 1


@pytest.mark.parametrize("sentence, role, because", [
    ("Can ketamine help with PTSD?", "paragraph", "a question"),
    ("Does ketamine reduce pain", "question", "a question"),
    ("Talk to your doctor before you stop an antidepressant.", "paragraph",
     "advice to the reader"),
    ("Anyone with heart disease should ask their clinician first.", "paragraph",
     "advice to the reader"),
    ("Book a free consultation with our ketamine team today.", "paragraph",
     "a booking or marketing line"),
    ("Call 555-201-4477 to reserve your place.", "paragraph", "a booking or marketing line"),
    ("This article explores how ketamine reduces depression.", "paragraph",
     "the article talking about itself"),
    ("In this guide we look at ketamine for pain.", "paragraph",
     "the article talking about itself"),
    ("Side effects of ketamine", "heading", "a heading that names a topic"),
    ("How ketamine works in the brain", "heading", "a heading that names a topic"),
])
def test_what_is_never_a_claim(sentence, role, because):
    result = assess(sentence, role=role)
    assert not result.is_claim
    assert result.excluded_because == because


def test_a_heading_that_states_something_is_a_claim():
    assert assess("Ketamine Reduces Suicidal Thoughts Within Hours", role="heading").is_claim


def test_reasons_are_in_words_an_editor_understands():
    reasons = assess("Ketamine reduces depression symptoms more effectively than placebo, "
                     "with 0.5 mg/kg given weekly.").reasons
    assert "a causal verb: reduces" in reasons
    assert "a drug and a condition: ketamine, depression" in reasons
    assert any(r.startswith("a comparative: more effectively than") for r in reasons)
    assert any(r.startswith("a number with a unit: 0.5 mg/kg") for r in reasons)


def test_advice_after_a_claim_leaves_the_claim():
    result = assess("Most antihistamines are safe for daily use, but anyone who is pregnant "
                    "should ask a pharmacist first.")
    assert result.is_claim and result.kind == "safety"


def test_a_sentence_about_it_takes_the_drug_named_before():
    alone = assess("It can be misused by people who take it often.")
    after = assess("It can be misused by people who take it often.", context_drugs=("ketamine",))
    assert after.score > alone.score
    assert after.is_claim
    assert "a drug: ketamine (named just before)" in after.reasons


def test_a_sentence_not_about_health_is_held_under_the_threshold():
    result = assess("Prices rose by 12% in the first three months of the year.")
    assert not result.is_claim
    assert "not about health" in result.reasons


def test_the_data_files_are_valid_and_every_signal_has_words():
    for name in ("lexicon.toml", "not_claims.toml"):
        with open(spotter.DATA_DIR / name, "rb") as handle:
            assert tomllib.load(handle)
    vocabulary = spotter.lexicon()
    signals = {name for names in vocabulary.terms.values() for name in names}
    assert set(spotter.SIGNALS) <= signals | set(vocabulary.patterns)
    assert {reason for reason, _rules in spotter.exclusions()} == {
        "advice to the reader", "a booking or marketing line", "the article talking about itself"
    }


def test_a_pattern_only_runs_when_one_of_its_opening_words_is_there():
    rule = spotter.Rule.compile(r"\b(?:talk|speak)\s+to\b")
    assert rule.needs_words == {"talk", "speak"}
    either = spotter.Rule.compile(r"\bget started\b|\btoday!")
    assert either.needs_words is None  # an alternative at the top: always run
    digits = spotter.Rule.compile(r"\d+%")
    assert digits.needs_digit and not digits.may_match(frozenset({"percent"}), False)


def test_an_faq_answer_is_about_what_its_question_names():
    from articles.blocks import with_text
    from spotting.spotter import spot_blocks

    faq = with_text({"id": "f", "type": "faq", "question": "Can ketamine be addictive?",
                     "answer": "It can be misused."})
    (claim,) = spot_blocks([faq])
    assert claim.sentence.text == "It can be misused." and claim.kind == "safety"
    assert "a drug: ketamine (named just before)" in claim.reasons
