"""Starting jobs and recovering the ones whose worker died. Admin views, commands and the
workflow's mail all start jobs through `start_job`."""

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job, JobUnit
from jobs.registry import job_kind
from jobs.tasks import run_job

logger = logging.getLogger("ketasite.jobs")


def new_token() -> str:
    return secrets.token_hex(16)


def start_job(*, kind: str, title: str, actor=None, params: dict | None = None,
              units: Iterable[JobUnit] = (), run_now: bool = False) -> Job:
    """Create a queued job (and its units) and hand it to the task backend on commit.

    The job row is written in the caller's transaction, so a job started by a change that is
    rolled back never runs; if the enqueue itself fails after the commit, `recover_jobs`
    enqueues the job later. With `run_now` nothing is enqueued: the caller runs it with
    `runner.execute_job` (a command showing a progress bar).
    """
    job_kind(kind)  # an unknown kind is refused here, not in a worker
    units = list(units)
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, title=title[:200], created_by=actor if getattr(actor, "pk", None) else None,
            params=params or {}, run_token=new_token(), total=len(units),
        )
        for position, unit in enumerate(units, start=1):
            unit.job = job
            unit.position = position
        JobUnit.objects.bulk_create(units, batch_size=200)
        done = [unit for unit in units if unit.state != JobUnit.State.PENDING]
        if done:
            failed = sum(1 for unit in done if unit.state != JobUnit.State.DONE)
            Job.objects.filter(pk=job.pk).update(done=len(done), failed=failed)
            job.done, job.failed = len(done), failed
        if not run_now:
            transaction.on_commit(partial(enqueue, job.pk, job.run_token))
    return job


def enqueue(job_id: int, token: str) -> None:
    """Give the job to the task backend; a failure is logged and left to `recover_jobs`."""
    try:
        result = run_job.enqueue(job_id, token)
    except Exception:
        logger.exception("job %s could not be enqueued; recover_jobs will try again", job_id)
        return
    Job.objects.filter(pk=job_id, run_token=token, task_id="").update(task_id=str(result.id))


def recover_jobs(*, now: datetime | None = None) -> list[str]:
    """Retry running jobs whose worker stopped, and enqueue queued jobs that never were.

    A running job whose heartbeat is older than KETASITE_JOB_STALE_SECONDS lost its worker:
    it is queued again with a new token (its finished units are kept and not redone) or,
    after KETASITE_JOB_MAX_ATTEMPTS attempts, marked failed. Safe to run in several
    processes at once: every change is conditional on the token it read. Returns one line
    per job changed.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.KETASITE_JOB_STALE_SECONDS)
    lines = []
    for job in Job.objects.stale(before=stale_before):
        lines.extend(_recover(job, now=now))
    never_enqueued = Job.objects.filter(state=Job.State.QUEUED, task_id="",
                                        created_at__lt=stale_before)
    for job in never_enqueued:
        enqueue(job.pk, job.run_token)
        lines.append(f"Job {job.pk} ({job.title}) was never enqueued; enqueued now.")
    return lines


def _recover(job: Job, *, now) -> list[str]:
    attempts, limit = job.attempts, settings.KETASITE_JOB_MAX_ATTEMPTS
    token = new_token()
    kept = f"{job.done} of {job.total} units finished are kept"
    with transaction.atomic():
        current = Job.objects.filter(pk=job.pk, run_token=job.run_token,
                                     state=Job.State.RUNNING)
        if attempts >= limit:
            message = (f"The worker stopped during attempt {attempts} of {limit}; the job is "
                       f"failed ({kept}).")
            changed = current.update(state=Job.State.FAILED, run_token=token, finished_at=now,
                                     message=message)
        else:
            message = (f"The worker stopped during attempt {attempts} of {limit}; retried "
                       f"({kept}).")
            changed = current.update(state=Job.State.QUEUED, run_token=token, task_id="",
                                     message=message)
            if changed:
                transaction.on_commit(partial(enqueue, job.pk, token))
    if not changed:
        return []
    _fail_lost_task(job.task_id, now=now)
    logger.warning("job %s: %s", job.pk, message)
    return [f"Job {job.pk} ({job.title}): {message}"]


def _fail_lost_task(task_id: str, *, now) -> None:
    """Mark the database backend's own row of a lost run failed (it would say running)."""
    if not task_id or settings.KETASITE_JOB_BACKEND != "database":
        return
    DBTaskResult.objects.filter(id=task_id, status="RUNNING").update(
        status="FAILED", finished_at=now, exception_class_path="jobs.runner.JobLost",
        traceback="The worker running this task stopped; see the job on the Jobs page.",
    )
