"""A large, realistic corpus to measure on: `manage.py generate_corpus` (issue 15).

Every row is one the real code could have made, written the fast way:

- texts: the demo and import-fixture documents, read by the real importer's parser
  (`parse_document`) into typed blocks, recombined and with words varied, 1–20 KB each;
- annotations anchored as the annotator anchors them (`compute_anchor`: a block, offsets in
  its text, the quote with its context), rated, with their `RatingChange` rows;
- a workflow history per article that the transitions would have written, in every state
  (`STATE_EVENTS`): review assignments before a submit, an approval pinning the real
  `approval_fingerprint`, publications frozen by the same functions `freeze_publication`
  calls (`render_body`, `freeze_responses`, `changelog_entry`, ...), search vectors stored by
  `store_search_vectors` and search entries kept by the database's own triggers.

Rows are built in batches of articles (in worker processes when asked: the rendering is the
cost) and written with `COPY` on PostgreSQL, multi-row INSERTs elsewhere; one transaction per
batch, so memory stays flat however large the corpus. Ids are reserved up front from each
table's sequence, so a batch knows every id it refers to before anything is written.
A test (tests/data/test_corpus.py) publishes a sample again with the real `publish` and
compares: whatever this module builds differently from the real code fails it.
"""

import hashlib
import json
import math
import multiprocessing
import random
import re
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from articles import reviewdates
from articles.blocks import block_starts, block_text, plain_text, with_text
from articles.changelog import changelog_entry
from articles.groups import ensure_editorial_groups
from articles.importing.parser import parse_document
from articles.models import (
    Article,
    LiveTag,
    Publication,
    ReviewAssignment,
    Revision,
    SearchEntry,
    WorkflowEvent,
)
from articles.publishing import (
    _freeze_page_and_api,
    claim_history_base,
    display_name,
    freeze_publication,
    origin_data,
    page_url,
    public_blocks,
    source_reference,
)
from articles.rendering import render_body
from articles.search import store_search_vectors
from evidence.annotations import compute_anchor
from evidence.models import Annotation, Citation, RatingChange, Source
from evidence.sources import normalize_url
from evidence.summary import evidence_summary
from ketasite.sanitize import render_markdown
from pagecache.generation import purge_public_pages
from reviewers.credits import reviewer_credit

State = Article.State

# The documents the texts are made from: the project's own demo and import fixtures.
TEXT_DIRS = ("demo", "tests/importing/fixtures")
MIN_TEXT_CHARS = 1_000
MAX_TEXT_CHARS = 20_000

# Of every STATE_CYCLE articles, one in each of these states; the rest are published. At
# 100,000 articles that is 2,000 in each state besides published (4,000 archived: archived
# as a draft, and archived after publication).
STATE_CYCLE = 50
DRAFT_STATES = (
    State.DRAFT, State.IN_REVIEW, State.CHANGES_REQUESTED, State.APPROVED,
    State.UNPUBLISHED, "archived_draft", "archived_live",
)

# Events, in order, that the workflow writes on the way to each state: (action, from, to).
# An archived article alternates between archived as a draft and archived after publication.
_CREATED = [("create", "", State.DRAFT)]
_ASSIGNED = [("assign_reviewers", State.DRAFT, State.DRAFT)]
_SUBMITTED = [*_CREATED, *_ASSIGNED, ("submit", State.DRAFT, State.IN_REVIEW)]
_APPROVED = [*_SUBMITTED, ("approve", State.IN_REVIEW, State.APPROVED)]
_PUBLISHED = [*_APPROVED, ("publish", State.APPROVED, State.PUBLISHED)]
STATE_EVENTS = {
    State.DRAFT: _CREATED,
    State.IN_REVIEW: _SUBMITTED,
    State.CHANGES_REQUESTED: [
        *_SUBMITTED, ("request_changes", State.IN_REVIEW, State.CHANGES_REQUESTED)
    ],
    State.APPROVED: _APPROVED,
    State.PUBLISHED: _PUBLISHED,
    State.UNPUBLISHED: [*_PUBLISHED, ("unpublish", State.PUBLISHED, State.UNPUBLISHED)],
    "archived_draft": [*_CREATED, ("archive", State.DRAFT, State.ARCHIVED)],
    "archived_live": [*_PUBLISHED, ("archive", State.PUBLISHED, State.ARCHIVED)],
}
EVENT_COMMENTS = {
    "create": "Article created in the admin.",
    "request_changes": "Please check the dosing paragraph against the cited trial.",
    "unpublish": "Taken down while the evidence is checked again.",
    "archive": "Superseded by a newer article.",
}
MAX_EVENTS = max(len(events) for events in STATE_EVENTS.values())

TAG_NAMES = (
    "depression", "anxiety", "ptsd", "chronic pain", "anaesthesia", "side effects",
    "esketamine", "psychotherapy", "addiction", "bipolar disorder", "suicidal ideation",
    "dosing", "safety", "research", "sleep", "mood", "pain relief", "mental health",
    "nasal spray", "infusion", "adolescents", "older adults", "pregnancy", "bladder",
    "blood pressure", "dissociation", "microdosing", "ocd", "eating disorders", "adhd",
)
TAGS_PER_ARTICLE = (1, 4)
MAX_TAGS = TAGS_PER_ARTICLE[1]
MAX_CITATIONS = 4
MAX_SOURCES_PER_ANNOTATION = 2
NOTES = (
    "Matches the cited trial: a small average benefit over placebo.",
    "The **cited study was small** (n = 24) and not blinded; treat it with caution.",
    "Supported by two randomised trials and a meta-analysis.",
    "Overstates the effect: the review found *no* difference at four weeks.",
    "Case series only; no controlled data yet.",
    "The licence says so; see the product information, section 4.4.",
    "Mixed: the benefit faded by the second week in most participants.",
    "",
)
SYLLABLES = (
    "ka", "ta", "mi", "ne", "lo", "ri", "su", "ve", "do", "pha", "xe", "zo", "qui", "bra",
    "cor", "len", "mor", "sil", "tan", "vel", "nor", "cet", "pre", "dol", "rin", "sta",
)


@dataclass(frozen=True)
class Plan:
    """What to generate and the ids reserved for it (`reserve_ids`)."""

    articles: int
    annotations_per_article: int
    seed: int
    batch_size: int
    base: dict  # model label → first reserved id
    users: dict  # role → [(id, username, display name)]
    credits: dict  # reviewer id → reviewer credit
    tag_ids: dict  # tag name → id
    tag_rules: dict  # tag id → months (the tags' review intervals)
    source_ids: tuple  # the source pool: ids
    article_content_type: int
    now: datetime


# Ids per article reserved in each table (a batch computes its rows' ids from these).
def strides(per_article: int) -> dict:
    return {
        "article": 1, "revision": 1, "publication": 1, "reviewassignment": 1,
        "annotation": per_article,
        "annotation_sources": per_article * MAX_SOURCES_PER_ANNOTATION,
        "ratingchange": per_article * 3,
        "citation": MAX_CITATIONS,
        "taggeditem": MAX_TAGS,
        "workflowevent": MAX_EVENTS,
    }


def tables() -> dict:
    return {
        "article": Article._meta.db_table,
        "revision": Revision._meta.db_table,
        "publication": Publication._meta.db_table,
        "reviewassignment": ReviewAssignment._meta.db_table,
        "annotation": Annotation._meta.db_table,
        "annotation_sources": Annotation.sources.through._meta.db_table,
        "ratingchange": RatingChange._meta.db_table,
        "citation": Citation._meta.db_table,
        "taggeditem": TaggedItem._meta.db_table,
        "workflowevent": WorkflowEvent._meta.db_table,
        "source": Source._meta.db_table,
    }


def state_of(index: int) -> str:
    """The state of the corpus's `index`th article ("archived_draft"/"archived_live" for the
    two paths to archived)."""
    slot = index % STATE_CYCLE
    if slot >= len(DRAFT_STATES):
        return State.PUBLISHED
    return DRAFT_STATES[slot]


def final_state(path: str) -> str:
    return State.ARCHIVED if path.startswith("archived") else path


# Texts -------------------------------------------------------------------------------------


class TextSource:
    """The documents' blocks and words, read once, from which every article is varied."""

    def __init__(self, seed: int):
        base = Path(settings.BASE_DIR)
        self.documents = []
        for folder in TEXT_DIRS:
            for path in sorted((base / folder).glob("*")):
                if path.is_file():
                    parsed = parse_document(path.read_bytes(), filename=path.name)
                    blocks = [{k: v for k, v in b.items() if k not in ("id", "cites")}
                              for b in parsed.blocks]
                    self.documents.append((parsed.title, parsed.summary, blocks))
        if not self.documents:
            raise CorpusError(f"no texts found under {', '.join(TEXT_DIRS)}")
        rng = random.Random(seed)
        words = set()
        for _, _, blocks in self.documents:
            for block in blocks:
                words.update(w.lower() for w in re.findall(r"[A-Za-z]{5,}", block_text(block)))
        # Made-up words, so that searches find anything from one article to thousands.
        invented = {
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            for _ in range(20_000)
        }
        self.vocabulary = sorted(words) + sorted(invented)

    def word(self, rng: random.Random) -> str:
        # Zipf-like: a few words are everywhere, most are rare.
        index = min(int(rng.paretovariate(0.9)) - 1, len(self.vocabulary) - 1)
        return self.vocabulary[(index * 7919) % len(self.vocabulary)]

    def vary(self, text: str, rng: random.Random) -> str:
        def swap(match):
            return self.word(rng) if rng.random() < 0.12 else match.group()

        return re.sub(r"[A-Za-z]{5,}", swap, text)

    def vary_block(self, block: dict, rng: random.Random) -> dict:
        block = dict(block)
        if block["type"] == "list":
            block["items"] = self._vary_items(block.get("items") or [], rng)
        elif block["type"] == "faq":
            block["question"] = self.vary(block.get("question", ""), rng)
            block["answer"] = self.vary(block.get("answer", ""), rng)
        else:
            block["text"] = self.vary(block.get("text", ""), rng)
        return with_text(block)

    def _vary_items(self, items, rng):
        return [
            {"text": self.vary(item.get("text", ""), rng),
             "items": self._vary_items(item.get("items") or [], rng)}
            for item in items
        ]

    def article_text(self, rng: random.Random) -> tuple[str, str, list]:
        """Return (title, summary, blocks) of 1–20 KB of plain text, ids unique."""
        target = int(math.exp(rng.uniform(math.log(MIN_TEXT_CHARS), math.log(MAX_TEXT_CHARS))))
        first = rng.randrange(len(self.documents))
        title, summary, _ = self.documents[first]
        blocks, size, seen = [], 0, set()
        order = [first] + [i for i in rng.sample(range(len(self.documents)),
                                                   len(self.documents)) if i != first]
        position = 0
        while size < target:
            doc = self.documents[order[position % len(order)]]
            position += 1
            for block in doc[2]:
                block = self.vary_block(block, rng)
                length = len(block["text"]) + 2
                if size + length > MAX_TEXT_CHARS:
                    break
                block_id = f"{rng.getrandbits(32):08x}"
                while block_id in seen:
                    block_id = f"{rng.getrandbits(32):08x}"
                seen.add(block_id)
                block["id"] = block_id
                blocks.append(block)
                size += length
                if size >= target:
                    break
            else:
                continue
            if size + 200 > MAX_TEXT_CHARS or size >= target:
                break
        title = f"{self.vary(title, rng)} ({self.word(rng).capitalize()})"[:300]
        summary = self.vary(summary or title, rng)
        return title, summary, blocks


# Building one batch (pure: no database) -------------------------------------------------


class CorpusError(Exception):
    """The corpus cannot be generated as asked; the message is one readable line."""


def _spans(blocks, count, rng):
    """Return `count` (block id, start, end) passages at word boundaries, not overlapping
    where there is room, as an editor marks them in the annotator."""
    candidates = [b for b in blocks if b["type"] != "heading" and len(b["text"].strip()) > 12]
    if not candidates:
        candidates = blocks
    weights = [len(b["text"]) for b in candidates]
    taken: dict[str, list] = {}
    spans = []
    for _ in range(count):
        for attempt in range(12):
            block = rng.choices(candidates, weights)[0]
            text = block["text"]
            words = [m.span() for m in re.finditer(r"\S+", text)]
            if not words:
                continue
            first = rng.randrange(len(words))
            last = min(len(words) - 1, first + rng.randint(2, 14))
            start, end = words[first][0], words[last][1]
            used = taken.setdefault(block["id"], [])
            if attempt < 11 and any(start < e and s < end for s, e in used):
                continue
            used.append((start, end))
            spans.append((block["id"], start, end))
            break
    return spans


def _approval_fingerprint(*, revision_data, annotations, citations, tags, slug):
    """`articles.approval.approval_fingerprint`, from the rows about to be written."""
    rows = [
        {"id": a["id"], "block_id": a["block_id"], "start": a["start"], "end": a["end"],
         "exact": a["exact"], "status": a["status"], "certainty": a["certainty"],
         "verdict": a["verdict"], "note": a["note"], "sources": sorted(a["sources"])}
        for a in annotations
    ]
    rows.sort(key=lambda row: (row["block_id"], row["start"], row["id"]))
    data = {
        **revision_data,
        "annotations": rows,
        "citations": [[number, source_id] for number, source_id in citations],
        "tags": sorted(tags),
        "slug": slug,
    }
    encoded = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


class _SourceStub:
    """What `source_reference` reads of a Source, for the pool's sources."""

    def __init__(self, pk):
        self.pk = pk
        fields = source_fields(pk)
        for name, value in fields.items():
            setattr(self, name, value)


def source_fields(pk: int) -> dict:
    """The fields of the pool's source `pk`: a deterministic, valid PubMed reference."""
    rng = random.Random(pk)
    pmid = str(30_000_000 + pk)
    designs = [value for value, _ in Source.Design.choices]
    authors = ", ".join(
        f"{rng.choice(('Smith', 'Nguyen', 'Garcia', 'Okafor', 'Müller', 'Kowalski'))} "
        f"{rng.choice('ABCDEFGHJKLM')}" for _ in range(rng.randint(1, 4))
    )
    url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    return {
        "pmid": pmid,
        "doi": f"10.{1000 + pk % 9000}/corpus.{pk}",
        "url": url,
        "url_key": normalize_url(url),
        "title": f"Ketamine and {rng.choice(TAG_NAMES)}: a study of {rng.randint(12, 900)} "
                 "patients",
        "authors": authors,
        "journal": rng.choice(("J Affect Disord", "Lancet Psychiatry", "BMJ", "Pain",
                               "Am J Psychiatry", "Anesthesiology")),
        "year": rng.randint(1995, 2026),
        "design": rng.choice(designs),
        "citation_text": "",
    }


class BatchBuilder:
    """Builds the rows of a range of articles: column tuples per table, nothing written."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.text = TextSource(plan.seed)
        self.strides = strides(plan.annotations_per_article)
        self.notes = {note: render_markdown(note) if note else "" for note in NOTES}
        self.sources = {}

    def source(self, pk):
        if pk not in self.sources:
            self.sources[pk] = _SourceStub(pk)
        return self.sources[pk]

    def id_of(self, kind, index, offset=0):
        return self.plan.base[kind] + index * self.strides[kind] + offset

    def build(self, first: int, last: int) -> dict:
        rows: dict[str, list] = {kind: [] for kind in self.strides}
        for index in range(first, last):
            self._article(index, rows)
        return rows

    def _user(self, role, rng):
        return rng.choice(self.plan.users[role])

    def _article(self, index, rows):  # noqa: C901 - one article's rows, in order
        plan = self.plan
        rng = random.Random(f"{plan.seed}:{index}")
        path = state_of(index)
        state = final_state(path)
        article_id = self.id_of("article", index)
        revision_id = self.id_of("revision", index)
        title, summary, blocks = self.text.article_text(rng)
        slug = f"{slugify(title)[:100].strip('-')}-{article_id}"
        editor = self._user("editor", rng)
        reviewer = self._user("reviewer", rng)
        publisher = self._user("publisher", rng)
        tag_names = sorted(rng.sample(sorted(plan.tag_ids), rng.randint(*TAGS_PER_ARTICLE)))
        interval = rng.choice((None, None, None, 6, 12, 24))

        # Times: created some days ago, then each event a while after the last.
        created = plan.now - timedelta(days=rng.uniform(30, 1500))
        clock = [created]

        def later(hours_low=0.5, hours_high=96):
            clock[0] = clock[0] + timedelta(hours=rng.uniform(hours_low, hours_high))
            return clock[0]

        rows["revision"].append({
            "id": revision_id, "article_id": article_id, "number": 1, "parent_id": None,
            "title": title, "title_is_provisional": False, "summary": summary,
            "blocks": blocks, "author_id": editor[0], "message": "",
            "import_record_id": None, "created_at": created,
        })
        for position, name in enumerate(tag_names):
            rows["taggeditem"].append({
                "id": self.id_of("taggeditem", index, position), "tag_id": plan.tag_ids[name],
                "content_type_id": plan.article_content_type, "object_id": article_id,
            })
        citations = []
        if plan.source_ids:
            for _ in range(rng.randint(0, MAX_CITATIONS)):
                source_id = rng.choice(plan.source_ids)
                if source_id in (s for _, s in citations):
                    continue
                citations.append((len(citations) + 1, source_id))
        for position, (number, source_id) in enumerate(citations):
            rows["citation"].append({
                "id": self.id_of("citation", index, position), "revision_id": revision_id,
                "source_id": source_id, "number": number,
            })

        # Annotations: marked on the draft, rated by the reviewer (all of them once approved).
        events = STATE_EVENTS[path]
        approved = any(action == "approve" for action, _, _ in events)
        annotations = []
        spans = _spans(blocks, plan.annotations_per_article, rng)
        for position, (block_id, start, end) in enumerate(spans):
            _, start, end, exact, prefix, suffix = compute_anchor(
                blocks, block_id=block_id, start=start, end=end
            )
            rated = approved or rng.random() < 0.7
            note = rng.choice(NOTES) if rated else ""
            ann_id = self.id_of("annotation", index, position)
            marked = created + timedelta(minutes=5 + position)
            sources = []
            if plan.source_ids:
                for _ in range(rng.randint(0, MAX_SOURCES_PER_ANNOTATION)):
                    source_id = rng.choice(plan.source_ids)
                    if source_id not in sources:
                        sources.append(source_id)
            annotations.append({
                "id": ann_id, "article_id": article_id, "revision_id": revision_id,
                "block_id": block_id, "start": start, "end": end, "exact": exact,
                "prefix": prefix, "suffix": suffix,
                "certainty": rng.choice(("high", "moderate", "low", "very_low")) if rated else "",
                "verdict": rng.choice(("supported", "supported", "mixed", "unsupported",
                                       "misleading", "contradicted")) if rated else "",
                "note": note, "note_html": self.notes[note],
                "author_id": reviewer[0],
                "status": "resolved" if rng.random() < 0.1 else "open",
                "version": 1, "first_published_at": None,
                "created_at": marked, "modified_at": marked, "sources": sources,
            })
        later(1, 48)

        article = {
            "id": article_id, "uuid": uuid.uuid4(), "slug": slug, "state": state,
            "source_url": "", "site_name": "", "original_filename": "", "origin_sha256": "",
            "origin_key": "", "original_published_on": None, "is_promotional": False,
            "draft_id": revision_id, "live_id": None, "approved_revision_id": None,
            "approval_fingerprint": "", "approved_by_id": None, "approved_at": None,
            "assigned_editor_id": editor[0] if rng.random() < 0.5 else None,
            "publish_at": None, "publish_scheduled_by_id": None, "scheduled_change_note": "",
            "unpublish_at": None, "unpublish_scheduled_by_id": None,
            "first_published_at": None, "last_published_at": None, "review_due": None,
            "review_interval_months": interval, "last_reviewed_on": None,
            "last_reviewed_by_id": None, "created_by_id": editor[0], "created_at": created,
            "updated_at": created,
        }
        publication = None
        for position, (action, from_state, to_state) in enumerate(events):
            when = created if action == "create" else later()
            actor = {"create": editor, "assign_reviewers": editor, "submit": editor,
                     "request_changes": reviewer, "approve": reviewer}.get(action, publisher)
            comment = EVENT_COMMENTS.get(action, "")
            if action == "assign_reviewers":
                comment = f"Reviewers: {reviewer[1]}."
                rows["reviewassignment"].append({
                    "id": self.id_of("reviewassignment", index), "article_id": article_id,
                    "reviewer_id": reviewer[0], "due": None, "assigned_by_id": editor[0],
                    "assigned_at": when,
                })
            elif action == "approve":
                article["approved_revision_id"] = revision_id
                article["approved_by_id"] = reviewer[0]
                article["approved_at"] = when
                article["approval_fingerprint"] = _approval_fingerprint(
                    revision_data={"title": title, "summary": summary, "blocks": blocks},
                    annotations=annotations, citations=citations, tags=tag_names, slug=slug,
                )
            elif action == "publish":
                article["last_reviewed_on"] = timezone.localdate(when)
                article["last_reviewed_by_id"] = reviewer[0]
                months = interval or min(
                    (plan.tag_rules[plan.tag_ids[n]] for n in tag_names
                     if plan.tag_ids[n] in plan.tag_rules),
                    default=settings.KETASITE_REVIEW_INTERVAL_MONTHS,
                )
                article["review_due"] = reviewdates.add_months(article["last_reviewed_on"],
                                                               months)
                article["first_published_at"] = article["last_published_at"] = when
                for annotation in annotations:
                    annotation["first_published_at"] = when
                publication = self._publication(
                    index, article, rows["revision"][-1], annotations, citations, tag_names,
                    reviewer=reviewer, publisher=publisher, published_at=when, months=months,
                )
                rows["publication"].append(publication)
                article["live_id"] = publication["id"]
            elif action in ("unpublish", "archive"):
                article["live_id"] = None
            rows["workflowevent"].append({
                "id": self.id_of("workflowevent", index, position), "article_id": article_id,
                "actor_id": actor[0], "action": action, "from_state": from_state,
                "to_state": to_state, "comment": comment,
                # Created before its first revision is saved (`create_article`).
                "revision_id": None if action == "create" else revision_id,
                "created_at": when,
            })
        article["updated_at"] = clock[0]
        rows.setdefault("article", []).append(article)

        for position, annotation in enumerate(annotations):
            for number, source_id in enumerate(annotation.pop("sources")):
                rows["annotation_sources"].append({
                    "id": self.id_of("annotation_sources", index,
                                     position * MAX_SOURCES_PER_ANNOTATION + number),
                    "annotation_id": annotation["id"], "source_id": source_id,
                })
            for number, name in enumerate(("certainty", "verdict", "note")):
                if annotation[name]:
                    rows["ratingchange"].append({
                        "id": self.id_of("ratingchange", index, position * 3 + number),
                        "annotation_id": annotation["id"], "actor_id": reviewer[0],
                        "field": name, "old_value": "", "new_value": annotation[name],
                        "created_at": annotation["created_at"],
                    })
            rows["annotation"].append(annotation)

    def _publication(self, index, article, revision, annotations, citations, tags, *,
                     reviewer, publisher, published_at, months):
        """The row `freeze_publication` makes of this draft, built by its own functions."""
        plan = self.plan
        blocks = [with_text(block) for block in revision["blocks"]]
        starts = block_starts(blocks)
        lengths = {block["id"]: len(block_text(block)) for block in blocks}
        frozen = []
        for row in sorted(annotations, key=lambda a: a["id"]):
            if row["status"] not in ("open", "resolved"):
                continue
            if row["block_id"] not in starts or not (
                0 <= row["start"] < row["end"] <= lengths[row["block_id"]]
            ):
                continue
            offset = starts[row["block_id"]]
            frozen.append({
                "id": row["id"], "block": row["block_id"], "start": row["start"],
                "end": row["end"], "exact": row["exact"], "prefix": row["prefix"],
                "suffix": row["suffix"],
                "position": {"start": offset + row["start"], "end": offset + row["end"]},
                "certainty": row["certainty"], "verdict": row["verdict"], "note": row["note"],
                "note_html": row["note_html"], "sources": sorted(row["sources"]),
                "created": row["created_at"].isoformat(),
                "modified": row["modified_at"].isoformat(),
            })
        frozen.sort(key=lambda a: (a["position"]["start"], a["position"]["end"], a["id"]))
        sources = [source_reference(self.source(sid), number) for number, sid in citations]
        seen = {sid for _, sid in citations}
        next_number = max((number for number, _ in citations), default=0) + 1
        for annotation in frozen:
            for sid in annotation["sources"]:
                if sid not in seen:
                    seen.add(sid)
                    sources.append(source_reference(self.source(sid), next_number))
                    next_number += 1
        slug = article["slug"]
        body_html = render_body(blocks, frozen, sources, history_base=claim_history_base(slug))
        summary = evidence_summary(frozen)
        change_note = "First published."
        changelog = [changelog_entry(number=1, date=published_at.date().isoformat(),
                                     note=change_note, previous_annotations=[],
                                     annotations=frozen)]
        reviewed_by = [reviewer[2]]
        url = page_url(slug)
        origin_article = Article(source_url="", site_name="", original_published_on=None)
        trust = {
            "last_reviewed": article["last_reviewed_on"].isoformat(),
            "next_review_due": article["review_due"].isoformat(),
            "interval_months": months,
            "reviewer": plan.credits[reviewer[0]],
            "origin": origin_data(origin_article),
        }
        public_json = {
            "slug": slug, "title": revision["title"], "summary": revision["summary"],
            "tags": tags, "published_at": published_at.isoformat(),
            "last_reviewed_at": article["approved_at"].isoformat(),
            "evidence_summary": summary, "url": url, "revision": 1,
            "blocks": public_blocks(blocks), "body_html": body_html, "annotations": frozen,
            "sources": sources, "reviewed_by": reviewed_by,
            # No dual review in the corpus: no rating rests on two independent ones.
            "rated_independently": False,
        }
        publication = Publication(
            id=self.id_of("publication", index), article_id=article["id"],
            revision_id=revision["id"], number=1, slug=slug, title=revision["title"],
            summary=revision["summary"], tags=tags, tag_slugs=[slugify(t) for t in tags],
            blocks=blocks, body_html=body_html, annotations=frozen, sources=sources,
            evidence_summary=summary, public_json=public_json,
            search_text="\n\n".join(
                part for part in (revision["title"], revision["summary"], plain_text(blocks))
                if part
            ),
            change_note=change_note, changelog=changelog,
            rating_changed=changelog[-1]["rating_changed"], reviewed_by=reviewed_by,
            reviewed_at=article["approved_at"], published_by_id=publisher[0],
            published_at=published_at, first_published_at=published_at,
            reviewer_id=reviewer[0], trust=trust,
            overdue_notice_from=reviewdates.overdue_notice_from(article["review_due"], months),
        )
        publication.shows_overdue_notice = reviewdates.shows_overdue(publication)
        _freeze_page_and_api(publication, url=url)
        return {field.attname: getattr(publication, field.attname)
                for field in Publication._meta.concrete_fields}


# Writing -----------------------------------------------------------------------------------


MODELS = {
    "article": Article, "revision": Revision, "publication": Publication,
    "reviewassignment": ReviewAssignment, "annotation": Annotation,
    "annotation_sources": Annotation.sources.through, "ratingchange": RatingChange,
    "citation": Citation, "taggeditem": TaggedItem, "workflowevent": WorkflowEvent,
    "source": Source,
}
# Written in this order: a publication before the article pointing at it (the article's
# insert trigger then makes its search entry, with the vectors already stored).
WRITE_ORDER = (
    "revision", "citation", "annotation", "annotation_sources", "ratingchange",
    "publication", "article", "taggeditem", "reviewassignment", "workflowevent",
)


def _columns(model):
    return list(model._meta.concrete_fields)


def _db_values(fields, row, conn):
    values = []
    for field in fields:
        value = row[field.attname]
        if isinstance(field, models.JSONField):
            value = json.dumps(value, ensure_ascii=False, cls=field.encoder)
        elif value is not None:
            value = field.get_db_prep_save(value, conn)
        values.append(value)
    return values


def write_rows(kind: str, rows: list[dict], conn=None) -> None:
    """Write `rows` (dicts of attnames) of `kind`: COPY on PostgreSQL, INSERT elsewhere."""
    if not rows:
        return
    conn = conn or connection
    model = MODELS[kind]
    fields = _columns(model)
    table = conn.ops.quote_name(model._meta.db_table)
    columns = ", ".join(conn.ops.quote_name(field.column) for field in fields)
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_db_values(fields, row, conn))
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model names
                [_db_values(fields, row, conn) for row in rows],
            )


def write_batch(rows: dict) -> None:
    """Write one batch in one transaction; store its publications' search vectors."""
    with transaction.atomic():
        for kind in WRITE_ORDER:
            write_rows(kind, rows.get(kind, []))
            if kind == "publication" and rows.get(kind):
                store_search_vectors(
                    Publication.objects.filter(pk__in=[row["id"] for row in rows[kind]])
                )


# Setup: users, tags, sources, ids ---------------------------------------------------------


ROLE_GROUPS = {"editor": "Editors", "reviewer": "Reviewers", "publisher": "Publishers"}
FIRST_NAMES = ("Ada", "Bea", "Cal", "Dev", "Eli", "Fay", "Gus", "Hana")


def corpus_users() -> dict:
    """The corpus's staff (created once): editors, reviewers and publishers in their
    groups. Returns {role: [(id, username, display name)]}."""
    ensure_editorial_groups()
    users = {}
    for role, group_name in ROLE_GROUPS.items():
        group = Group.objects.get(name=group_name)
        users[role] = []
        for number in range(1, 5):
            user, created = User.objects.get_or_create(
                username=f"corpus-{role}-{number}",
                defaults={"first_name": FIRST_NAMES[number], "last_name": role.title(),
                          "email": f"corpus-{role}-{number}@example.org", "is_staff": True},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(group)
            users[role].append((user.pk, user.get_username(), display_name(user)))
    return users


def corpus_tags() -> dict:
    ids = {}
    for name in TAG_NAMES:
        tag = Tag.objects.filter(name=name).first()
        if tag is None:
            tag = Tag.objects.create(name=name, slug=slugify(name))
        ids[name] = tag.pk
    return ids


def reserve_ids(model, count: int) -> int:
    """Reserve `count` consecutive ids of `model`'s table; return the first."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, 'id')", [table]
            )
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            if count > 1:
                cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return first
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608 - a model's
        return cursor.fetchone()[0] + 1


def create_sources(count: int, progress: Callable[[int], None] | None = None) -> tuple:
    """Write the pool of `count` sources (fast path); return their ids."""
    if count <= 0:
        return ()
    first = reserve_ids(Source, count)
    now = timezone.now()
    ids = tuple(range(first, first + count))
    for chunk in range(0, count, 5000):
        rows = [
            {"id": pk, **source_fields(pk), "created_at": now, "updated_at": now}
            for pk in ids[chunk:chunk + 5000]
        ]
        with transaction.atomic():
            write_rows("source", rows)
        if progress:
            progress(len(rows))
    return ids


def make_plan(*, articles: int, annotations_per_article: int, seed: int, batch_size: int,
              sources: int) -> Plan:
    users = corpus_users()
    tag_ids = corpus_tags()
    source_ids = create_sources(sources)
    step = strides(annotations_per_article)
    base = {kind: reserve_ids(MODELS[kind], articles * stride) for kind, stride in step.items()}
    credits = {pk: reviewer_credit(User.objects.get(pk=pk)) for pk, _, _ in users["reviewer"]}
    return Plan(
        articles=articles, annotations_per_article=annotations_per_article, seed=seed,
        batch_size=batch_size, base=base, users=users, credits=credits, tag_ids=tag_ids,
        tag_rules=reviewdates.tag_rule_map(), source_ids=source_ids,
        article_content_type=ContentType.objects.get_for_model(Article).pk,
        now=timezone.now(),
    )


# Running -----------------------------------------------------------------------------------

_worker_builder: BatchBuilder | None = None


def _worker_init(plan):
    global _worker_builder  # noqa: PLW0603 - one builder per worker process
    _worker_builder = BatchBuilder(plan)


def _worker_build(bounds):
    return _worker_builder.build(*bounds)


def _batches(plan: Plan) -> list:
    return [(first, min(first + plan.batch_size, plan.articles))
            for first in range(0, plan.articles, plan.batch_size)]


def built_batches(plan: Plan, workers: int) -> Iterator[tuple[int, dict]]:
    """Yield (articles in batch, rows) in order; with workers, at most one batch more than
    there are workers is built or waiting, so memory stays flat however large the corpus."""
    bounds = _batches(plan)
    if workers <= 1 or connection.in_atomic_block:
        builder = BatchBuilder(plan)
        for first, last in bounds:
            yield last - first, builder.build(first, last)
        return
    connection.close()  # forked workers must not share the parent's connection
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_worker_init, initargs=(plan,)) as pool:
        pending = deque()
        queue = iter(bounds)
        for item in queue:
            pending.append((item[1] - item[0], pool.apply_async(_worker_build, (item,))))
            if len(pending) > workers:
                break
        while pending:
            size, result = pending.popleft()
            rows = result.get()
            item = next(queue, None)
            if item is not None:
                pending.append((item[1] - item[0], pool.apply_async(_worker_build, (item,))))
            yield size, rows


def generate(*, articles: int, annotations_per_article: int, seed: int = 1,
             batch_size: int = 200, sources: int | None = None, workers: int = 1,
             progress: Callable[[int, int], None] | None = None) -> dict:
    """Generate the corpus; return counts of what was written. `progress(done, total)` is
    called after each batch."""
    if articles < 1:
        raise CorpusError("--articles must be at least 1")
    if annotations_per_article < 0:
        raise CorpusError("--annotations-per-article must not be negative")
    if sources is None:
        sources = max(20, articles // 5)
    plan = make_plan(articles=articles, annotations_per_article=annotations_per_article,
                     seed=seed, batch_size=batch_size, sources=sources)
    counts = dict.fromkeys(WRITE_ORDER, 0)
    done = 0
    for size, rows in built_batches(plan, workers):
        write_batch(rows)
        for kind in WRITE_ORDER:
            counts[kind] += len(rows.get(kind, []))
        done += size
        if progress:
            progress(done, articles)
    counts["source"] = len(plan.source_ids)
    with transaction.atomic():
        purge_public_pages()
    if connection.vendor == "postgresql":
        # With the tables the publishing triggers fill as the publications go in.
        tidy_tables([*tables().values(), SearchEntry._meta.db_table, LiveTag._meta.db_table])
    return counts


def tidy_tables(names):
    """VACUUM (ANALYZE) the tables written, as autovacuum would after a bulk load.

    The load leaves dead rows (publications and annotations are updated after their insert:
    93,000 and 77,000 at 100,000 articles) and GIN pending lists unmerged, which every search
    and tag read scans until a vacuum; and this project's servers may run with autovacuum off.
    VACUUM cannot run inside a transaction (a test's): there, ANALYZE only.
    """
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"{verb} {connection.ops.quote_name(name)}")


# Checking ------------------------------------------------------------------------------------


def _comparable(publication, skip):
    return {
        field.attname: (bytes(value) if isinstance(value, memoryview) else value)
        for field in Publication._meta.concrete_fields
        if field.attname not in skip
        for value in [getattr(publication, field.attname)]
    }


def verify_sample(count: int = 20) -> list[str]:
    """Freeze `count` live publications (picked at random) again with the real
    `freeze_publication`, each at its own moment, and return what differs ("publication
    <id>: <field>"): nothing, when the corpus holds what publishing would have frozen.
    Changes nothing (the work is rolled back)."""
    skip = {"id"} | ({"search_vector", "rank_vector"} if connection.vendor != "postgresql"
                     else set())
    problems = []
    with transaction.atomic():
        sample = list(Publication.objects.live().order_by("?")[:count])
        for generated in sample:
            expected = _comparable(generated, skip)
            Publication.objects.filter(pk=generated.pk).delete()
            article = Article.objects.get(pk=generated.article_id)
            again = freeze_publication(article, actor=generated.published_by,
                                       published_at=generated.published_at)
            again.refresh_from_db()
            actual = _comparable(again, skip)
            problems += [f"publication {generated.pk}: {name}"
                         for name in expected if actual[name] != expected[name]]
        transaction.set_rollback(True)
    return problems
