"""Find the registered claims that say the same thing as a passage, ranked, with reasons.

Two sentences make the same claim when they agree on what matters: the drug, the condition
or population, the outcome or organ, the route, the agency or status, the direction of the
effect (after negation), and every number. Lexical overlap alone fails both ways, so each
sentence is first read into `ClaimFeatures` using the tables in `claims/data/` (synonyms,
abbreviations, spelled-out forms, units), then two feature sets are compared facet by facet:

- a facet both sentences state differently (ketamine / esketamine, raises / lowers,
  1 hour / 2 hours, approved / not approved) vetoes the match: the similarity is scaled down
  below the suggestion threshold, whatever the words share;
- otherwise the similarity is half facet agreement (weighted, a facet only one sentence states
  counts half) and half weighted word overlap (Dice) of concepts and word stems.

The core (`features`, `compare`, `rank`) is pure and has no database. `similar_claims` is the
database wrapper: PostgreSQL finds candidates with full-text search over each claim's
concept key (`Claim.match_vector`, GIN-indexed) and pg_trgm on the statement; SQLite scores a
bounded set with rapidfuzz. Both rank the candidates here, in Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import combinations
from pathlib import Path

import snowballstemmer
from django.db import connection

from claims.models import Claim

DATA_DIR = Path(__file__).resolve().parent / "data"

# A match is suggested from this similarity up, when no facet vetoes it. Chosen on
# tests/data/claim_pairs.tsv and on every cross pair of its sentences: a vetoed pair keeps
# at most 0.4 (VETO_FACTOR), every same-claim pair scores at least 0.65, and two claims that
# agree on everything both state but where each states facets the other leaves out (the
# drug alone in common) land between 0.4 and 0.55. 0.55 keeps those out and leaves the
# paraphrases a margin of 0.1; a paraphrase that drops a facet the other states (a route, a
# population) still clears it when the rest agrees.
SUGGEST_THRESHOLD = 0.55
# A veto keeps a fraction of the score, so vetoed candidates still rank among themselves
# but always stay under the threshold (max 0.4).
VETO_FACTOR = 0.4
FACET_WEIGHTS = {
    "drug": 2.0,
    "condition": 2.0,
    "population": 1.5,
    "outcome": 2.0,
    "route": 1.0,
    "agency": 1.5,
    "mechanism": 1.5,
    "status": 1.5,
    "quantity": 2.0,
    "direction": 2.0,
    "comparator": 1.0,
    "qualifier": 0.5,
}
# Facets that may not differ (a qualifier such as treatment-resistant only narrows a claim).
VETO_FACETS = set(FACET_WEIGHTS) - {"qualifier"}
# What kind of thing a claim says (an effect on an outcome, a mechanism, a status): two
# claims that each say some and share none are different claims, whatever else they share.
SUBJECT_FACETS = ("outcome", "mechanism", "status")
NAMED_FACETS = (
    "drug", "condition", "population", "outcome", "route", "agency", "mechanism", "status",
    "qualifier",
)
# The agreement of a facet only one claim states (a narrower claim is not quite the same).
ONE_SIDED = 0.4
CONCEPT_WEIGHT = 2.0
WORD_WEIGHT = 1.0
COMPARISON_MARKERS = {("than",), ("compar", "to"), ("compar", "with"), ("versus",), ("vs",)}
DIRECTION_LABELS = {
    ("level", 1): "raises or increases",
    ("level", -1): "lowers or reduces",
    ("wellbeing", 1): "helps or improves",
    ("wellbeing", -1): "harms or worsens",
    ("compare", 1): "more than",
    ("compare", -1): "less than",
}
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-zµ]+|%")
_STEMMER = snowballstemmer.stemmer("english")


# Tables -------------------------------------------------------------------------------------


def _rows(name):
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield line.rstrip("\n").split("\t")


def _fold(word: str) -> str:
    """Fold a plural to its singular ("effects" → "effect"), leaving other words alone.

    Lighter than a stemmer on purpose: "effective" and "effect" must stay apart for the
    tables, which list verb forms (raise, raises, raised) themselves.
    """
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Return the word, number and % tokens of `text`, lower-case, plurals folded.

    Hyphens and slashes split words; "n't" is "not"; "1,000" is 1000.
    """
    text = unicodedata.normalize("NFKC", text or "").lower().replace("’", "'")
    text = re.sub(r"\b(can|won|ca)n't\b", lambda m: {"won": "will", "ca": "can"}.get(
        m.group(1), m.group(1)) + " not", text)
    text = text.replace("n't", " not")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return [word if word[0].isdigit() or word == "%" else _fold(word)
            for word in _TOKEN.findall(text)]


@dataclass(frozen=True)
class Lexicon:
    """The data tables, keyed by stemmed token tuples."""

    terms: dict[tuple[str, ...], tuple[str, ...]]
    longest_term: int
    numbers: dict[str, tuple[float, str]]
    units: dict[tuple[str, ...], tuple[str, float]]
    longest_unit: int
    labels: dict[str, str]
    stopwords: frozenset[str]


@cache
def lexicon() -> Lexicon:
    """Load `claims/data/` once per process."""
    terms = {}
    for row in _rows("terms.tsv"):
        phrase, concepts = row[0], row[1].split()
        terms[tuple(tokens(phrase))] = tuple(concepts)
    numbers, units = {}, {}
    for row in _rows("numbers.tsv"):
        kind, word, value = row[0], row[1], row[2]
        if kind == "num":
            numbers[tokens(word)[0]] = (float(value), row[3] if len(row) > 3 else "")
        else:
            units[tuple(tokens(word))] = (value, float(row[3]))
    labels = {row[0]: row[1] for row in _rows("labels.tsv")}
    stopwords = frozenset(tokens(" ".join(row[0] for row in _rows("stopwords.txt"))))
    return Lexicon(
        terms=terms, longest_term=max(len(key) for key in terms), numbers=numbers,
        units=units, longest_unit=max(len(key) for key in units), labels=labels,
        stopwords=stopwords,
    )


def concept_label(concept: str) -> str:
    """Return how a concept (`facet:name`) is named to an editor."""
    return lexicon().labels.get(concept) or concept.split(":", 1)[1].replace("_", " ")


def quantity_label(quantity: tuple[float, str]) -> str:
    value, unit = quantity
    if unit == "minute":
        for size, name in ((525600, "year"), (43200, "month"), (10080, "week"), (1440, "day"),
                           (60, "hour")):
            if value >= size and (value / size).is_integer():
                value, unit = value / size, name
                break
        unit = unit + ("s" if value != 1 else "")
    number = f"{value:g}"
    if unit == "percent":
        return f"{number}%"
    return f"{number} {unit}".strip()


# Features -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimFeatures:
    """What a sentence claims, as matching reads it."""

    text: str
    facets: dict[str, frozenset[str]]
    words: frozenset[str]
    quantities: frozenset[tuple[float, str]]
    effects: dict[str, frozenset[int]]  # axis -> signs, negation applied
    negated: bool
    comparators: frozenset[str]

    @property
    def concept_tokens(self) -> frozenset[str]:
        """The concepts as single tokens (for the lexical score and the search key)."""
        found = {concept.replace(":", "_") for values in self.facets.values()
                 for concept in values}
        found |= {f"q_{quantity_label(q).replace(' ', '_')}" for q in self.quantities}
        found |= {f"dir_{axis}_{'up' if sign > 0 else 'down'}"
                  for axis, signs in self.effects.items() for sign in signs}
        return frozenset(found)

    def search_terms(self) -> tuple[list[str], list[str]]:
        """Return (distinctive, common) index words: concepts as single alphanumeric words
        ("outcome_blood_pressure" → "outcomebloodpressure") and word stems. The drug and
        the direction are common (nearly every claim here is about ketamine raising or
        lowering something), so a search looks for the distinctive ones first."""
        distinctive, common = [], []
        for token in sorted(self.concept_tokens):
            word = re.sub(r"[^a-z0-9]", "", token)
            (common if token.startswith(("drug_", "dir_")) else distinctive).append(word)
        distinctive += sorted(word for word in self.words if word.isalnum())
        return distinctive, common

    def search_key(self) -> str:
        """Return the words a search index holds for this claim (`Claim.match_key`)."""
        distinctive, common = self.search_terms()
        return " ".join(common + distinctive)


def _number_at(toks, i, lex):
    """Return (value, flag, next index) of the number starting at token i, or (None, "", i).

    Reads digits and spelled-out numbers, compounds included: "twenty five", "two hundred",
    "two and a half", "2 and a half".
    """
    word = toks[i]
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        value, flag, after = float(word), "", i + 1
    else:
        value, flag = lex.numbers.get(word, (None, ""))
        if value is None:
            return None, "", i
        after = i + 1
        while flag == "" and after < len(toks):
            following, following_flag = lex.numbers.get(toks[after], (None, "x"))
            if following_flag != "" or following is None:
                break
            if following in (100, 1000) and value < following:
                value *= following
            elif value >= 20 and value % 10 == 0 and following < 10:
                value += following
            else:
                break
            after += 1
    if flag == "" and toks[after:after + 3] in (["and", "a", "half"], ["and", "an", "half"]):
        value, after = value + 0.5, after + 3
    return value, flag, after


def _unit_at(toks, i, lex):
    for length in range(min(lex.longest_unit, len(toks) - i), 0, -1):
        unit = lex.units.get(tuple(toks[i:i + length]))
        if unit is not None:
            return unit[0], unit[1], i + length
    return None, None, i


def features(text: str) -> ClaimFeatures:
    """Read `text` into ClaimFeatures (pure; uses the tables in claims/data/)."""
    lex = lexicon()
    toks = tokens(text)
    facets: dict[str, set[str]] = {}
    words: set[str] = set()
    quantities: set[tuple[float, str]] = set()
    directions: list[str] = []
    comparators: set[str] = set()
    negations = 0
    bad = neutral = False
    after_comparison = comparing = False
    i = 0
    while i < len(toks):
        value, flag, number_end = _number_at(toks, i, lex)
        if value is not None:
            unit, factor, after = _unit_at(toks, number_end, lex)
            if flag == "times":
                quantities.add((value, "times"))
                i += 1
                continue
            if flag == "fraction" and toks[i + 1:i + 2] == ["of"]:
                quantities.add((round(value * 100), "percent"))
                i += 2
                continue
            if flag == "fraction" and toks[i + 1:i + 2] in (["a"], ["an"]):
                unit, factor, after = _unit_at(toks, i + 2, lex)
            if unit is not None:
                quantities.add((round(value * factor, 4), unit))
                i = after
                continue
            ratio = None
            if toks[number_end:number_end + 1] == ["in"]:
                ratio = number_end + 1
            elif toks[number_end:number_end + 2] == ["out", "of"]:
                ratio = number_end + 2
            if ratio is not None and ratio < len(toks):
                whole, _, whole_end = _number_at(toks, ratio, lex)
                if whole:
                    quantities.add((round(100 * value / whole), "percent"))
                    i = whole_end
                    continue
            if flag == "" and not (toks[i][0].isalpha() and toks[number_end:number_end + 1]
                                   == ["of"]):
                # "one of the side effects" states no number.
                quantities.add((value, ""))
                i = number_end
                continue
        for length in range(min(lex.longest_term, len(toks) - i), 0, -1):
            key = tuple(toks[i:i + length])
            if key in COMPARISON_MARKERS:
                after_comparison = comparing = True
                i += length
                break
            concepts = lex.terms.get(key)
            if concepts is None:
                continue
            for concept in concepts:
                if concept == "neg":
                    negations += 1
                elif concept == "bad":
                    bad = True
                elif concept == "stop":
                    pass
                elif concept.startswith("dir:"):
                    directions.append(concept[4:])
                elif concept.startswith("drug:") and after_comparison:
                    comparators.add(concept)
                else:
                    facet = concept.split(":", 1)[0]
                    facets.setdefault(facet, set()).add(concept)
                    if facet == "outcome" and "bad" not in concepts:
                        neutral = True
            i += length
            break
        else:
            if toks[i] not in lex.stopwords:
                words.add(_STEMMER.stemWord(toks[i]))
            i += 1
    if "condition" in facets:
        bad = True
    outcomes = facets.get("outcome", set())
    if "condition" in facets and not outcomes - {"outcome:efficacy"} and (
        "benefit" in directions or "harm" in directions
        or (("down" in directions or "up" in directions) and not neutral)
    ):
        # Helping, easing or worsening a condition is a claim about treating it: the same
        # outcome as "effective for" (and not as "safe for").
        facets.setdefault("outcome", set()).add("outcome:efficacy")
    # In "is not approved to treat X" the negation is the approval's, not the treating's.
    sign = -1 if negations % 2 and "status" not in facets else 1
    effects: dict[str, set[int]] = {}
    if not comparing:
        # "More" and "less" without "than" (or "compared with") compare nothing.
        directions = [d for d in directions if d not in ("more", "less")]
    for direction in directions:
        if direction in ("up", "down"):
            if bad and not neutral:
                axis, value = "wellbeing", (1 if direction == "down" else -1)
            else:
                axis, value = "level", (1 if direction == "up" else -1)
        elif direction in ("benefit", "harm"):
            axis, value = "wellbeing", (1 if direction == "benefit" else -1)
        else:
            axis, value = "compare", (1 if direction == "more" else -1)
        effects.setdefault(axis, set()).add(value * sign)
    return ClaimFeatures(
        text=text,
        facets={name: frozenset(values) for name, values in facets.items()},
        words=frozenset(words),
        quantities=frozenset(quantities),
        effects={axis: frozenset(signs) for axis, signs in effects.items()},
        negated=bool(negations % 2),
        comparators=frozenset(comparators),
    )


# Comparing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """How alike two claims are: `similarity` 0..1, `suggested`, and readable `reasons`."""

    similarity: float
    suggested: bool
    reasons: tuple[str, ...]
    vetoed: bool = False


@dataclass
class _Tally:
    weighted: float = 0.0
    total: float = 0.0
    veto: bool = False
    reasons: list[str] = field(default_factory=list)
    against: list[str] = field(default_factory=list)

    def add(self, facet, score):
        weight = FACET_WEIGHTS[facet]
        self.weighted += weight * score
        self.total += weight


def _labels(concepts):
    return ", ".join(sorted(concept_label(c) for c in concepts))


def _compare_sets(tally, facet, mine, theirs):
    if not mine and not theirs:
        return
    if mine == theirs:
        tally.add(facet, 1.0)
        tally.reasons.append(f"same {facet}: {_labels(mine)}")
    elif not mine or not theirs:
        tally.add(facet, ONE_SIDED)
        tally.against.append(f"only one names the {facet}: {_labels(mine or theirs)}")
    elif mine <= theirs or theirs <= mine:
        tally.add(facet, ONE_SIDED - 0.1)
        tally.against.append(f"{facet} differs in part: {_labels(mine)} / {_labels(theirs)}")
    else:
        tally.add(facet, 0.0)
        if facet in VETO_FACETS:
            tally.veto = True
        tally.against.append(f"different {facet}: {_labels(mine)} / {_labels(theirs)}")


def _subjects(features_):
    return frozenset().union(*(features_.facets.get(f, frozenset()) for f in SUBJECT_FACETS))


def _compare_subjects(tally, a, b):
    """Veto two claims about different things: each names what it says (an outcome, a
    mechanism or a status) and they name nothing in common ("ketamine blocks NMDA receptors"
    / "ketamine does not raise heart rate"; "not approved for ADHD" / "no evidence it helps
    ADHD"), even if no single facet is stated differently by both."""
    mine, theirs = _subjects(a), _subjects(b)
    if mine and theirs and not mine & theirs:
        tally.veto = True
        tally.against.append(f"about different things: {_labels(mine)} / {_labels(theirs)}")
    elif mine and theirs and bool(a.facets.get("status")) != bool(b.facets.get("status")):
        # "Used off-label to treat depression" is about approval; "relieves depression" is
        # about the effect.
        tally.veto = True
        tally.against.append("only one is about a status (approval, legality, schedule)")


def _compare_quantities(tally, mine, theirs):
    if not mine and not theirs:
        return
    shown = lambda qs: ", ".join(sorted(quantity_label(q) for q in qs))  # noqa: E731
    if mine == theirs:
        tally.add("quantity", 1.0)
        tally.reasons.append(f"same number: {shown(mine)}")
    elif not mine or not theirs:
        # Not a veto (a claim may leave out a number the other gives), but no agreement.
        tally.add("quantity", 0.0)
        tally.against.append(f"only one states a number: {shown(mine or theirs)}")
    else:
        tally.add("quantity", 0.0)
        tally.veto = True
        tally.against.append(f"different number: {shown(mine)} / {shown(theirs)}")


def _compare_direction(tally, a, b):
    shared = set(a.effects) & set(b.effects)
    agreed = []
    for axis in sorted(shared):
        if a.effects[axis] & b.effects[axis]:
            agreed.extend((axis, sign) for sign in sorted(a.effects[axis] & b.effects[axis]))
        else:
            tally.add("direction", 0.0)
            tally.veto = True
            mine = "/".join(DIRECTION_LABELS[(axis, s)] for s in sorted(a.effects[axis]))
            theirs = "/".join(DIRECTION_LABELS[(axis, s)] for s in sorted(b.effects[axis]))
            tally.against.append(f"opposite direction: {mine} / {theirs}")
            return
    if agreed:
        tally.add("direction", 1.0)
        tally.reasons.append(
            "same direction: " + ", ".join(DIRECTION_LABELS[key] for key in agreed)
        )
        return
    if a.negated != b.negated:
        tally.add("direction", 0.0)
        tally.veto = True
        tally.against.append("one says the opposite (a negation)")
    elif a.effects or b.effects:
        tally.add("direction", 0.5)
    elif a.negated:
        tally.add("direction", 1.0)
        tally.reasons.append("both are negative statements")


def _lexical(a: ClaimFeatures, b: ClaimFeatures) -> float:
    def weights(features_):
        found = dict.fromkeys(features_.concept_tokens, CONCEPT_WEIGHT)
        for word in features_.words:
            found.setdefault(word, WORD_WEIGHT)
        return found

    mine, theirs = weights(a), weights(b)
    total = sum(mine.values()) + sum(theirs.values())
    if not total:
        return 0.0
    shared = sum(weight for token, weight in mine.items() if token in theirs)
    return 2 * shared / total


def compare(a: ClaimFeatures, b: ClaimFeatures) -> Comparison:
    """Return how alike two claims are, why, and whether to suggest one for the other."""
    tally = _Tally()
    for facet in NAMED_FACETS:
        _compare_sets(tally, facet, a.facets.get(facet, frozenset()),
                      b.facets.get(facet, frozenset()))
    _compare_subjects(tally, a, b)
    _compare_quantities(tally, a.quantities, b.quantities)
    _compare_direction(tally, a, b)
    if a.comparators or b.comparators:
        _compare_sets(tally, "comparator", a.comparators, b.comparators)
    if bool(a.effects.get("compare")) != bool(b.effects.get("compare")):
        # "Works faster than antidepressants" and "works" are different claims.
        tally.veto = True
        tally.against.append("only one is a comparison")
    lexical = _lexical(a, b)
    facet_score = tally.weighted / tally.total if tally.total else lexical
    similarity = 0.5 * lexical + 0.5 * facet_score
    if tally.veto:
        similarity *= VETO_FACTOR
    similarity = round(min(max(similarity, 0.0), 1.0), 4)
    reasons = tally.reasons + tally.against
    if not tally.reasons and lexical:
        reasons.insert(0, f"shared words ({round(lexical * 100)}% overlap)")
    return Comparison(
        similarity=similarity,
        suggested=similarity >= SUGGEST_THRESHOLD and not tally.veto,
        reasons=tuple(reasons),
        vetoed=tally.veto,
    )


@lru_cache(maxsize=50_000)
def statement_features(statement: str) -> ClaimFeatures:
    """`features` of a registered statement, kept per process: statements do not change, and
    the same candidates come back for many passages."""
    return features(statement)


def similarity(a: str, b: str) -> Comparison:
    """Compare two sentences."""
    return compare(features(a), features(b))


@dataclass(frozen=True)
class Match:
    """One ranked candidate: its key (a claim id), statement and comparison."""

    key: object
    statement: str
    comparison: Comparison


def rank(text: str, candidates: Iterable[tuple[object, str]], *, limit: int | None = None,
         ) -> list[Match]:
    """Return the candidates (key, statement) ranked by similarity to `text`, best first."""
    wanted = features(text)
    matches = [
        Match(key=key, statement=statement, comparison=compare(wanted, features(statement)))
        for key, statement in candidates
    ]
    matches.sort(key=lambda m: (-m.comparison.similarity, str(m.statement)))
    return matches[:limit] if limit is not None else matches


# Database wrapper ---------------------------------------------------------------------------

CANDIDATES = 40
# At most this many distinctive search terms: at most 28 pairs in a query.
MAX_SEARCH_TERMS = 8
SQLITE_SCAN_LIMIT = 5000


def search_key(text: str) -> str:
    """Return what `Claim.match_key` holds for a statement (and what a search looks for)."""
    return features(text).search_key()


def _any_of(groups):
    """A tsquery matching a vector that holds every word of at least one group (the words
    are letters and digits only, so the raw query text needs no quoting)."""
    from django.contrib.postgres.search import SearchQuery

    text = " | ".join("(" + " & ".join(group) + ")" for group in groups)
    return SearchQuery(text, config="simple", search_type="raw")


def _postgres_candidates(queryset, text: str, wanted: ClaimFeatures):
    """Candidates on PostgreSQL, from the GIN indexes, best first.

    Full-text search over the concept key (`match_vector`), in tiers: the claims that share
    three distinctive terms with the text (when it has four or more), then two, then one,
    until there are CANDIDATES; distinctive terms are the concepts and words other than the
    drug and the direction, which nearly every claim here shares. Each tier is ranked by
    ts_rank over all the text's terms. Asking for several terms at once keeps the rows
    PostgreSQL must read and rank few: their posting lists are intersected in the index. A
    text with no distinctive term falls back to pg_trgm on the statement.
    """
    from django.contrib.postgres.search import SearchRank, TrigramSimilarity
    from django.db.models import F

    distinctive, common = wanted.search_terms()
    distinctive = distinctive[:MAX_SEARCH_TERMS]
    if not distinctive:
        return list(
            queryset.filter(statement__trigram_similar=text)
            .annotate(candidate_rank=TrigramSimilarity("statement", text))
            .order_by("-candidate_rank", "pk").values_list("pk", "statement")[:CANDIDATES]
        )
    everything = _any_of([(term,) for term in distinctive + common])
    tiers = [list(combinations(distinctive, size)) for size in (3, 2, 1)
             if size <= len(distinctive) and (size < 3 or len(distinctive) >= 4)]
    found: dict[int, str] = {}
    for groups in tiers:
        if not groups:
            continue
        rows = (
            queryset.filter(match_vector=_any_of(groups)).exclude(pk__in=list(found))
            .annotate(candidate_rank=SearchRank(F("match_vector"), everything))
            .order_by("-candidate_rank", "pk").values_list("pk", "statement")
            [:CANDIDATES - len(found)]
        )
        found.update(rows)
        if len(found) >= CANDIDATES:
            break
    return list(found.items())


def _sqlite_candidates(queryset, text: str, key: str):
    from rapidfuzz import fuzz, process

    rows = list(queryset.order_by("-pk").values_list("pk", "statement", "match_key")
                [:SQLITE_SCAN_LIMIT])
    choices = {pk: match_key for pk, _, match_key in rows}
    best = process.extract(key, choices, scorer=fuzz.token_set_ratio, limit=CANDIDATES)
    statements = {pk: statement for pk, statement, _ in rows}
    return [(pk, statements[pk]) for _, _, pk in best]


def similar_claims(text: str, *, queryset=None, limit: int = 20) -> list[Match]:
    """Return the registered claims most like `text`, best first (keys are claim ids).

    Candidates come from the database's own search (see the module docstring); they are then
    ranked by `compare`. Merged claims are never offered.
    """
    if queryset is None:
        queryset = Claim.objects.current()
    wanted = features(text)
    key = wanted.search_key()
    if connection.vendor == "postgresql":
        candidates = _postgres_candidates(queryset, text, wanted)
    else:
        candidates = _sqlite_candidates(queryset, text, key)
    matches = [
        Match(key=pk, statement=statement,
              comparison=compare(wanted, statement_features(statement)))
        for pk, statement in candidates
    ]
    matches.sort(key=lambda m: (-m.comparison.similarity, m.key))
    return matches[:limit]


def precision_recall(pairs: Iterable[tuple[str, str, bool]]) -> tuple[float, float]:
    """Return (precision, recall) of `suggested` over labelled (a, b, same_claim) pairs."""
    true_pos = false_pos = false_neg = 0
    for a, b, same in pairs:
        suggested = similarity(a, b).suggested
        true_pos += suggested and same
        false_pos += suggested and not same
        false_neg += (not suggested) and same
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    return precision, recall


__all__ = [
    "SUGGEST_THRESHOLD", "ClaimFeatures", "Comparison", "Match", "compare", "features",
    "precision_recall", "rank", "search_key", "similar_claims", "similarity",
]
