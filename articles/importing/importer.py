"""Storing imports: one file per transaction, idempotent, safe to run twice at once.

`import_bytes` serves the management command, the admin import page and the API alike.
"""

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from articles.audit import record_event
from articles.importing.decoding import (
    EXTENSION_FORMATS,
    ImportFailure,
    check_size,
    max_import_bytes,
)
from articles.importing.parser import parse_document
from articles.models import Article, ImportRecord, Revision
from articles.permissions import PERM_ADD, has_permission
from articles.workflow import NotAllowed, WorkflowError, content_changed, save_revision
from evidence.models import Citation, Source
from evidence.sources import SourceError, get_or_create_source, normalize_identifiers
from spotting.queue import spot_new_drafts_after_commit

logger = logging.getLogger("ketasite.import")

SLUG_MAX = 120
TAG_MAX = 100


@dataclass
class ImportOutcome:
    """What happened to one file. `error` is one readable line when `result` is failed."""

    filename: str
    result: str
    article: Article | None = None
    revision: Revision | None = None
    record: ImportRecord | None = None
    title: str = ""
    blocks: int = 0
    sources: int = 0
    warnings: list = field(default_factory=list)
    dropped: list = field(default_factory=list)
    error: str = ""
    dry_run: bool = False
    unsupported: bool = False
    too_large: bool = False

    @property
    def failed(self):
        return self.result == ImportRecord.Result.FAILED

    @property
    def result_label(self):
        return ImportRecord.Result(self.result).label.lower()


def _clean_source_url(source_url):
    source_url = (source_url or "").strip()
    if not source_url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(source_url)
    except ValidationError:
        raise ImportFailure(f"The source URL {source_url[:200]!r} is not an http(s) address.")
    if len(source_url) > 2000:
        raise ImportFailure("The source URL is longer than 2,000 characters.")
    return source_url


def _clean_tags(tags):
    if isinstance(tags, str):
        tags = [tags]
    cleaned = []
    for tag in tags or ():
        tag = " ".join(str(tag).split())[:TAG_MAX]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def site_name_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.")[:200]


def unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    """Return an ASCII slug of `title`, unique among articles (suffix -2, -3…), ≤ 120 chars."""
    base = slugify(title)[:SLUG_MAX].strip("-") or "article"
    existing = set(
        Article.objects.filter(slug__startswith=base[:100]).exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in existing:
        suffix = f"-{number}"
        slug = f"{base[:SLUG_MAX - len(suffix)].rstrip('-')}{suffix}"
        number += 1
    return slug


def _find_existing(origin_key, sha256):
    """Return (article, how) for an earlier import of the same source or bytes, else (None, "").

    The same origin (source URL, else file name) wins over the same bytes from elsewhere.
    """
    condition = Q(origin_sha256=sha256)
    if origin_key:
        condition |= Q(origin_key=origin_key)
    matches = list(Article.objects.filter(condition).order_by("pk")[:5])
    for article in matches:
        if origin_key and article.origin_key == origin_key:
            return article, "origin"
    if matches:
        return matches[0], "bytes"
    return None, ""


def _known_sources(references):
    """Return {(kind, key): Source} for the references' works already stored, in one query.

    Only a speed-up: anything not found here goes through `get_or_create_source`, which owns
    the deduplication rules.
    """
    pmids, dois, url_keys = set(), set(), set()
    for ref in references:
        pmids.add(ref["pmid"])
        dois.add(ref["doi"])
        try:
            ref["_url_key"] = normalize_identifiers(url=ref["url"]).url
        except SourceError:
            ref["_url_key"] = ""
        url_keys.add(ref["_url_key"])
    pmids.discard("")
    dois.discard("")
    url_keys.discard("")
    if not (pmids or dois or url_keys):
        return {}
    known = {}
    matches = Source.objects.filter(
        Q(pmid__in=pmids) | Q(doi__in=dois) | Q(url_key__in=url_keys)
    ).order_by("pk")
    for source in matches:
        for kind in ("pmid", "doi", "url_key"):
            value = getattr(source, kind)
            if value:
                known.setdefault((kind, value), source)
    return known


def _source_for(ref, known):
    """Return the stored source of `ref` when nothing about it needs writing, else None."""
    for kind, value in (("pmid", ref["pmid"]), ("doi", ref["doi"]),
                        ("url_key", ref.get("_url_key", ""))):
        source = known.get((kind, value)) if value else None
        if source is None:
            continue
        complete = all(
            getattr(source, name) or not ref.get(key)
            for name, key in (("pmid", "pmid"), ("doi", "doi"), ("url_key", "_url_key"),
                              ("title", "title"), ("citation_text", "citation_text"))
        )
        return source if complete else None
    return None


def _cite_references(revision, references, warnings):
    """Create (or reuse) the Sources of the reference list and number them on `revision`."""
    references = [dict(ref) for ref in references]
    known = _known_sources(references)
    citations = []
    for number, ref in enumerate(references, start=1):
        source = _source_for(ref, known)
        if source is None:
            try:
                source, _created = get_or_create_source(
                    pmid=ref["pmid"], doi=ref["doi"], url=ref["url"], title=ref["title"],
                    citation_text=ref["citation_text"],
                )
            except SourceError as error:
                warnings.append(f"Reference {number} was not added as a source: {error}")
                continue
        citations.append(Citation(revision=revision, source=source, number=number))
    Citation.objects.filter(revision=revision).delete()
    Citation.objects.bulk_create(citations)
    return len(citations)


def _create_article(*, parsed, record, origin_key, filename, source_url, sha256, tags, actor):
    """Create the article and its first revision. Raises IntegrityError on an origin race."""
    slug = unique_slug(parsed.title)
    article = Article.objects.create(
        slug=slug,
        source_url=source_url,
        site_name=site_name_from_url(source_url),
        original_filename=filename[:255],
        origin_sha256=sha256,
        origin_key=origin_key,
        original_published_on=parsed.published_on,
        is_promotional=parsed.is_promotional,
        created_by=actor,
    )
    revision = Revision.objects.create(
        article=article,
        number=1,
        title=parsed.title,
        title_is_provisional=parsed.title_is_provisional,
        summary=parsed.summary,
        blocks=parsed.blocks,
        author=actor,
        import_record=record,
        message=_message(filename, source_url),
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    if tags:
        article.tags.add(*tags)
    record_event(
        article, actor=actor, action="import", from_state="",
        comment=f"{_message(filename, source_url)}: created as a draft.",
    )
    return article, revision


def _create_or_find(**kwargs):
    """Return (article, revision, None) for a new article, or (None, None, existing).

    Two imports of the same source at the same moment both try to create it; the database's
    unique origin_key lets one win, and the other continues with the winner's article. A
    slug taken in the meantime is retried with the next free one.
    """
    origin_key = kwargs["origin_key"]
    for _attempt in range(3):
        try:
            with transaction.atomic():
                article, revision = _create_article(**kwargs)
            return article, revision, None
        except IntegrityError:
            if origin_key:
                existing = (
                    Article.objects.select_related("draft").filter(origin_key=origin_key).first()
                )
                if existing is not None:
                    return None, None, existing
    raise ImportFailure("The article could not be created (its address was taken); try again.")


def _message(filename, source_url):
    return f"Imported from {source_url or filename or 'an upload'}"[:500]


def add_imported_revision(
    article: Article, *, parsed: Any, record: ImportRecord, actor: Any, filename: str,
    source_url: str,
) -> Revision | None:
    """Add the changed import as a new draft revision; the live publication is untouched.

    Goes through `articles.workflow.save_revision`, which numbers the revision, carries
    annotations and citations forward and withdraws a stale approval.
    """
    current_number = article.draft.number if article.draft_id else 0
    revision = save_revision(
        article, actor=actor, base_number=current_number, title=parsed.title,
        summary=parsed.summary, blocks=parsed.blocks,
        title_is_provisional=parsed.title_is_provisional,
        message=_message(filename, source_url),
    )
    if revision.number == current_number:
        return None  # the bytes changed but the content did not
    Revision.objects.filter(pk=revision.pk).update(import_record=record)
    revision.import_record = record
    return revision


def _unchanged(existing, *, filename, warnings=None):
    """Return the outcome of a file whose text the article `existing` already holds."""
    return ImportOutcome(
        filename=filename, result=ImportRecord.Result.UNCHANGED, article=existing,
        revision=existing.draft, title=existing.title,
        blocks=len(existing.draft.blocks) if existing.draft_id else 0,
        warnings=warnings or [],
    )


def _store(*, parsed, data, sha256, filename, source_url, origin_key, tags, actor):
    """Write one parsed file in the current transaction; return an ImportOutcome."""
    existing, how = _find_existing(origin_key, sha256)
    if existing is not None and existing.origin_sha256 == sha256:
        note = "" if how == "origin" else f"The same text was already imported as “{existing}”."
        return _unchanged(existing, filename=filename, warnings=[note] if note else [])
    record = ImportRecord.objects.create(
        filename=filename[:255], source_url=source_url, raw=data, size=len(data), sha256=sha256,
        encoding=parsed.encoding, format=parsed.format, result=ImportRecord.Result.CREATED,
        report=parsed.report(), created_by=actor,
    )
    warnings = list(parsed.warnings)
    if existing is None:
        article, revision, existing = _create_or_find(
            parsed=parsed, record=record, origin_key=origin_key, filename=filename,
            source_url=source_url, sha256=sha256, tags=tags, actor=actor,
        )
        result = ImportRecord.Result.CREATED
        if existing is not None and existing.origin_sha256 == sha256:
            record.delete()
            return _unchanged(existing, filename=filename)
    if existing is not None:
        article = existing
        revision = add_imported_revision(
            article, parsed=parsed, record=record, actor=actor, filename=filename,
            source_url=source_url,
        )
        fields = {"origin_sha256": sha256, "is_promotional": parsed.is_promotional}
        if parsed.published_on:
            fields["original_published_on"] = parsed.published_on
        Article.objects.filter(pk=article.pk).update(**fields)
        for name, value in fields.items():
            setattr(article, name, value)
        if tags:
            before = set(article.tags.names())
            article.tags.add(*tags)
            if set(article.tags.names()) != before:
                # Tags are approved with the text (the approval fingerprint covers them).
                content_changed(article, actor=actor, reason="tags added by an import")
        if revision is None:
            revision = article.draft
            result = ImportRecord.Result.UNCHANGED
            warnings.append("The file changed, but not its text: no new revision was needed.")
        else:
            result = ImportRecord.Result.NEW_REVISION
    sources = 0
    if parsed.references and result != ImportRecord.Result.UNCHANGED:
        sources = _cite_references(revision, parsed.references, warnings)
    record.article = article
    record.result = result
    record.report = {**record.report, "warnings": warnings, "sources": sources}
    record.save(update_fields=["article", "result", "report"])
    if result != ImportRecord.Result.UNCHANGED:
        # A worker spots the new draft's claims once this import commits.
        spot_new_drafts_after_commit()
    return ImportOutcome(
        filename=filename, result=result, article=article, revision=revision, record=record,
        title=parsed.title, blocks=len(parsed.blocks), sources=sources, warnings=warnings,
        dropped=parsed.dropped,
    )


def _dry_run(*, parsed, sha256, filename, origin_key):
    existing, _how = _find_existing(origin_key, sha256)
    if existing is None:
        result = ImportRecord.Result.CREATED
    elif existing.origin_sha256 == sha256:
        result = ImportRecord.Result.UNCHANGED
    else:
        result = ImportRecord.Result.NEW_REVISION
    return ImportOutcome(
        filename=filename, result=result, article=existing, title=parsed.title,
        blocks=len(parsed.blocks), sources=len(parsed.references),
        warnings=list(parsed.warnings), dropped=parsed.dropped, dry_run=True,
    )


def _record_failure(*, data, sha256, filename, source_url, error, actor, encoding="",
                    fmt=""):
    too_big = len(data) > max_import_bytes()
    return ImportRecord.objects.create(
        filename=filename[:255], source_url=source_url if len(source_url) <= 2000 else "",
        raw=b"" if too_big else data, size=len(data), sha256=sha256, encoding=encoding,
        format=fmt, result=ImportRecord.Result.FAILED,
        report={"error": error, "raw_kept": not too_big}, created_by=actor,
    )


def can_import(user: Any) -> bool:
    """Return whether `user` may import articles. `None` is the system (the command line)."""
    return user is None or has_permission(user, PERM_ADD)


def _read_within_limit(data: bytes | BinaryIO | None) -> bytes:
    """Return the bytes to import, refusing more than the import limit (ImportFailure).

    A file object (an upload, an open file) is read no further than one byte past the limit;
    its declared size, when it has one, is checked before reading anything.
    """
    if data is None or isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data or b"")
        check_size(len(content))
        return content
    size = getattr(data, "size", None)
    if size is None and hasattr(data, "fileno"):
        try:
            size = os.fstat(data.fileno()).st_size
        except (OSError, ValueError):
            size = None
    if isinstance(size, int):
        check_size(size)
    content = data.read(max_import_bytes() + 1)
    check_size(len(content))
    return content


def import_bytes(
    data: bytes | BinaryIO | None, *, filename: str = "", source_url: str = "",
    tags: Iterable[str] = (), actor: Any = None, dry_run: bool = False,
    format: str | None = None,  # noqa: A002 - the contract's name
) -> ImportOutcome:
    """Import one file's bytes as an article, atomically; return an ImportOutcome.

    `data` is the file's bytes, or a binary file object (an upload), which is read no further
    than the import limit. The same bytes again give "unchanged" and write nothing. Changed
    bytes from the same origin (source URL, else file name) add a new draft revision. A file
    that cannot be imported gives "failed" with one readable line in `error`; none of its
    article, revision or source rows are written (a failed ImportRecord keeps the bytes,
    unless `dry_run`). A file over the limit (`too_large`) is refused before it is read
    further or parsed, and writes nothing. Raises NotAllowed when `actor` may not import
    (`can_import`); `actor=None` is the system. A new article's audit log starts with an
    `import` event.
    """
    if not can_import(actor):
        raise NotAllowed("Only editors may import articles.")
    filename = os.path.basename(str(filename or ""))
    try:
        data = _read_within_limit(data)
    except ImportFailure as error:
        return ImportOutcome(filename=filename, result=ImportRecord.Result.FAILED,
                             error=str(error), dry_run=dry_run, too_large=True)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        source_url = _clean_source_url(source_url)
    except ImportFailure as error:
        return ImportOutcome(filename=filename, result=ImportRecord.Result.FAILED,
                             error=str(error), dry_run=dry_run)
    tags = _clean_tags(tags)
    origin_key = source_url or filename
    parsed = None
    unsupported = False
    try:
        parsed = parse_document(data, filename=filename, format=format)
        if dry_run:
            return _dry_run(parsed=parsed, sha256=sha256, filename=filename,
                            origin_key=origin_key)
        with transaction.atomic():
            return _store(
                parsed=parsed, data=data, sha256=sha256, filename=filename,
                source_url=source_url, origin_key=origin_key, tags=tags, actor=actor,
            )
    except ImportFailure as error:
        message = str(error)
        unsupported = error.unsupported
    except Exception as error:  # noqa: BLE001 - one bad file must not stop the others
        if not isinstance(error, WorkflowError):
            logger.exception("import of %r failed", filename)
            message = f"The file could not be imported ({type(error).__name__}); see the log."
        else:
            message = str(error)
    record = None
    if not dry_run:
        record = _record_failure(
            data=data, sha256=sha256, filename=filename, source_url=source_url, error=message,
            actor=actor, encoding=parsed.encoding if parsed else "",
            fmt=parsed.format if parsed else "",
        )
    return ImportOutcome(filename=filename, result=ImportRecord.Result.FAILED, record=record,
                         error=message, dry_run=dry_run, unsupported=unsupported)


def importable_files(
    paths: Iterable[str | os.PathLike[str]],
) -> Iterator[tuple[Path, str]]:
    """Yield (path, problem) for the files to import: files given, and files in directories.

    Directories are walked in name order; only .txt, .md, .html and .htm files are taken
    from them (hidden files are skipped). A missing path or a file of another type given by
    name yields a problem line instead.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in EXTENSION_FORMATS and not any(
                    part.startswith(".") for part in child.relative_to(path).parts
                ):
                    yield child, ""
        elif path.is_file():
            if path.suffix.lower() in EXTENSION_FORMATS:
                yield path, ""
            else:
                yield path, (f"{path.name}: not an importable file type "
                             "(use .txt, .md, .html or .htm).")
        elif path.exists():
            yield path, f"{raw}: not a regular file."
        else:
            yield path, f"{raw}: no such file or directory."


def import_paths(
    paths: Iterable[str | os.PathLike[str]], *, tags: Iterable[str] = (), source_url: str = "",
    actor: Any = None, dry_run: bool = False,
    progress: Callable[[int, int, ImportOutcome], None] | None = None,
) -> list[ImportOutcome]:
    """Import files and directories; return one ImportOutcome per file, in order.

    A file that fails does not stop the others. `progress(done, total, outcome)` is called
    after each file when given.
    """
    files = list(importable_files(paths))
    many_with_url = bool(source_url) and len(files) > 1
    outcomes = []
    for index, (path, problem) in enumerate(files, start=1):
        if many_with_url:
            # One source URL names one page: giving it to several files would merge them.
            problem = "A source URL names one page: import one file with --source-url."
        if problem:
            outcome = ImportOutcome(filename=str(path), result=ImportRecord.Result.FAILED,
                                    error=problem, dry_run=dry_run)
        else:
            outcome = _import_file(path, tags=tags, source_url=source_url, actor=actor,
                                   dry_run=dry_run)
        outcomes.append(outcome)
        if progress is not None:
            progress(index, len(files), outcome)
    return outcomes


def _import_file(path, *, tags, source_url, actor, dry_run):
    try:
        with path.open("rb") as handle:
            return import_bytes(handle, filename=path.name, source_url=source_url, tags=tags,
                                actor=actor, dry_run=dry_run)
    except OSError as error:
        return ImportOutcome(filename=path.name, result=ImportRecord.Result.FAILED,
                             error=f"{path}: cannot be read ({error.strerror}).",
                             dry_run=dry_run)
