"""Bench row: ranking the registered claims that match a passage, among 10,000 claims on
PostgreSQL (`claims.matching.similar_claims`, what `?similar_to=` and the annotator call).

The 10,000 claims are generated from the vocabulary health writing uses (drugs, conditions,
populations, outcomes, directions, numbers and units, in several sentence shapes), so that
nearly all of them mention ketamine and share words with the queries, as on the real site;
each is stored as `create_claim` stores it (statement key, concept key, search vector), in
bulk. The queries are paraphrases of claims in the registry and hard near-misses (another
drug, the other direction, another number). Each query is timed in-process, candidates from
the GIN indexes (full-text over the concept key, pg_trgm on the statement) and ranking in
Python included; the row reports p50 and p90 and how many paraphrases found their claim
first. Target: p50 under 50 ms. Skipped when no PostgreSQL is reachable
(`KETASITE_BENCH_POSTGRES`, default postgres://postgres@127.0.0.1:5432).
"""

import itertools
import json
import random
import statistics

from bench.row_search import _postgres_admin, postgres_database
from bench.server import PYTHON, _run, site_env

CLAIMS = 10_000
TARGET_P50_MS = 50.0
ROUNDS = 5

DRUGS = ["Ketamine", "Esketamine", "Intravenous ketamine", "Spravato", "Oral ketamine",
         "Ketamine nasal spray", "Arketamine", "Ketamine infusion therapy"]
CONDITIONS = ["depression", "treatment-resistant depression", "PTSD", "anxiety", "ADHD",
              "bipolar depression", "chronic pain", "suicidal thoughts", "OCD", "migraine",
              "alcohol use disorder", "fibromyalgia", "postpartum depression", "insomnia"]
POPULATIONS = ["adults", "teenagers", "older adults", "veterans", "children", "women",
               "pregnant women", "people"]
OUTCOMES = ["blood pressure", "heart rate", "side effects", "dissociation", "nausea",
            "memory", "bladder damage", "mood", "response rate", "relapse"]
VERBS_UP = ["raises", "increases", "boosts"]
VERBS_DOWN = ["lowers", "reduces", "cuts"]
NUMBERS = ["about an hour", "two hours", "a week", "40 minutes", "30%", "70% of patients",
           "0.5 mg/kg", "1 mg/kg", "three days", "six infusions"]
SHAPES = [
    "{drug} {verb} {outcome} in {population} with {condition}.",
    "{drug} {verb} {outcome} for {number}.",
    "{drug} helps {population} with {condition} within {number}.",
    "{drug} is not FDA-approved for {condition} in {population}.",
    "{drug} may worsen {condition} in {population}.",
    "In {population}, {drug} {verb} {outcome} by {number}.",
]
QUERIES = [
    "Blood pressure goes up during the first hour after a ketamine dose.",
    "The Food and Drug Administration has not approved ketamine for ADHD in children.",
    "Ketamine lowers the heart rate of veterans with PTSD.",
    "Adverse effects of IV ketamine in older adults with depression increase.",
    "Esketamine nasal spray relieves treatment resistant depression in adults within a week.",
    "Seventy percent of patients respond to ketamine infusions.",
    "Ketamine raises blood pressure by about 30%.",
    "Dissociation goes down in teens with anxiety after esketamine.",
    "Ketamine can make bipolar depression worse in women.",
    "A dose of half a milligram per kilogram of ketamine helps chronic pain.",
]


def claim_statements(total=CLAIMS, seed=13):
    """Return `total` distinct claim statements built from the vocabulary above."""
    rng = random.Random(seed)
    seen, statements = set(), []
    for attempt in itertools.count():
        if len(statements) >= total or attempt > total * 50:
            break
        shape = rng.choice(SHAPES)
        statement = shape.format(
            drug=rng.choice(DRUGS), condition=rng.choice(CONDITIONS),
            population=rng.choice(POPULATIONS), outcome=rng.choice(OUTCOMES),
            verb=rng.choice(VERBS_UP + VERBS_DOWN), number=rng.choice(NUMBERS),
        )
        if statement.lower() not in seen:
            seen.add(statement.lower())
            statements.append(statement)
    # Numbered variants fill the rest, each a claim of its own.
    for number in itertools.count(1):
        if len(statements) >= total:
            break
        statements.append(f"Ketamine raises blood pressure by {number + 10} mmHg in adults.")
    return statements


def setup_claims(total=CLAIMS):
    """Store `total` claims as `claims.services.create_claim` stores them, in bulk."""
    from django.db import connection, transaction
    from django.utils.text import slugify

    from claims import matching
    from claims.models import Claim
    from claims.services import statement_key, store_match_vector

    statements = claim_statements(total)
    for first in range(0, len(statements), 1000):
        with transaction.atomic():
            Claim.objects.bulk_create([
                Claim(statement=text, statement_key=statement_key(text),
                      slug=f"{slugify(text)[:80]}-{first + index}",
                      match_key=matching.search_key(text))
                for index, text in enumerate(statements[first:first + 1000])
            ])
    store_match_vector(Claim.objects.all())
    with connection.cursor() as cursor:
        # A bulk load leaves the GIN indexes' pending lists full; autovacuum merges them on a
        # live site, here it is done at once so the measurement starts from a settled index.
        cursor.execute("VACUUM ANALYZE claims_claim")
    if Claim.objects.count() != total:
        raise RuntimeError(f"expected {total} claims")


def measure_claims(rounds=ROUNDS):
    """Time `similar_claims` for every query, `rounds` times; print the results as JSON."""
    import time

    from claims.matching import similar_claims

    for query in QUERIES:  # warm the connection, the tables and the plans
        similar_claims(query)
    from django.db import connection

    baseline = []
    with connection.cursor() as cursor:
        for _ in range(20):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            baseline.append((time.perf_counter() - started) * 1000)
    latencies, suggested = [], 0
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            matches = similar_claims(query, limit=20)
            latencies.append((time.perf_counter() - started) * 1000)
            suggested += bool(matches and matches[0].comparison.suggested)
    print(json.dumps({"latencies": latencies, "suggested": suggested,
                      "baseline": statistics.median(baseline)}))


def run(options=None) -> list[dict]:
    admin = _postgres_admin()
    if admin is None:
        return [{"benchmark": "claims: PostgreSQL", "measured": "not reachable, skipped",
                 "target": "-", "ok": None}]
    with admin, postgres_database(admin, setup="bench.row_claims:setup_claims") as url:
        code = ("import django; django.setup(); "
                "import bench.row_claims as row; row.measure_claims()")
        output = _run([PYTHON, "-c", code], site_env(url), "measure claims")
    result = json.loads(output.strip().splitlines()[-1])
    latencies = result["latencies"]
    p50 = statistics.median(latencies)
    p90 = statistics.quantiles(latencies, n=10)[8]
    return [{
        "benchmark": f"claims: rank the matches of a passage among {CLAIMS:,} claims "
                     "(PostgreSQL)",
        "measured": f"p50 {p50:.1f} ms, p90 {p90:.1f} ms over {len(latencies)} queries "
                    f"({result['suggested']} with a suggested top match; a bare SELECT 1 "
                    f"takes {result['baseline']:.1f} ms here)",
        "target": f"p50 < {TARGET_P50_MS:.0f} ms",
        "ok": p50 < TARGET_P50_MS,
    }]


if __name__ == "__main__":
    for row in run():
        print(row)
