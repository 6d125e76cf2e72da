"""Benchmark: carry 1,000 annotations across an edit of a 50 KB article in under a second.

Two rows: the pure re-anchoring core (`evidence.anchoring.reanchor`), and the whole database
path (`carry_forward_annotations`) run in a subprocess against a fresh temporary SQLite
database, so the benchmark never touches the project's own database.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 1.0
ANNOTATIONS = 1000
ARTICLE_CHARS = 50_000
ROOT = Path(__file__).resolve().parent.parent

WORDS = (  # noqa: SIM905
    "ketamine esketamine dose infusion adults adolescents depression anxiety symptoms trial "
    "placebo response remission weeks hours clinic patients evidence study review risk "
    "dissociation blood pressure monitoring treatment resistant suicidal ideation relapse "
    "maintenance session nasal spray intravenous oral outcomes scale reduction improvement"
).split()


def make_article(seed=7, chars=ARTICLE_CHARS):
    """Return blocks of about `chars` characters of varied sentences."""
    rng = random.Random(seed)
    blocks = []
    total = 0
    while total < chars:
        sentences = []
        for _ in range(rng.randint(3, 7)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(8, 20))]
            sentences.append(" ".join(words).capitalize() + f" ({rng.randint(1, 99999)}).")
        text = " ".join(sentences)
        blocks.append({"id": f"b{len(blocks)}", "type": "paragraph", "text": text})
        total += len(text) + 2
    return blocks


def make_anchors(blocks, count=ANNOTATIONS, seed=11):
    """Return (block_id, start, end) ranges of 20–60 characters spread over the article."""
    from evidence.anchoring import Anchor, quote_context

    rng = random.Random(seed)
    anchors = []
    for index in range(count):
        block = blocks[index % len(blocks)]
        text = block["text"]
        length = rng.randint(20, 60)
        start = rng.randint(0, max(0, len(text) - length - 1))
        exact, prefix, suffix = quote_context(text, start, start + length)
        anchors.append(Anchor(block["id"], start, start + length, exact, prefix, suffix))
    return anchors


def make_edit(blocks, anchors, seed=13, every_block=False):
    """Return edited blocks: sentences inserted, a few typos fixed inside quotes, blocks gone.

    By default a tenth of the paragraphs get a sentence; `every_block` edits them all, which
    moves nearly every annotation (the worst case for the database writes).
    """
    rng = random.Random(seed)
    new = [dict(block) for block in blocks]
    for block in new if every_block else rng.sample(new, len(new) // 10):
        cut = block["text"].find(". ") + 2
        text = block["text"]
        block["text"] = text[:cut] + "An editor added this sentence. " + text[cut:]
    by_id = {block["id"]: block for block in new}
    for anchor in rng.sample(anchors, 5):
        block = by_id[anchor.block_id]
        middle = anchor.start + (anchor.end - anchor.start) // 2
        if block["text"][anchor.start : anchor.end] == anchor.exact:
            text = block["text"]
            block["text"] = text[:middle] + text[middle + 1 :]
    removed = {new[3]["id"], new[len(new) // 2]["id"]}
    new = [block for block in new if block["id"] not in removed]
    new.insert(5, {"id": "inserted", "type": "paragraph", "text": "A new paragraph."})
    return new


def _pure_row():
    from evidence.anchoring import reanchor

    blocks = make_article()
    anchors = make_anchors(blocks)
    edited = make_edit(blocks, anchors)
    began = time.perf_counter()
    placements = reanchor(blocks, edited, anchors)
    elapsed = time.perf_counter() - began
    carried = sum(1 for p in placements if p is not None)
    return {
        "benchmark": f"re-anchor {len(anchors)} annotations, {ARTICLE_CHARS // 1000} KB edit "
        f"(pure core; {carried} carried)",
        "measured": f"{elapsed:.3f} s",
        "target": f"< {TARGET_SECONDS:.0f} s",
        "ok": elapsed < TARGET_SECONDS,
    }


DB_SCRIPT = """
import json, sys, time
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from articles.models import Article, Revision
from evidence.anchoring import carry_forward_annotations
from evidence.models import Annotation
from bench.row_anchoring import make_anchors, make_article, make_edit

EVERY_BLOCK = sys.argv[1] == "every_block"

blocks = make_article()
anchors = make_anchors(blocks)
article = Article.objects.create(slug="bench-anchoring")
old = Revision.objects.create(article=article, number=1, title="Bench", blocks=blocks)
Annotation.objects.bulk_create([
    Annotation(article=article, revision=old, block_id=a.block_id, start=a.start, end=a.end,
               exact=a.exact, prefix=a.prefix, suffix=a.suffix)
    for a in anchors
])
new = Revision.objects.create(article=article, number=2, title="Bench", parent=old,
                              blocks=make_edit(blocks, anchors, every_block=EVERY_BLOCK))
began = time.perf_counter()
result = carry_forward_annotations(old_revision=old, new_revision=new)
elapsed = time.perf_counter() - began
print(json.dumps({"elapsed": elapsed, "carried": len(result.carried),
                  "orphaned": len(result.orphaned)}))
"""


def _database_row(scenario):
    with tempfile.TemporaryDirectory() as directory:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{directory}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "ketasite.settings",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-secret-key",
            "REDIS_URL": "",
        }
        completed = subprocess.run(
            [sys.executable, "-c", DB_SCRIPT, scenario], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=300,
        )
    edited = "every paragraph edited" if scenario == "every_block" else "a tenth edited"
    name = f"carry_forward_annotations, {ANNOTATIONS} annotations, {edited} (SQLite)"
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return {"benchmark": name, "measured": f"failed: {last_line}",
                "target": f"< {TARGET_SECONDS:.0f} s", "ok": False}
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "benchmark": f"{name}; {outcome['carried']} carried, {outcome['orphaned']} orphaned",
        "measured": f"{outcome['elapsed']:.3f} s",
        "target": f"< {TARGET_SECONDS:.0f} s",
        "ok": outcome["elapsed"] < TARGET_SECONDS,
    }


def run(options=None):
    """Return the benchmark rows: {benchmark, measured, target, ok}."""
    return [_pure_row(), _database_row("some_blocks"), _database_row("every_block")]


if __name__ == "__main__":
    for row in run():
        print(row)
