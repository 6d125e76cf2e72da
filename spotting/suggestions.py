"""Suggestions: spotting claims in a draft revision, and accepting or dismissing them.

- `ensure_spotted(revision)` spots a revision once: the import's background job calls it
  right after the import commits (spotting/queue.py), and reading the suggestions (the
  annotator and the API read them through `open_suggestions`) calls it too, so a draft no
  worker has spotted yet (an edit's new revision, a site with no worker) is spotted on its
  first read. Spotting inside the import itself would add several times the import's own
  time (docs/claim-spotting.md).
- `refresh_suggestions_for_revision(revision=...)` does the spotting. It suggests each claim
  the spotter finds, except a sentence dismissed for this article (by its normalised hash) or
  one that an annotation of the revision already covers (an accepted suggestion is an
  annotation now). The article's older open suggestions are dropped: only the draft's are
  shown.
- `accept_suggestion` makes an unrated annotation through `evidence.annotations.
  create_annotation`, so its permission, anchoring, audit and approval rules all apply.
- `dismiss_suggestion` records a Dismissal for the article.

Both need the right to annotate the article, a suggestion still open and on the draft, and
write one event to the article's log.
"""

import hashlib
import re
import unicodedata

from django.db import IntegrityError, transaction
from django.utils import timezone

from articles.audit import record_event
from articles.models import Article, Revision
from evidence.annotations import can_annotate, create_annotation
from evidence.models import Annotation
from ketasite.errors import Refusal
from spotting.models import Dismissal, SpottedRevision, Suggestion
from spotting.spotter import spot_blocks

CITATION_GROUP = re.compile(r"[\(\[]\s*\d+(?:\s*[,\-–]\s*\d+)*\s*[\)\]]")
NOT_WORD = re.compile(r"[^\w]+")
COVERING_STATES = (Annotation.Status.OPEN, Annotation.Status.RESOLVED)


class SuggestionError(Refusal):
    """A refused decision on a suggestion; `code` and `http_status` serve the API."""

    code = "invalid"
    http_status = 400


class SuggestionNotAllowed(SuggestionError):
    code = "not_allowed"
    http_status = 403


class SuggestionConflict(SuggestionError):
    code = "conflict"
    http_status = 409


def normalised_sentence(text: str) -> str:
    """Return the sentence as dismissals compare it: letters and digits, lower case, single
    spaces; citation groups such as "(1,2)" and punctuation left out."""
    text = unicodedata.normalize("NFKC", text)
    text = CITATION_GROUP.sub(" ", text)
    return " ".join(NOT_WORD.sub(" ", text.casefold()).replace("_", " ").split())


def sentence_hash(text: str) -> str:
    return hashlib.sha256(normalised_sentence(text).encode("utf-8")).hexdigest()


def can_decide(actor) -> bool:
    """Whoever may annotate an article may accept or dismiss its suggestions."""
    return can_annotate(actor)


def _covered(ranges: dict[str, list[tuple[int, int]]], block_id: str, start: int, end: int
             ) -> bool:
    return any(s < end and start < e for s, e in ranges.get(block_id, ()))


def annotated_ranges(revision: Revision) -> dict[str, list[tuple[int, int]]]:
    """Return {block id: [(start, end)]} of the revision's open and resolved annotations."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    rows = Annotation.objects.filter(revision=revision, status__in=COVERING_STATES)
    for block_id, start, end in rows.values_list("block_id", "start", "end"):
        ranges.setdefault(block_id, []).append((start, end))
    return ranges


def ensure_spotted(revision: Revision) -> list[Suggestion] | None:
    """Spot the revision's claims unless that was done; one query when it was.

    Returns the suggestions made, or None when the revision was already spotted. The import's
    job (spotting/queue.py) and a first reader use it alike: two at once, one spots, the
    other's marker insert fails on the unique revision and it reads what the first wrote.
    """
    if SpottedRevision.objects.filter(revision=revision).exists():
        return None
    try:
        with transaction.atomic():
            SpottedRevision.objects.create(revision=revision)
            return refresh_suggestions_for_revision(revision=revision)
    except IntegrityError:
        return None  # spotted by a concurrent reader or worker


def refresh_suggestions_for_revision(*, revision: Revision) -> list[Suggestion]:
    """Suggest the claims of a revision; return the suggestions made.

    Runs inside the caller's transaction. Idempotent: a range already suggested on this
    revision is not suggested twice.
    """
    article_id = revision.article_id
    dismissed = set(
        Dismissal.objects.filter(article_id=article_id).values_list("sentence_hash", flat=True)
    )
    covered = annotated_ranges(revision)
    existing = set(
        Suggestion.objects.filter(revision=revision).values_list("block_id", "start", "end")
    )
    new = []
    for claim in spot_blocks(revision.blocks):
        sentence = claim.sentence
        digest = sentence_hash(sentence.text)
        key = (sentence.block_id, sentence.start, sentence.end)
        if digest in dismissed or key in existing or _covered(covered, *key):
            continue
        existing.add(key)
        new.append(Suggestion(
            article_id=article_id, revision=revision, block_id=sentence.block_id,
            start=sentence.start, end=sentence.end, exact=sentence.text,
            prefix=sentence.prefix, suffix=sentence.suffix,
            position_start=sentence.position_start, position_end=sentence.position_end,
            sentence_hash=digest, kind=claim.kind, score=claim.score,
            reasons=list(claim.reasons),
        ))
    Suggestion.objects.filter(article_id=article_id, state=Suggestion.State.OPEN).exclude(
        revision=revision
    ).delete()
    return Suggestion.objects.bulk_create(new)


def open_suggestions(article: Article) -> list[Suggestion]:
    """Return the suggestions to show on the article's draft, in reading order.

    Spots the draft first if nobody has read its suggestions yet. Open ones only, less any
    sentence dismissed since and any passage annotated since (an editor may mark a suggested
    sentence by hand): three queries, however many there are, once the draft is spotted.
    """
    if article.draft_id is None:
        return []
    ensure_spotted(article.draft)
    dismissed = Dismissal.objects.filter(article_id=article.pk).values("sentence_hash")
    rows = list(
        Suggestion.objects.open()
        .filter(revision_id=article.draft_id)
        .exclude(sentence_hash__in=dismissed)
        .order_by("position_start", "pk")
    )
    if not rows:
        return rows
    covered = annotated_ranges(Revision(pk=article.draft_id))
    return [s for s in rows if not _covered(covered, s.block_id, s.start, s.end)]


def _record_event(article, *, actor, action, suggestion):
    record_event(article, actor=actor, action=action,
                 comment=f"“{suggestion.exact[:200]}” ({suggestion.get_kind_display()})")


def _lock_open(suggestion: Suggestion, *, actor, verb: str) -> tuple[Suggestion, Article]:
    """Lock the suggestion and its article; refuse unless it is open and on the draft."""
    if not can_decide(actor):
        raise SuggestionNotAllowed(f"Only editors and reviewers may {verb} suggested claims.")
    locked = Suggestion.objects.select_for_update().filter(pk=suggestion.pk).first()
    if locked is None:
        # Open suggestions of an older revision are dropped when a new one is spotted.
        raise SuggestionConflict(
            "The draft has changed since this suggestion was made; reload the suggestions."
        )
    article = Article.objects.select_for_update().get(pk=locked.article_id)
    if locked.state != Suggestion.State.OPEN:
        raise SuggestionConflict(f"This suggestion was already {locked.state}.")
    if Dismissal.objects.filter(article=article, sentence_hash=locked.sentence_hash).exists():
        raise SuggestionConflict("This sentence was already dismissed for this article.")
    if locked.revision_id != article.draft_id:
        raise SuggestionConflict(
            "The draft has changed since this suggestion was made; reload the suggestions."
        )
    if article.state == Article.State.ARCHIVED:
        raise SuggestionConflict("The article is archived; restore it first.")
    return locked, article


def accept_suggestion(suggestion: Suggestion, *, actor) -> Annotation:
    """Make an unrated annotation of the suggested sentence; return the annotation.

    The annotation is made by `create_annotation`, so it is checked and anchored, and it
    withdraws a stale approval, exactly as one marked by hand. Raises SuggestionError, or the
    evidence app's AnnotationNotAllowed / AnnotationError, and then writes nothing.
    """
    with transaction.atomic():
        locked, article = _lock_open(suggestion, actor=actor, verb="accept")
        annotation = create_annotation(
            article=article, actor=actor, block_id=locked.block_id, start=locked.start,
            end=locked.end, exact=locked.exact,
        )
        Suggestion.objects.filter(pk=locked.pk).update(
            state=Suggestion.State.ACCEPTED, annotation=annotation, decided_by=actor,
            decided_at=timezone.now(),
        )
        _record_event(article, actor=actor, action="suggestion_accepted", suggestion=locked)
    suggestion.refresh_from_db()
    return annotation


def dismiss_suggestion(suggestion: Suggestion, *, actor) -> Dismissal:
    """Record that the suggested sentence is not a claim, for the whole article; return it.

    Every open suggestion of the same sentence on the article is dismissed with it, and the
    spotter never suggests it again for this article.
    """
    with transaction.atomic():
        locked, article = _lock_open(suggestion, actor=actor, verb="dismiss")
        dismissal = Dismissal.objects.create(
            article=article, sentence_hash=locked.sentence_hash, sentence=locked.exact,
            dismissed_by=actor,
        )
        Suggestion.objects.open().filter(
            article=article, sentence_hash=locked.sentence_hash
        ).update(state=Suggestion.State.DISMISSED, decided_by=actor, decided_at=timezone.now())
        _record_event(article, actor=actor, action="suggestion_dismissed", suggestion=locked)
    suggestion.refresh_from_db()
    return dismissal
