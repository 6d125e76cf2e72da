"""The claim spotter: which sentences make a check-worthy health claim, of what kind, and why.

Pure rules over two data files, so an editor can read and extend them and nothing is
downloaded or trained at run time:

- `data/lexicon.toml`: words and patterns that make a sentence worth checking (a named drug,
  a condition, a causal verb, a number with a unit, a comparative, a regulator...), after
  Full Fact's claim types (quantities, cause and effect, rules and laws, comparisons) and the
  signals behind ClaimBuster's check-worthiness (numbers, causal verbs, named entities);
- `data/not_claims.toml`: what is never a claim (advice to the reader, booking and
  marketing lines, the article talking about itself); questions and headings that only name
  a topic are recognised here.

A sentence's score is the noisy-OR of the weights of the signals found (so each adds to the
chance that it is a claim and the score stays within 0..1), held down when the sentence is not
about health or makes no statement (no verb, only names). At `THRESHOLD` or above it is a
claim. The weights were set by hand and are measured on tests/data/claim_sentences.tsv and a
held-out set (docs/claim-spotting.md).
"""

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from spotting.sentences import Sentence, revision_sentences

DATA_DIR = Path(__file__).resolve().parent / "data"
THRESHOLD = 0.5

KINDS = {
    "efficacy": "efficacy",
    "safety": "safety or side effects",
    "dosing": "dosing or administration",
    "mechanism": "mechanism",
    "statistic": "statistic or quantity",
    "regulatory": "regulatory or legal status",
    "comparison": "comparison",
    "other": "other",
}

# Signal: (weight, how an editor reads it). The reason names what was found.
SIGNALS = {
    "drug": (0.30, "a drug"),
    "treatment": (0.15, "a treatment"),
    "condition": (0.20, "a condition"),
    "outcome": (0.15, "an outcome"),
    "side_effect": (0.35, "a side effect or risk"),
    "mechanism": (0.30, "a mechanism"),
    "dosing": (0.35, "a dose or way of giving it"),
    "regulatory": (0.45, "a regulator or legal status"),
    "causal": (0.42, "a causal verb"),
    "research": (0.25, "cites research"),
    "absolute": (0.20, "a strong word"),
    "comparative": (0.40, "a comparative"),
    "statistic": (0.40, "a statistic"),
    "quantity": (0.30, "a number with a unit"),
    "quantifier": (0.15, "a vague quantity"),
}
# A second, different term of the same signal adds this share of its weight (once).
MORE_OF_THE_SAME = 0.5
# A sentence whose subject is a drug, treatment, condition, outcome or dose ("Ketamine is…",
# "Blood pressure is checked…") is a statement about health.
SUBJECT = 0.30
SUBJECT_SIGNALS = ("drug", "side_effect", "treatment", "condition", "outcome", "dosing")
SUBJECT_WORDS = 3
DRUG_AND_CONDITION = 0.25
CITATION = 0.15
# About health at all: without one of these a sentence is held well under the threshold.
HEALTH_SIGNALS = ("drug", "treatment", "condition", "outcome", "side_effect", "mechanism",
                  "dosing", "regulatory", "health_context")
NOT_ABOUT_HEALTH = 0.4
# A statement needs a verb, unless it states a number, a statistic or a comparison
# ("Adults: 0.5 mg/kg over forty minutes").
STANDS_WITHOUT_VERB = ("quantity", "statistic", "comparative")

CITATION_PATTERN = re.compile(
    r"\(\s*\d+(?:\s*[,\-–]\s*\d+)*\s*\)|\[\s*\d+(?:\s*[,\-–]\s*\d+)*\s*\]"
)
WORD = re.compile(r"\w+")
DIGIT = re.compile(r"\d")
PRONOUN_START = re.compile(r"^(?:it|they|this|these|that|the drug|the medicine|the treatment|"
                           r"both|each|such)\b")
TOPIC_HEADING_START = re.compile(
    r"^(?:how|what|why|when|where|who|which|whether|can|is|are|does|do|should|will)\b"
)
TRAILING_CLOSERS = "\"'”’)]» \t"
# A word before a causal term that makes it a noun ("a rise in blood pressure").
NOUN_MARKERS = frozenset({"a", "an", "the", "this", "that", "any", "no", "its", "their"})
# "Label: text", as list items and FAQ lines often start: the subject comes after the label.
LABEL_PREFIX = re.compile(r"^[^:.!?]{1,60}:\s+")
INTERROGATIVE_PART = re.compile(r"(?:^|[:?]\s*)(?:how|what|why|when|where|who|which|whether)\b")
CLAUSE_BREAK = re.compile(r"(?:,\s*(?:but|and|so|although|though|while)\s|;\s)")
ADVICE = "advice to the reader"


@dataclass(frozen=True)
class Assessment:
    """What the spotter makes of one sentence."""

    is_claim: bool
    kind: str
    score: float
    reasons: tuple[str, ...]
    # Why a sentence was left out, when it was ("a question", "advice to the reader"...).
    excluded_because: str = ""
    # The drugs it names: the sentences after it in its block may be about them ("It …").
    drugs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpottedClaim:
    """A sentence of a revision that makes a check-worthy claim."""

    sentence: Sentence
    kind: str
    score: float
    reasons: tuple[str, ...]


LEADING_WORDS = re.compile(r"^\\b(?:\(\?:(?P<alternatives>[^()\\\[\]]+)\)|(?P<word>[a-z]+))")


def _has_top_level_alternative(source: str) -> bool:
    depth, escaped = 0, False
    for character in source:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "|" and depth == 0:
            return True
    return False


@dataclass(frozen=True)
class Rule:
    """One pattern of the data files, and the words one of which a sentence must hold for it
    to match at all (read from the pattern's opening "\\b(?:a|b|…)"): most sentences hold
    none of them, and a set lookup is far cheaper than running the pattern."""

    pattern: re.Pattern
    needs_words: frozenset | None = None  # None: always run
    needs_digit: bool = False

    @classmethod
    def compile(cls, source: str) -> "Rule":
        if source.startswith(("\\d", "\\b\\d")):
            return cls(re.compile(source), needs_digit=True)
        leading = LEADING_WORDS.match(source)
        if leading is None or _has_top_level_alternative(source):
            return cls(re.compile(source))
        alternatives = (leading.group("alternatives") or leading.group("word")).split("|")
        firsts = [WORD.findall(alternative) for alternative in alternatives]
        if not all(firsts):
            return cls(re.compile(source))
        return cls(re.compile(source), needs_words=frozenset(words[0] for words in firsts))

    def may_match(self, words: frozenset, has_digit: bool) -> bool:
        if self.needs_digit:
            return has_digit
        return self.needs_words is None or not self.needs_words.isdisjoint(words)


@dataclass(frozen=True)
class Lexicon:
    """The vocabulary, ready to match: word sequences looked up in a table (fast, however
    many terms), and the few signals that need patterns (numbers, comparatives)."""

    terms: dict  # (word, ...) -> (signal, ...)
    longest: dict  # first word -> the most words a term starting with it has
    patterns: dict  # signal -> [Rule], over lower-case text
    verbs: frozenset  # words that make a sentence a statement


def _words(term: str) -> tuple[str, ...]:
    return tuple(WORD.findall(term.lower()))


@cache
def lexicon() -> Lexicon:
    """Return the vocabulary of data/lexicon.toml."""
    with open(DATA_DIR / "lexicon.toml", "rb") as handle:
        data = tomllib.load(handle)
    terms: dict[tuple[str, ...], tuple[str, ...]] = {}
    patterns = {}
    for name, entry in data.items():
        for term in entry.get("terms", ()):
            key = _words(term)
            if key and name not in terms.get(key, ()):
                terms[key] = (*terms.get(key, ()), name)
        if "patterns" in entry:
            patterns[name] = [Rule.compile(p) for p in entry["patterns"]]
    quantity = data["quantity"]
    numbers = "|".join(sorted((re.escape(n).replace(r"\ ", r"\s+") for n in quantity["numbers"]),
                              key=len, reverse=True))
    units = "|".join(sorted((re.escape(u).replace(r"\ ", r"\s+") for u in quantity["units"]),
                            key=len, reverse=True))
    number = rf"(?:\d+(?:[.,]\d+)?|{numbers})"
    patterns["quantity"] = [Rule(re.compile(
        rf"(?<!\w){number}(?:\s*(?:-|–|to|or)\s*{number})?(?:\s+(?:more|extra|further))?"
        rf"\s*(?:{units})(?!\w)"
    ))]
    known = {name for names in terms.values() for name in names} | set(patterns)
    missing = (set(SIGNALS) | {"health_context"}) - known
    if missing:
        raise ValueError(f"data/lexicon.toml has no entry for {', '.join(sorted(missing))}")
    longest: dict[str, int] = {}
    for key in terms:
        longest[key[0]] = max(longest.get(key[0], 0), len(key))
    return Lexicon(terms=terms, longest=longest, patterns=patterns,
                   verbs=frozenset(data["verbs"]["words"]))


@cache
def exclusions() -> list[tuple[str, list[Rule]]]:
    """Return [(reason, rules)] from data/not_claims.toml, in the file's order."""
    with open(DATA_DIR / "not_claims.toml", "rb") as handle:
        data = tomllib.load(handle)
    return [(entry["reason"], [Rule.compile(p) for p in entry["patterns"]])
            for entry in data.values()]


@dataclass
class Found:
    """The terms of each signal in one sentence, with the index of the word each starts at."""

    terms: dict  # signal -> [term]
    first_word: dict  # signal -> [word index]
    words: list  # the sentence's words, lower case

    def __getitem__(self, name):
        return self.terms.get(name, [])


def _scan(lower: str) -> Found:
    """Find every signal's terms in a lower-case sentence: the longest term at each word."""
    vocabulary = lexicon()
    spans = [(m.group(0), m.start(), m.end()) for m in WORD.finditer(lower)]
    words = [word for word, _, _ in spans]
    terms: dict[str, list[str]] = {}
    first_word: dict[str, list[int]] = {}
    free_from: dict[str, int] = {}
    for index, word in enumerate(words):
        longest = vocabulary.longest.get(word)
        if longest is None:
            continue
        for size in range(min(longest, len(words) - index), 0, -1):
            names = vocabulary.terms.get(tuple(words[index:index + size]))
            if not names:
                continue
            term = lower[spans[index][1]:spans[index + size - 1][2]]
            for name in names:
                if free_from.get(name, 0) > index:
                    continue  # inside a longer term of the same signal
                free_from[name] = index + size
                if term not in terms.setdefault(name, []):
                    terms[name].append(term)
                    first_word.setdefault(name, []).append(index)
    present = frozenset(words)
    has_digit = DIGIT.search(lower) is not None
    for name, rules in vocabulary.patterns.items():
        for rule in rules:
            if not rule.may_match(present, has_digit):
                continue
            for match in rule.pattern.finditer(lower):
                term = " ".join(match.group(0).split())
                if term not in terms.setdefault(name, []):
                    terms[name].append(term)
    return Found(terms=terms, first_word=first_word, words=words)


def _reason(label: str, terms: list[str]) -> str:
    return f"{label}: {', '.join(terms[:2])}"


def is_question(text: str, role: str) -> bool:
    return role == "question" or text.rstrip(TRAILING_CLOSERS).endswith("?")


def _kind(found: Found) -> str:
    """Return the claim's kind: the most specific signal wins (a legal status over a number,
    a number over a side effect...), after Full Fact's claim types."""
    if found["regulatory"]:
        return "regulatory"
    if found["comparative"]:
        return "comparison"
    if found["statistic"]:
        return "statistic"
    dose_quantity = any(
        unit in term for term in found["quantity"] for unit in ("mg", "dose", "infusion", "spray")
    )
    if found["side_effect"] and not dose_quantity:
        return "safety"
    if found["dosing"] or dose_quantity:
        return "dosing"
    if found["mechanism"]:
        return "mechanism"
    if found["causal"] or found["quantity"]:
        return "efficacy" if found["causal"] else "statistic"
    return "other"


def _not_a_claim(reason: str) -> Assessment:
    return Assessment(is_claim=False, kind="other", score=0.0, reasons=(),
                      excluded_because=reason)


def _excluded(text: str) -> tuple[str, str]:
    """Return (reason, text to assess): reason is "" when the sentence may be a claim.

    Advice in a later clause ("…, but anyone pregnant should ask first") leaves the claim
    before it to be assessed on its own.
    """
    words = frozenset(WORD.findall(text))
    has_digit = DIGIT.search(text) is not None
    for reason, rules in exclusions():
        match = None
        for rule in rules:
            if rule.may_match(words, has_digit):
                match = rule.pattern.search(text)
                if match is not None:
                    break
        if match is None:
            continue
        if reason == ADVICE and match.start() > 0:
            breaks = list(CLAUSE_BREAK.finditer(text, 0, match.start()))
            if breaks and len(text[: breaks[-1].start()].split()) >= 5:
                return "", text[: breaks[-1].start()]
        return reason, text
    return "", text


def _has_verb(found: Found) -> bool:
    words = found.words
    verbs = lexicon().verbs
    if any(word in verbs for word in words):
        return True
    # A causal verb, unless it is used as a noun ("a rise in blood pressure").
    return any(
        index == 0 or words[index - 1] not in NOUN_MARKERS
        for index in found.first_word.get("causal", ())
    )


def _looks_like_heading(text: str, role: str) -> bool:
    return role == "heading" or (
        not text.rstrip(TRAILING_CLOSERS).endswith((".", "!", "?", ";"))
        and len(text.split()) <= 14
    )


def _subject(lower: str, found: Found) -> str:
    """Return the health term the sentence opens with (its likely subject), or ""."""
    label = LABEL_PREFIX.match(lower)
    skip = len(WORD.findall(label.group(0))) if label else 0
    for name in SUBJECT_SIGNALS:
        for term, index in zip(found[name], found.first_word.get(name, ()), strict=False):
            if skip <= index < skip + SUBJECT_WORDS:
                return term
    return ""


def assess(text: str, *, role: str = "paragraph", context_drugs: tuple[str, ...] = ()
           ) -> Assessment:
    """Return whether `text` makes a check-worthy health claim, its kind, score and reasons.

    `role` is the sentence's part of its block (heading, paragraph, item, question, answer,
    quote, caption). `context_drugs` are the drugs named just before it, which a sentence
    that starts "It ..." or "They ..." is taken to be about.
    """
    text = " ".join(text.split())
    if len(text.split()) < 3 and role != "heading":
        return _not_a_claim("too short to state anything")
    if is_question(text, role) or ("?" in text and not text.endswith((".", "!"))):
        return _not_a_claim("a question")
    lower = text.lower()
    reason, lower = _excluded(lower)
    if reason:
        return _not_a_claim(reason)

    found = _scan(lower)
    if not found["drug"] and context_drugs and PRONOUN_START.match(lower):
        found.terms["drug"] = [f"{context_drugs[0]} (named just before)"]
    has_verb = _has_verb(found)
    if (
        _looks_like_heading(text, role)
        and (INTERROGATIVE_PART.search(lower) or not has_verb)
        and not any(found[name] for name in STANDS_WITHOUT_VERB)
    ):
        return _not_a_claim("a heading that names a topic")
    if not has_verb and not any(found[name] for name in STANDS_WITHOUT_VERB):
        return _not_a_claim("names a topic without saying anything about it")

    reasons = []
    weights = []
    if (found["drug"] or found["treatment"]) and found["condition"]:
        subject = (found["drug"] or found["treatment"])[0]
        reasons.append(f"a drug and a condition: {subject}, {found['condition'][0]}")
        weights.append(DRUG_AND_CONDITION)
    subject = _subject(lower, found) if has_verb else ""
    if subject:
        reasons.append(f"a statement about {subject}")
        weights.append(SUBJECT)
    for name, (weight, label) in SIGNALS.items():
        if found[name]:
            weights.append(weight)
            if len(found[name]) > 1:
                weights.append(weight * MORE_OF_THE_SAME)
            reasons.append(_reason(label, found[name]))
    citations = [" ".join(c.split()) for c in CITATION_PATTERN.findall(lower)]
    if citations:
        weights.append(CITATION)
        reasons.append(_reason("a citation", citations))

    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    score = 1.0 - miss
    if not any(found[name] for name in HEALTH_SIGNALS):
        score *= NOT_ABOUT_HEALTH
        reasons.append("not about health")
    score = round(score, 2)
    named = tuple(term for term in found["drug"] if not term.endswith("(named just before)"))
    return Assessment(is_claim=score >= THRESHOLD, kind=_kind(found), score=score,
                      reasons=tuple(reasons), drugs=named)


def spot_sentences(sentences: list[Sentence]) -> list[tuple[Sentence, Assessment]]:
    """Assess each sentence, with the drugs named earlier in its block as its context."""
    results = []
    block_id, context = None, ()
    for sentence in sentences:
        if sentence.block_id != block_id:
            block_id, context = sentence.block_id, ()
        assessment = assess(sentence.text, role=sentence.role, context_drugs=context)
        results.append((sentence, assessment))
        named = assessment.drugs
        if sentence.role == "question" and not named:
            # A question is never a claim, but its answer is about what it names.
            named = tuple(_scan(sentence.text.lower())["drug"])
        if named:
            context = named
    return results


def spot_blocks(blocks: list[dict]) -> list[SpottedClaim]:
    """Return the check-worthy claims among the blocks' sentences, in reading order."""
    return [
        SpottedClaim(sentence=sentence, kind=a.kind, score=a.score, reasons=a.reasons)
        for sentence, a in spot_sentences(revision_sentences(blocks))
        if a.is_claim
    ]
