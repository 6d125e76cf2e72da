"""Anchoring annotations to text, and carrying them forward when the text changes.

An annotation is anchored as the W3C Web Annotation model does it: a TextQuoteSelector (the
exact quote with up to 32 characters of context either side) and a TextPositionSelector
(start, end) inside one block. When a new revision is saved, each annotation is placed again:

1. the same place: the quote at its old offset in the same block, with its context intact;
2. the quote with its prefix or suffix anywhere (same block first, then nearest position);
3. the quote alone when it occurs once in its old block and is long or keeps some context;
4. an approximate match (a typo fixed inside the quote) that is very close to the quote;
   where several are, the one that kept the quote's context.

Whatever cannot be placed this way is orphaned: it keeps its old revision and anchor and is
shown to editors. An annotation is never moved onto different words.

`reanchor` is the pure core (no database); `carry_forward_annotations` wraps it.
"""

import bisect
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Levenshtein

from articles.blocks import BLOCK_SEPARATOR, block_starts, block_text
from articles.models import Revision
from evidence.models import Annotation

CONTEXT_CHARS = 32
# An approximate match must be at least this similar to the quote (normalised Levenshtein).
FUZZY_THRESHOLD = 0.9
# Quotes shorter than this need their context to agree before an approximate or
# context-free match is accepted: a short string recurs too easily.
SHORT_QUOTE = 20
SHORT_QUOTE_CONTEXT = 0.6
UNIQUE_QUOTE_MIN = 12
MAX_OCCURRENCES = 200
FUZZY_MAX_SHIFT = 12
# Ranges an approximate match tries where the quote's context recurs, at most.
MAX_CONTEXT_CANDIDATES = 8


@dataclass(frozen=True)
class Anchor:
    """Where an annotation sits now: a block, a range in its text, the quote and context."""

    block_id: str
    start: int
    end: int
    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Placement:
    """Where an annotation goes in the new text, and how it was found."""

    block_id: str
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    method: str  # "same_place", "quote_context", "unique_quote" or "fuzzy"
    similarity: float = 1.0


@dataclass
class AnchoringResult:
    """The annotations carried to the new revision, and those that had to be orphaned."""

    carried: list = field(default_factory=list)
    orphaned: list = field(default_factory=list)


def quote_context(text: str, start: int, end: int) -> tuple[str, str, str]:
    """Return (exact, prefix, suffix): text[start:end] and up to 32 characters either side."""
    return (
        text[start:end],
        text[max(0, start - CONTEXT_CHARS) : start],
        text[end : end + CONTEXT_CHARS],
    )


class _IndexedText:
    """The block texts of one revision, indexed once for every annotation placed in it."""

    def __init__(self, blocks):
        self.ids = []
        self.texts = {}
        self.starts = []
        offset = 0
        for block in blocks:
            text = block_text(block)
            self.ids.append(block["id"])
            self.texts[block["id"]] = text
            self.starts.append(offset)
            offset += len(text) + len(BLOCK_SEPARATOR)
        self.offset_of = dict(zip(self.ids, self.starts, strict=True))
        self.plain = BLOCK_SEPARATOR.join(self.texts[block_id] for block_id in self.ids)

    def block_at(self, position):
        index = bisect.bisect_right(self.starts, position) - 1
        return self.ids[index], position - self.starts[index]


def _context_similarity(text, start, end, anchor):
    """Return (prefix_equal, suffix_equal, similarity 0..1) of the context around a range."""
    # Full-width windows: a prefix shorter than 32 characters means the quote began its block.
    _, before, after = quote_context(text, start, end)
    prefix_equal = before == anchor.prefix
    suffix_equal = after == anchor.suffix
    prefix_sim = 1.0 if prefix_equal else Indel.normalized_similarity(before, anchor.prefix)
    suffix_sim = 1.0 if suffix_equal else Indel.normalized_similarity(after, anchor.suffix)
    return prefix_equal, suffix_equal, (prefix_sim + suffix_sim) / 2


def _placement(block_id, text, start, end, method, similarity=1.0):
    exact, prefix, suffix = quote_context(text, start, end)
    return Placement(block_id, start, end, exact, prefix, suffix, method, similarity)


def _occurrences(text, needle, limit=MAX_OCCURRENCES):
    found: list[int] = []
    position = text.find(needle)
    while position != -1 and len(found) < limit:
        found.append(position)
        position = text.find(needle, position + 1)
    return found


def _place_exact(anchor, new, expected):
    """Find the quote itself: with its context anywhere, or unique in its old block."""
    exact = anchor.exact
    candidates = []
    same_block_text = new.texts.get(anchor.block_id)
    if same_block_text is not None:
        for position in _occurrences(same_block_text, exact):
            candidates.append((anchor.block_id, position))
    for position in _occurrences(new.plain, exact):
        block_id, local = new.block_at(position)
        if block_id != anchor.block_id and local + len(exact) <= len(new.texts[block_id]):
            candidates.append((block_id, local))
    if not candidates:
        return None
    scored = []
    for block_id, local in candidates:
        text = new.texts[block_id]
        prefix_equal, suffix_equal, similarity = _context_similarity(
            text, local, local + len(exact), anchor
        )
        distance = abs(new.offset_of[block_id] + local - expected)
        sides = prefix_equal + suffix_equal
        # The recorded prefix right before and suffix right after, though one of them was the
        # edge of the block and no longer is: near a block's edge, of two copies that each
        # keep one side, the one that also keeps the other side's words is the annotated one.
        kept = text[:local].endswith(anchor.prefix) + text[local + len(exact) :].startswith(
            anchor.suffix
        )
        scored.append(
            (
                -min(sides, 1),
                -kept,
                -sides,
                block_id != anchor.block_id,
                -similarity,
                distance,
                block_id,
                local,
            )
        )
    scored.sort()
    best = scored[0]
    sides, other_block, similarity = -best[2], best[3], -best[4]
    block_id, local = best[6], best[7]
    text = new.texts[block_id]
    if sides:
        return _placement(block_id, text, local, local + len(exact), "quote_context")
    in_old_block = [c for c in candidates if c[0] == anchor.block_id]
    if (
        not other_block
        and len(in_old_block) == 1
        and (len(exact) >= UNIQUE_QUOTE_MIN or similarity >= SHORT_QUOTE_CONTEXT)
    ):
        return _placement(block_id, text, local, local + len(exact), "unique_quote")
    return None


def _refine(text, exact, start, end):
    """Return (similarity, start, end): the range near start..end most like the quote."""
    shift = min(FUZZY_MAX_SHIFT, max(2, len(exact) // 8))
    best = (Levenshtein.normalized_similarity(exact, text[start:end]), start, end)
    for new_start in range(max(0, start - shift), min(len(text), start + shift) + 1):
        for new_end in range(max(new_start + 1, end - shift), min(len(text), end + shift) + 1):
            similarity = Levenshtein.normalized_similarity(
                exact, text[new_start:new_end], score_cutoff=best[0]
            )
            if similarity > best[0] or (
                similarity == best[0]
                and abs((new_end - new_start) - len(exact)) < abs((best[2] - best[1]) - len(exact))
            ):
                best = (similarity, new_start, new_end)
    return best


def _context_ranges(anchor, text):
    """Yield the ranges of `text` where the quote's recorded context says it is now.

    Right after the prefix, and right before the suffix. A prefix (suffix) shorter than the
    context window means the quote began (ended) its block, so only the block's start (end)
    can hold it.
    """
    length = len(anchor.exact)
    if len(anchor.prefix) == CONTEXT_CHARS:
        for position in _occurrences(text, anchor.prefix, MAX_CONTEXT_CANDIDATES):
            yield position + CONTEXT_CHARS, position + CONTEXT_CHARS + length
    elif text.startswith(anchor.prefix):
        yield len(anchor.prefix), len(anchor.prefix) + length
    if len(anchor.suffix) == CONTEXT_CHARS:
        for position in _occurrences(text, anchor.suffix, MAX_CONTEXT_CANDIDATES):
            yield position - length, position
    elif text.endswith(anchor.suffix):
        end = len(text) - len(anchor.suffix)
        yield end - length, end


def _fuzzy_in_block(anchor, block_id, text):
    """Return (ranking, Placement) of the best approximate match in one block, or None.

    The candidates are the range most like the quote and the ranges its context points to:
    when two passages of the block are each one typo away from the quote, the one that kept
    the quote's context is the annotated one, however the similarity scores compare.
    """
    exact = anchor.exact
    if not text or len(text) < len(exact) * FUZZY_THRESHOLD:
        return None
    ranges = set()
    alignment = fuzz.partial_ratio_alignment(
        exact, text, score_cutoff=FUZZY_THRESHOLD * 100 - 5
    )
    if alignment is not None:
        ranges.add((alignment.dest_start, alignment.dest_end))
    ranges.update(
        (max(0, start), min(len(text), end))
        for start, end in _context_ranges(anchor, text)
        if end > 0 and start < len(text)
    )
    best = None
    for start, end in sorted(ranges):
        similarity, start, end = _refine(text, exact, start, end)
        if similarity < FUZZY_THRESHOLD or not text[start:end].strip():
            continue
        prefix_equal, suffix_equal, context = _context_similarity(text, start, end, anchor)
        if len(exact) < SHORT_QUOTE and context < SHORT_QUOTE_CONTEXT:
            continue
        ranking = (prefix_equal + suffix_equal, similarity, context)
        if best is None or ranking > best[0]:
            best = (ranking, _placement(block_id, text, start, end, "fuzzy", similarity))
    return best


def _place_fuzzy(anchor, new):
    """Find a range very close to the quote: its old block first, then any block."""
    if len(anchor.exact) < 4:
        return None
    same_block_text = new.texts.get(anchor.block_id)
    if same_block_text is not None:
        found = _fuzzy_in_block(anchor, anchor.block_id, same_block_text)
        if found:
            return found[1]
    best = None
    for block_id in new.ids:
        if block_id == anchor.block_id:
            continue
        found = _fuzzy_in_block(anchor, block_id, new.texts[block_id])
        if found and (best is None or found[0] > best[0]):
            best = found
    return best[1] if best else None


def place_anchor(
    anchor: Anchor, new: "_IndexedText", old_offsets: dict[str, int],
) -> Placement | None:
    """Return the Placement of one anchor in the indexed new text, or None (orphan)."""
    if not anchor.exact or anchor.end <= anchor.start:
        return None
    text = new.texts.get(anchor.block_id)
    if text is not None and text[anchor.start : anchor.end] == anchor.exact:
        prefix_equal, suffix_equal, _ = _context_similarity(text, anchor.start, anchor.end, anchor)
        if prefix_equal and suffix_equal:
            return _placement(anchor.block_id, text, anchor.start, anchor.end, "same_place")
    expected = old_offsets.get(anchor.block_id, 0) + anchor.start
    return _place_exact(anchor, new, expected) or _place_fuzzy(anchor, new)


def reanchor(
    blocks_old: list[dict[str, Any]], blocks_new: list[dict[str, Any]],
    anchors: list[Anchor],
) -> list[Placement | None]:
    """Place each anchor of the old blocks in the new blocks.

    Return a list parallel to `anchors`: a Placement, or None where the annotation must be
    orphaned. Pure: no database.
    """
    new = _IndexedText(blocks_new)
    old_offsets = block_starts(blocks_old)
    return [place_anchor(anchor, new, old_offsets) for anchor in anchors]


def anchor_of(annotation: Annotation) -> Anchor:
    return Anchor(
        block_id=annotation.block_id,
        start=annotation.start,
        end=annotation.end,
        exact=annotation.exact,
        prefix=annotation.prefix,
        suffix=annotation.suffix,
    )


CARRIED_FIELDS = ["block_id", "start", "end", "exact", "prefix", "suffix", "version"]


def _update_rows(model, annotations, fields):
    """Write `fields` of many annotations in one executemany.

    Django's bulk_update builds a CASE expression per field and row, which takes about a
    second for a thousand moved annotations; a prepared UPDATE run for each row through
    executemany takes a fraction of that on SQLite and PostgreSQL alike.
    """
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name).column for name in fields]
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    # Only quoted column and table names from the model are formatted in; values are parameters.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    rows = [
        [getattr(annotation, name) for name in fields] + [annotation.pk]
        for annotation in annotations
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def carry_forward_annotations(
    *, old_revision: Revision, new_revision: Revision,
) -> AnchoringResult:
    """Carry every open and resolved annotation of `old_revision` to `new_revision`.

    Each keeps its id, ratings, note and status and gets the anchor found by `reanchor`.
    One that cannot be placed becomes orphaned and keeps its old revision and anchor. An
    annotation whose anchor or status changed gets a new `version`, so a client holding the
    old one must re-read it. Returns an AnchoringResult(carried, orphaned).
    """
    if old_revision.pk == new_revision.pk:
        return AnchoringResult()
    with transaction.atomic():
        annotations = list(
            Annotation.objects.select_for_update()
            .filter(
                revision=old_revision,
                status__in=[Annotation.Status.OPEN, Annotation.Status.RESOLVED],
            )
            .order_by("pk")
        )
        if not annotations:
            return AnchoringResult()
        placements = reanchor(
            old_revision.blocks, new_revision.blocks, [anchor_of(a) for a in annotations]
        )
        result = AnchoringResult()
        # Most annotations keep their place: one UPDATE moves those to the new revision; only
        # the rest need the per-row update (_update_rows).
        changed = []
        for annotation, placement in zip(annotations, placements, strict=True):
            if placement is None:
                annotation.status = Annotation.Status.ORPHANED
                annotation.version += 1
                result.orphaned.append(annotation)
                continue
            before = (annotation.block_id, annotation.start, annotation.end, annotation.exact)
            after = (placement.block_id, placement.start, placement.end, placement.exact)
            context_same = (annotation.prefix, annotation.suffix) == (
                placement.prefix,
                placement.suffix,
            )
            annotation.revision = new_revision
            annotation.block_id, annotation.start, annotation.end, annotation.exact = after
            annotation.prefix, annotation.suffix = placement.prefix, placement.suffix
            if before != after:
                annotation.version += 1
            if before != after or not context_same:
                changed.append(annotation)
            result.carried.append(annotation)
        carried_ids = [annotation.pk for annotation in result.carried]
        for index in range(0, len(carried_ids), 500):
            Annotation.objects.filter(pk__in=carried_ids[index : index + 500]).update(
                revision=new_revision
            )
        if changed:
            _update_rows(Annotation, changed, CARRIED_FIELDS)
        if result.orphaned:
            _update_rows(Annotation, result.orphaned, ["status", "version"])
    return result
