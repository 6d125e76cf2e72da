"""The jobs ketasite runs: imports, re-rendering, the site export and workflow mail.

Each `run_*` gets a `runner.JobRun` and does its units through `run_unit`, one transaction
each. Each `start_*` is the service the admin and the commands call.
"""

import os
from pathlib import Path

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from articles import notifications
from articles.backup import dump_document, export_document
from articles.importing import import_bytes
from articles.models import Article, Publication
from articles.publishing import rerender_publication
from articles.reviewing import send_review_reminders
from jobs.archives import Member
from jobs.models import Job, JobUnit
from jobs.registry import register_job_kind
from jobs.runner import JobRun, UnitResult
from jobs.services import start_job
from pagecache.generation import purge_public_pages
from spotting.models import SpottedRevision
from spotting.queue import NEW_DRAFTS_PARAMS
from spotting.suggestions import ensure_spotted, refresh_suggestions_for_revision

# --- importing files ---------------------------------------------------------------------


def start_import(*, members: list[Member], actor, tags=(), title="") -> Job:
    """Start importing `members` (from `archives.unpack_uploads`) as `actor`.

    Refused members become refused units at once, listed in the job's report.
    """
    units = [
        JobUnit(name=member.name[:500], data=member.data or b"",
                state=JobUnit.State.REFUSED if member.refused else JobUnit.State.PENDING,
                outcome="refused" if member.refused else "", reason=member.refused)
        for member in members
    ]
    count = len(units)
    return start_job(
        kind="import", actor=actor, units=units, params={"tags": list(tags)},
        title=title or f"Import {count} file{'s' if count != 1 else ''}",
    )


def run_import(job_run: JobRun) -> None:
    """Import each pending file through `import_bytes` (the command's and the admin's)."""
    job = job_run.job
    tags = job.params.get("tags", [])
    for unit in job_run.pending_units():
        job_run.run_unit(
            lambda unit=unit: _import_unit(unit, tags=tags, actor=job.created_by),
            name=unit.name, unit=unit,
        )


def _import_unit(unit: JobUnit, *, tags, actor) -> UnitResult:
    # The same file again gives "unchanged", so a retried unit never makes a second article.
    outcome = import_bytes(bytes(unit.data), filename=unit.name, tags=tags, actor=actor)
    return UnitResult(
        ok=not outcome.failed, outcome=outcome.result_label,
        reason=outcome.error or "; ".join(outcome.warnings),
        object_id=outcome.article.pk if outcome.article is not None else "",
    )


# --- re-rendering publications -----------------------------------------------------------

RERENDER_CHUNK = 100


def start_rerender(*, actor=None, include_all: bool = False, run_now: bool = False) -> Job:
    title = "Re-render all publications" if include_all else "Re-render live publications"
    return start_job(kind="rerender", title=title, actor=actor,
                     params={"all": include_all}, run_now=run_now)


def run_rerender(job_run: JobRun) -> None:
    """Render each publication again from its frozen content, then purge the page cache.

    Goes by primary key, so a retried job starts after the last one finished.
    """
    publications = Publication.objects.select_related("article").order_by("pk")
    if not job_run.job.params.get("all"):
        publications = publications.live()
    if not job_run.job.total:
        job_run.set_total(publications.count())
    try:
        while True:
            cursor = job_run.job.cursor
            chunk = list(publications.filter(pk__gt=cursor)[:RERENDER_CHUNK])
            if not chunk:
                break
            for publication in chunk:
                job_run.run_unit(
                    lambda publication=publication: _rerender_unit(publication),
                    name=f"{publication.article} (publication {publication.pk})",
                    cursor=publication.pk,
                )
                job_run.job.cursor = publication.pk
    finally:
        # Even when one fails, what was re-rendered must reach every process.
        with transaction.atomic():
            purge_public_pages()


def _rerender_unit(publication) -> UnitResult:
    rerender_publication(publication)
    return UnitResult(outcome="rendered", object_id=publication.pk)


# --- exporting the site ------------------------------------------------------------------


def start_export(*, path: str, actor=None, with_passwords: bool = False,
                 run_now: bool = False) -> Job:
    """Export the site to `path` (on the worker's machine; written whole or not at all)."""
    path = str(Path(path).expanduser().absolute())
    return start_job(kind="export", title=f"Export the site to {path}", actor=actor,
                     params={"path": path, "with_passwords": with_passwords}, run_now=run_now)


def run_export(job_run: JobRun) -> None:
    params = job_run.job.params
    job_run.set_total(1)
    job_run.run_unit(lambda: _export_unit(Path(params["path"]), params["with_passwords"]),
                     name=params["path"])


def _export_unit(path: Path, with_passwords: bool) -> UnitResult:
    document = export_document(with_passwords=with_passwords)
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w", encoding="utf-8") as stream:
        dump_document(document, stream)
    # A reader never sees half a file: the export appears whole, or the old file stays.
    os.replace(partial, path)
    counts = {label: len(rows) for label, rows in document["models"].items() if rows}
    summary = ", ".join(f"{count} {label}" for label, count in counts.items())
    return UnitResult(outcome="written", reason=f"Exported {summary or 'nothing'}.")


# --- workflow mail -----------------------------------------------------------------------

NOTIFICATIONS = {
    "notify_submitted": notifications.notify_submitted,
    "notify_changes_requested": notifications.notify_changes_requested,
    "notify_approved": notifications.notify_approved,
    "notify_claim_rating_changed": notifications.notify_claim_rating_changed,
}


def run_notification(job_run: JobRun) -> None:
    params = job_run.job.params
    job_run.set_total(1)
    send = NOTIFICATIONS[params["name"]]
    job_run.run_unit(
        lambda: UnitResult(outcome=f"{send(**params['kwargs'])} sent"),
        name=f"{params['name']} for article {params['kwargs'].get('article_id')}",
    )


# --- review reminders --------------------------------------------------------------------


def start_reminders(*, actor=None, run_now: bool = False) -> Job:
    """Mail the reviewers of live articles due for review (`review_reminders`) from a job."""
    return start_job(kind="reminders", title="Review reminders", actor=actor, run_now=run_now)


def run_reminders(job_run: JobRun) -> None:
    job_run.set_total(1)
    job_run.run_unit(_reminders_unit, name="review reminders")


def _reminders_unit() -> UnitResult:
    # Safe to retry: an article reminded this week is not reminded again.
    report = send_review_reminders(now=timezone.now())
    skipped = "; ".join(f"not reminded about {article.slug}: {reason}"
                        for article, reason in report.skipped)
    return UnitResult(outcome=f"{len(report.sent)} reviewer(s) reminded", reason=skipped)


# --- claim spotting ----------------------------------------------------------------------

SPOTTING_CHUNK = 100


def start_spotting(*, actor=None, new_drafts: bool = False, run_now: bool = False) -> Job:
    """Run the claim spotter again over the draft of every article that is not archived
    (after the spotter changed; dismissals are kept, as on any re-spotting), or with
    `new_drafts` spot only the drafts nobody has spotted yet (what an import queues:
    `spotting.queue`)."""
    if new_drafts:
        return start_job(kind="spotting", title="Spot claims in new drafts", actor=actor,
                         params=dict(NEW_DRAFTS_PARAMS), run_now=run_now)
    return start_job(kind="spotting", title="Re-run claim spotting over all drafts",
                     actor=actor, run_now=run_now)


def run_spotting(job_run: JobRun) -> None:
    new_drafts = job_run.job.params == NEW_DRAFTS_PARAMS
    articles = (Article.objects.exclude(state=Article.State.ARCHIVED)
                .filter(draft__isnull=False).select_related("draft").order_by("pk"))
    if new_drafts:
        articles = articles.exclude(
            Exists(SpottedRevision.objects.filter(revision_id=OuterRef("draft_id")))
        )
    if not job_run.job.total:
        job_run.set_total(articles.count())
    while chunk := list(articles.filter(pk__gt=job_run.job.cursor)[:SPOTTING_CHUNK]):
        for article in chunk:
            job_run.run_unit(lambda article=article: _spot_unit(article, new_drafts=new_drafts),
                             name=f"{article} (article {article.pk})", cursor=article.pk)
            job_run.job.cursor = article.pk


def _spot_unit(article, *, new_drafts: bool = False) -> UnitResult:
    if new_drafts:
        # One a reader (or another run) spotted in the meantime is not spotted twice.
        made = ensure_spotted(article.draft)
        if made is None:
            return UnitResult(outcome="already spotted", object_id=article.pk)
    else:
        SpottedRevision.objects.get_or_create(revision=article.draft)
        made = refresh_suggestions_for_revision(revision=article.draft)
    return UnitResult(outcome=f"{len(made)} suggested", object_id=article.pk)


register_job_kind("import", label="Import files", run=run_import)
register_job_kind("rerender", label="Re-render publications", run=run_rerender)
register_job_kind("export", label="Export the site", run=run_export)
register_job_kind("notify", label="Workflow mail", run=run_notification)
register_job_kind("reminders", label="Review reminders", run=run_reminders)
register_job_kind("spotting", label="Claim spotting", run=run_spotting)
