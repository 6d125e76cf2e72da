"""The claim registry's rules: create, rate, link, confirm, publish, merge and split claims.

Every change goes through these functions, so the admin, the API and any command apply the
same rules:

- editors and reviewers (`evidence.add_annotation`) create claims and link annotations to
  them (on the draft of an article that is not archived);
- only reviewers (`articles.review_article`) rate a claim, confirm a link, merge and split;
- only publishers (`articles.publish_article`) publish a claim page on its own;
- a rating names the `version` it was based on; a stale one changes nothing (412);
- linking never rates: the annotation counts as rated for approval only once a reviewer has
  confirmed the link for the claim's current rating (`unconfirmed_link_failures`, which the
  workflow's approve gate calls);
- when a rated claim's rating changes, every live article that shows it is listed for
  re-review and its editors and reviewers are told; its public page keeps the rating it was
  approved with until it is published again.

Each refusal raises before anything is written; each write is one transaction.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, Publication
from articles.notifications import send_later
from articles.workflow import record_event
from claims import matching
from claims.models import (
    Claim,
    ClaimLink,
    ClaimMerge,
    ClaimRating,
    PublishedAppearance,
    ReReview,
)
from claims.permissions import (  # noqa: F401 - re-exported for callers of the services
    ClaimNotAllowed,
    can_confirm_link,
    can_create_claim,
    can_link_annotation,
    can_merge_claims,
    can_publish_claim,
    can_rate_claim,
    can_split_claim,
    can_unlink_annotation,
    can_unpublish_claim,
    can_view_claims,
    check_confirm_link,
    check_create_claim,
    check_link_annotation,
    check_merge_claims,
    check_publish_claim,
    check_rate_claim,
    check_split_claim,
    check_unlink_annotation,
    check_unpublish_claim,
)
from evidence.annotations import (
    AnnotationError,
    AnnotationNotAllowed,
    StaleAnnotation,
    update_annotation,
)
from evidence.models import Annotation, Source
from ketasite.errors import Refusal, StaleVersion
from ketasite.sanitize import render_markdown
from pagecache.generation import purge_public_pages

MAX_STATEMENT_CHARS = 500
MAX_NOTE_CHARS = 20_000
MAX_SIMILAR_TO_CHARS = 1000


class ClaimError(Refusal, ValueError):
    """Input that cannot be saved; `errors` maps fields to messages (400)."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors, *, existing=None, code=None):
        errors = {name: list(messages) for name, messages in errors.items()}
        self.existing = existing
        super().__init__(
            " ".join(m for messages in errors.values() for m in messages),
            code=code, errors=errors,
        )


class StaleClaim(StaleVersion):
    """The rating was based on an older version of the claim (412)."""

    def __init__(self, current):
        super().__init__(
            f"Someone else rated this claim meanwhile (it is now version {current.version}); "
            "read it again and make your change again.",
            current=current,
        )


# Who may do what: claims/permissions.py (check_<action> raises, can_<action> asks); the
# `can_` functions are re-exported here for the callers that ask the services.


# Statements ---------------------------------------------------------------------------------


def statement_key(statement: str) -> str:
    """Return the statement folded for duplicate checks: case, spacing, end punctuation."""
    folded = unicodedata.normalize("NFKC", statement).casefold()
    folded = " ".join(folded.split())
    return folded.rstrip(" .!;:")[:MAX_STATEMENT_CHARS]


def clean_statement(statement) -> str:
    """Return the statement trimmed, or raise ClaimError (empty, too long, not text)."""
    if not isinstance(statement, str):
        raise ClaimError({"statement": ["Write the claim as one sentence of text."]})
    statement = " ".join(statement.replace("\x00", "").split())
    if not statement:
        raise ClaimError({"statement": ["Write the claim: the statement is empty."]})
    if len(statement) > MAX_STATEMENT_CHARS:
        raise ClaimError({"statement": [
            f"A claim has at most {MAX_STATEMENT_CHARS} characters; this one has "
            f"{len(statement)}. State it in one short sentence."
        ]})
    return statement


def clean_similar_to(text) -> str:
    """Return the `similar_to` text, or raise ClaimError (empty or over 1,000 characters)."""
    if not isinstance(text, str) or not text.replace("\x00", "").strip():
        raise ClaimError({"similar_to": ["Give the text to compare claims with."]})
    if len(text) > MAX_SIMILAR_TO_CHARS:
        raise ClaimError({"similar_to": [
            f"The text to compare is at most {MAX_SIMILAR_TO_CHARS} characters; this is "
            f"{len(text)}."
        ]})
    return text.replace("\x00", "").strip()


def duplicate_of(statement: str, *, exclude_pk=None) -> Claim | None:
    """Return the current claim whose statement is the same as `statement`, if any."""
    claims = Claim.objects.filter(statement_key=statement_key(statement))
    if exclude_pk is not None:
        claims = claims.exclude(pk=exclude_pk)
    claim = claims.select_related("merged_into").first()
    while claim is not None and claim.merged_into_id is not None:
        claim = claim.merged_into
    return claim


def _duplicate_error(existing: Claim) -> ClaimError:
    url = reverse("api:editorial-claim-detail", kwargs={"pk": existing.pk})
    return ClaimError(
        {"statement": [
            f"This claim is already registered as claim {existing.pk} "
            f"(“{existing.statement}”, {url}); link to it instead."
        ]},
        existing=existing, code="duplicate",
    )


def _unique_slug(statement: str) -> str:
    base = slugify(statement)[:80].strip("-") or "claim"
    slug, number = base, 2
    while Claim.objects.filter(slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


def store_match_vector(claims) -> None:
    """Store the search vector of each claim's `match_key` (PostgreSQL; a no-op on SQLite)."""
    if connection.vendor == "postgresql":
        claims.update(match_vector=SearchVector(F("match_key"), config="simple"))


def create_claim(*, statement, actor, annotation: Annotation | None = None) -> Claim:
    """Register a claim and return it; with `annotation`, link that annotation to it.

    Refused when the statement is empty, over 500 characters or the same as a registered
    one (the error names that claim), or when the actor may not create claims or link the
    annotation. Nothing is written on a refusal.
    """
    check_create_claim(actor)
    statement = clean_statement(statement)
    existing = duplicate_of(statement)
    if existing is not None:
        raise _duplicate_error(existing)
    if annotation is not None:
        check_link_annotation(actor, annotation)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                statement=statement,
                statement_key=statement_key(statement),
                slug=_unique_slug(statement),
                match_key=matching.search_key(statement),
                created_by=actor,
            )
            store_match_vector(Claim.objects.filter(pk=claim.pk))
            if annotation is not None:
                link_annotation(annotation, claim=claim, actor=actor)
    except IntegrityError:
        # Someone registered the same statement in the meantime.
        existing = duplicate_of(statement)
        if existing is None:
            raise
        raise _duplicate_error(existing) from None
    return claim


# Rating -------------------------------------------------------------------------------------


def _clean_choice(value, choices, name, errors):
    if value in (None, ""):
        errors[name] = [f"Give the {name}: one of {', '.join(choices.values)}."]
        return ""
    if value not in choices.values:
        errors[name] = [f"The {name} must be one of {', '.join(choices.values)}."]
    return value


def _clean_note(value, errors, *, required=False):
    value = "" if value is None else value
    if not isinstance(value, str):
        errors["note"] = ["The note must be text."]
        return ""
    value = value.replace("\x00", "")
    if required and not value.strip():
        errors["note"] = ["Say why this passage is rated differently from the claim."]
    if len(value) > MAX_NOTE_CHARS:
        errors["note"] = [f"The note is longer than {MAX_NOTE_CHARS} characters."]
    return value


def _clean_sources(values, errors) -> list[int] | None:
    if values is None:
        return None
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        errors["sources"] = ["Sources must be a list of source ids."]
        return None
    ids = []
    for value in values:
        value = value.pk if isinstance(value, Source) else value
        if not isinstance(value, int) or isinstance(value, bool):
            errors["sources"] = ["Sources must be a list of source ids."]
            return None
        ids.append(value)
    ids = sorted(set(ids))
    found = set(Source.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [str(i) for i in ids if i not in found]
    if missing:
        errors["sources"] = [f"No source with id {', '.join(missing)}."]
    return ids


def _lock_claim(claim_id) -> Claim:
    return Claim.objects.select_for_update().get(pk=claim_id)


def rate_claim(claim: Claim, *, actor, expected_version: int, verdict, certainty, note=None,
               sources: Sequence[int] | None = None) -> Claim:
    """Rate the claim (a reviewer) and return it refreshed.

    `expected_version` is the version the rating was based on: a stale one raises StaleClaim
    and changes nothing. Each rating is kept in the claim's history. When a rated claim's
    verdict, certainty or note changes, every live article that shows it is listed for
    re-review and its editors and reviewers are notified (after the commit); links confirmed
    for the old rating must be confirmed again before those articles are approved again.
    """
    check_rate_claim(actor)
    errors = {}
    verdict = _clean_choice(verdict, Claim.Verdict, "verdict", errors)
    certainty = _clean_choice(certainty, Claim.Certainty, "certainty", errors)
    note = _clean_note(note, errors) if note is not None else None
    source_ids = _clean_sources(sources, errors)
    if errors:
        raise ClaimError(errors)
    with transaction.atomic():
        current = _lock_claim(claim.pk)
        if current.version != expected_version:
            raise StaleClaim(current)
        check_rate_claim(actor, current)
        new_note = current.note if note is None else note
        old_sources = sorted(current.sources.values_list("pk", flat=True))
        new_sources = old_sources if source_ids is None else source_ids
        changed = (
            (current.verdict, current.certainty, current.note, old_sources)
            != (verdict, certainty, new_note, new_sources)
        )
        if not changed:
            return current
        was_rated = current.is_rated
        rating_changed = was_rated and (
            (current.verdict, current.certainty, current.note) != (verdict, certainty, new_note)
        )
        now = timezone.now()
        Claim.objects.filter(pk=current.pk).update(
            verdict=verdict, certainty=certainty, note=new_note,
            note_html=render_markdown(new_note), rated_by=actor, rated_at=now,
            version=F("version") + 1, updated_at=now,
        )
        if source_ids is not None:
            current.sources.set(source_ids)
        ClaimRating.objects.create(
            claim=current, origin=current, verdict=verdict, certainty=certainty, note=new_note,
            source_ids=new_sources, actor=actor,
        )
        if rating_changed:
            mark_for_rereview(
                current, actor=actor,
                reason=f"The claim's rating changed from {current.verdict or 'not rated'}, "
                f"{current.certainty or 'not rated'} to {verdict}, {certainty}.",
            )
        # The claim's own public page shows its current rating (article pages do not: they
        # keep what was approved), so cached pages go.
        purge_public_pages()
    return Claim.objects.get(pk=current.pk)


def mark_for_rereview(claim: Claim, *, actor, reason: str) -> list[ReReview]:
    """List every live article that shows `claim` for re-review; return the new rows.

    An article already listed for this claim is not listed twice. Its editors and reviewers
    are notified after the commit. Public pages are not touched.
    """
    appearances = (
        PublishedAppearance.objects.filter(
            claim=claim, publication__in=Publication.objects.live()
        )
        .select_related("publication")
        .order_by("publication_id")
    )
    listed = set(
        ReReview.objects.filter(claim=claim, resolved_at__isnull=True)
        .values_list("article_id", flat=True)
    )
    rows = []
    for appearance in appearances:
        article_id = appearance.publication.article_id
        if article_id in listed:
            continue
        listed.add(article_id)
        rows.append(ReReview(
            article_id=article_id, claim=claim, publication=appearance.publication,
            reason=reason[:500], created_by=actor if getattr(actor, "pk", None) else None,
        ))
    ReReview.objects.bulk_create(rows)
    actor_id = getattr(actor, "pk", None)
    for row in rows:
        # A mail job each, started in this transaction: sent by a worker after the commit,
        # never inside the request, and not at all if the rating is rolled back.
        send_later("notify_claim_rating_changed", article_id=row.article_id,
                   actor_id=actor_id, claim=claim.statement, reason=reason)
    return rows


def needing_rereview():
    """The open re-review rows, with their article and claim, oldest first."""
    return (
        ReReview.objects.filter(resolved_at__isnull=True)
        .select_related("article", "article__draft", "claim")
        .order_by("created_at", "pk")
    )


# Links --------------------------------------------------------------------------------------


def _lock_with_article(annotation) -> Annotation:
    """Lock the annotation's article, then the annotation; return the annotation with its
    locked article attached (what the checks read)."""
    article = Article.objects.select_for_update().get(pk=annotation.article_id)
    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    current.article = article
    return current


def _record(article, *, actor, action, comment):
    record_event(article, actor=actor, action=action, comment=comment)


def _short(text, limit=40):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link_annotation(annotation: Annotation, *, claim: Claim, actor) -> ClaimLink:
    """Link `annotation` to `claim` (it makes this claim) and return the link.

    Linking rates nothing: until a reviewer confirms the link (`confirm_link`), the
    article's approval is held back. Linking to another claim replaces the link and needs a
    new confirmation; linking to the same claim again changes nothing.
    """
    check_link_annotation(actor)
    with transaction.atomic():
        current = _lock_with_article(annotation)
        claim = _lock_claim(claim.pk)
        check_link_annotation(actor, current, claim)
        article = current.article
        link = ClaimLink.objects.select_for_update().filter(annotation=current).first()
        if link is not None and link.claim_id == claim.pk:
            return link
        if link is not None:
            link.delete()
        link = ClaimLink.objects.create(
            annotation=current, claim=claim, origin=claim, linked_by=actor
        )
        _record(article, actor=actor, action="claim_linked",
                comment=f"Annotation {current.pk} “{_short(current.exact)}” linked to claim "
                f"{claim.pk} “{_short(claim.statement, 80)}”; a reviewer must confirm it.")
    return link


def unlink_annotation(annotation: Annotation, *, actor) -> None:
    """Remove the annotation's claim link. Its own rating stays as it is."""
    check_unlink_annotation(actor)
    with transaction.atomic():
        current = _lock_with_article(annotation)
        check_unlink_annotation(actor, current)
        article = current.article
        link = ClaimLink.objects.select_for_update().filter(annotation=current).first()
        if link is None:
            raise ClaimNotAllowed(
                "This annotation is not linked to a claim.", http_status=409, code="not_linked"
            )
        claim_id = link.claim_id
        link.delete()
        _record(article, actor=actor, action="claim_unlinked",
                comment=f"Annotation {current.pk} “{_short(current.exact)}” unlinked from "
                f"claim {claim_id}.")


def confirm_link(annotation: Annotation, *, actor, accept: bool, verdict=None, certainty=None,
                 note=None) -> ClaimLink:
    """A reviewer confirms the annotation's claim link and return the link.

    With `accept`, the annotation takes the claim's verdict and certainty (and its note and
    sources where the annotation has none); the claim must be rated. Otherwise the reviewer
    gives their own verdict and certainty, which must differ from the claim's, with a note
    saying why (it becomes the annotation's note). The annotation is changed through
    `evidence.annotations.update_annotation`, so the usual rules and audit apply.
    """
    check_confirm_link(actor)
    errors = {}
    if not accept:
        verdict = _clean_choice(verdict, Claim.Verdict, "verdict", errors)
        certainty = _clean_choice(certainty, Claim.Certainty, "certainty", errors)
        note = _clean_note(note, errors, required=True)
    if errors:
        raise ClaimError(errors)
    with transaction.atomic():
        current = _lock_with_article(annotation)
        check_confirm_link(actor, current)
        article = current.article
        link = ClaimLink.objects.select_for_update().filter(annotation=current).first()
        if link is None:
            raise ClaimNotAllowed(
                "This annotation is not linked to a claim; link it first.",
                http_status=409, code="not_linked",
            )
        claim = _lock_claim(link.claim_id)
        if accept:
            if not claim.is_rated:
                raise ClaimNotAllowed(
                    "The claim is not rated yet: rate the claim, or rate this passage "
                    "differently with a note.", http_status=409, code="not_rated",
                )
            changes = {"verdict": claim.verdict, "certainty": claim.certainty}
            if not current.note.strip():
                changes["note"] = claim.note
            claim_sources = list(claim.sources.values_list("pk", flat=True))
            own_sources = list(current.sources.values_list("pk", flat=True))
            if claim_sources and not own_sources:
                changes["sources"] = claim_sources
        else:
            if (verdict, certainty) == (claim.verdict, claim.certainty):
                raise ClaimError({"verdict": [
                    "This is the claim's own rating: accept it instead of rating differently."
                ]})
            changes = {"verdict": verdict, "certainty": certainty, "note": note}
        try:
            update_annotation(
                current, actor=actor, expected_version=current.version, **changes
            )
        except (AnnotationError, AnnotationNotAllowed, StaleAnnotation) as error:
            if isinstance(error, AnnotationError):
                raise ClaimError(error.errors) from error
            raise ClaimNotAllowed(
                str(error), http_status=getattr(error, "http_status", 403)
            ) from error
        link.confirmed_by = actor
        link.confirmed_at = timezone.now()
        link.confirmed_version = claim.version
        link.decision = ClaimLink.Decision.ACCEPTED if accept else ClaimLink.Decision.DIFFERS
        link.confirmation_note = "" if accept else note
        link.save(update_fields=[
            "confirmed_by", "confirmed_at", "confirmed_version", "decision",
            "confirmation_note",
        ])
        how = "accepted the claim's rating" if accept else f"rated it {verdict}, {certainty}"
        _record(article, actor=actor, action="claim_confirmed",
                comment=f"Annotation {current.pk} “{_short(current.exact)}”: {how} "
                f"(claim {claim.pk}).")
    return link


# Publishing -------------------------------------------------------------------------------


def publish_claim(claim: Claim, *, actor) -> Claim:
    """Publish the claim's own page (a publisher), even before an article shows it."""
    check_publish_claim(actor)
    with transaction.atomic():
        current = _lock_claim(claim.pk)
        check_publish_claim(actor, current)
        if current.published_at is None:
            current.published_at = timezone.now()
            current.published_by = actor
            current.save(update_fields=["published_at", "published_by", "updated_at"])
            purge_public_pages()
    return current


def unpublish_claim(claim: Claim, *, actor) -> Claim:
    """Take the claim's own page down (it stays public while a live article shows it)."""
    check_unpublish_claim(actor)
    with transaction.atomic():
        current = _lock_claim(claim.pk)
        check_unpublish_claim(actor, current)
        if current.published_at is not None:
            current.published_at = None
            current.published_by = None
            current.save(update_fields=["published_at", "published_by", "updated_at"])
            purge_public_pages()
    return current


# Merge and split ------------------------------------------------------------------------------


def reorganise_claims(*, actor, merges: Sequence[tuple[Claim, Claim]] = (),
                      splits: Sequence[Claim] = ()) -> list[ClaimMerge]:
    """Split the claims in `splits` back out, then merge each (source, target) in `merges`,
    all in one transaction; return the merges made.

    A merge moves the source's appearances (links and published ones) and its rating
    history to the target (each row keeps its origin, so a split can give them back) and
    points the source at the target (its page then redirects). Refused with 409, writing
    nothing: merging a claim into itself, into a claim that is itself merged, or into the
    claim it is split from in the same request; splitting a claim that is not merged.
    """
    check_merge_claims(actor)
    if splits:
        check_split_claim(actor)
    with transaction.atomic():
        ids = sorted({c.pk for pair in merges for c in pair} | {c.pk for c in splits})
        locked = {c.pk: c for c in Claim.objects.select_for_update().filter(pk__in=ids)}
        split_from = {}
        for claim in splits:
            current = locked[claim.pk]
            check_split_claim(actor, current)
            split_from[current.pk] = current.merged_into_id
        for source, target in merges:
            if source.pk == target.pk:
                raise ClaimNotAllowed(
                    f"Claim {source.pk} cannot be merged into itself.",
                    http_status=409, code="merge_into_itself",
                )
            if split_from.get(source.pk) == target.pk:
                raise ClaimNotAllowed(
                    f"Claim {source.pk} is split from claim {target.pk} in this request; it "
                    "cannot be merged back into it at the same time.",
                    http_status=409, code="merge_into_split",
                )
        now = timezone.now()
        for claim_id, target_id in split_from.items():
            current = locked[claim_id]
            for model in (ClaimLink, ClaimRating, PublishedAppearance):
                model.objects.filter(origin_id=claim_id).update(claim_id=claim_id)
            current.merged_into = None
            current.save(update_fields=["merged_into", "updated_at"])
            ClaimMerge.objects.filter(
                source_id=claim_id, target_id=target_id, split_at__isnull=True
            ).update(split_at=now, split_by=actor)
        made = []
        for source, target in merges:
            source, target = locked[source.pk], locked[target.pk]
            check_merge_claims(actor, source, target)
            # An article listed for both claims stays listed once, for the target.
            ReReview.objects.filter(
                claim_id=source.pk, resolved_at__isnull=True,
                article_id__in=ReReview.objects.filter(
                    claim_id=target.pk, resolved_at__isnull=True
                ).values("article_id"),
            ).update(resolved_at=now)
            for model in (ClaimLink, ClaimRating, PublishedAppearance, ReReview):
                model.objects.filter(claim_id=source.pk).update(claim_id=target.pk)
            # Claims merged into the source before now follow it.
            Claim.objects.filter(merged_into_id=source.pk).update(merged_into_id=target.pk)
            source.merged_into = target
            source.save(update_fields=["merged_into", "updated_at"])
            made.append(ClaimMerge.objects.create(source=source, target=target, actor=actor))
        if made or split_from:
            purge_public_pages()
    return made


def merge_claims(source: Claim, *, into: Claim, actor) -> ClaimMerge:
    """Merge `source` into `into` (see `reorganise_claims`)."""
    return reorganise_claims(actor=actor, merges=[(source, into)])[0]


def split_claim(claim: Claim, *, actor) -> Claim:
    """Split a merged claim back out with the appearances and history it brought."""
    reorganise_claims(actor=actor, splits=[claim])
    return Claim.objects.get(pk=claim.pk)


def resolve_slug(slug: str) -> Claim | None:
    """Return the claim at `slug`, following merges to the claim it now lives in."""
    claim = Claim.objects.filter(slug=slug).select_related("merged_into").first()
    seen = set()
    while claim is not None and claim.merged_into_id is not None and claim.pk not in seen:
        seen.add(claim.pk)
        claim = claim.merged_into
    return claim

