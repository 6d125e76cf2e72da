"""Running one job: claim it, keep a heartbeat, do its units one transaction each, finish it.

Rules:
- A run owns its job through `run_token`. Every unit commits only while the token still
  matches (the counters are updated with `WHERE run_token = …` in the unit's transaction), so
  a worker that was given up for dead and comes back cannot count or commit a unit twice.
- A unit's work and its progress (the JobUnit row, `done`/`failed`, `cursor`) commit together.
  A unit that raises is rolled back whole and recorded as failed, with the reason, in a
  transaction of its own; the other units go on.
- A heartbeat thread writes `heartbeat_at` every KETASITE_JOB_HEARTBEAT_SECONDS; a worker that
  dies stops writing it, and `services.recover_jobs` retries or fails the job.
"""

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from jobs.models import Job, JobUnit
from jobs.registry import job_kind

logger = logging.getLogger("ketasite.jobs")

REASON_MAX = 2000


class JobLost(Exception):
    """This run no longer owns its job (it was recovered and retried, or failed)."""


@dataclass
class UnitResult:
    """What one unit came to: `ok` False counts it as failed, with `reason` shown."""

    ok: bool = True
    outcome: str = "done"
    reason: str = ""
    object_id: str = ""


ProgressCallback = Callable[[Job], None]


class JobRun:
    """One run of a job, handed to the job kind's `run` function."""

    def __init__(self, job: Job, *, progress: ProgressCallback | None = None):
        self.job = job
        self.token = job.run_token
        self.progress = progress

    def _owned(self):
        return Job.objects.filter(pk=self.job.pk, run_token=self.token, state=Job.State.RUNNING)

    def set_total(self, total: int) -> None:
        """Say how many units the job has (once, when the run knows it)."""
        if not self._owned().update(total=total):
            raise JobLost(self.job.pk)
        self.job.total = total

    def pending_units(self):
        """Yield the job's pending units in order, each read (with its bytes) when reached."""
        ids = list(
            JobUnit.objects.filter(job=self.job, state=JobUnit.State.PENDING)
            .order_by("position").values_list("pk", flat=True)
        )
        for unit_id in ids:
            unit = JobUnit.objects.filter(pk=unit_id, state=JobUnit.State.PENDING).first()
            if unit is not None:
                yield unit

    def run_unit(self, work: Callable[[], UnitResult | None], *, name: str,
                 unit: JobUnit | None = None, cursor: int | None = None) -> UnitResult:
        """Do `work()` and count it in one transaction; record a failure if it raises.

        `unit` is a pending JobUnit made when the job started (imports); without one, a
        JobUnit row is written only when the work fails. `cursor` is stored with the unit
        so a retried run starts after it.
        """
        try:
            with transaction.atomic():
                result = work() or UnitResult()
                self._count(result, name=name, unit=unit, cursor=cursor)
        except JobLost:
            raise
        except Exception as error:
            logger.exception("job %s: unit %r failed", self.job.pk, name)
            result = UnitResult(ok=False, outcome="failed", reason=describe_error(error))
            with transaction.atomic():
                self._count(result, name=name, unit=unit, cursor=cursor)
        if self.progress is not None:
            self.job.refresh_from_db(fields=["done", "failed", "total"])
            self.progress(self.job)
        return result

    def _count(self, result: UnitResult, *, name, unit, cursor):
        now = timezone.now()
        state = JobUnit.State.DONE if result.ok else JobUnit.State.FAILED
        changes = {"done": F("done") + 1, "heartbeat_at": now}
        if not result.ok:
            changes["failed"] = F("failed") + 1
        if cursor is not None:
            changes["cursor"] = cursor
        # The row lock taken here is held to the commit, so units of one job count in turn.
        if not self._owned().update(**changes):
            raise JobLost(self.job.pk)
        fields = {"state": state, "outcome": result.outcome[:40],
                  "reason": result.reason[:REASON_MAX], "object_id": str(result.object_id),
                  "finished_at": now, "data": b""}
        if unit is not None:
            updated = JobUnit.objects.filter(pk=unit.pk, state=JobUnit.State.PENDING)
            if not updated.update(**fields):
                raise JobLost(self.job.pk)
        elif not result.ok:
            JobUnit.objects.create(job=self.job, position=self._next_position(), name=name[:500],
                                   **fields)


    def _next_position(self):
        last = JobUnit.objects.filter(job=self.job).order_by("-position").first()
        return last.position + 1 if last else 1


def describe_error(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@contextmanager
def heartbeat(job_id: int, token: str):
    """Write the job's heartbeat from a thread while the body runs."""
    stop = threading.Event()
    interval = float(settings.KETASITE_JOB_HEARTBEAT_SECONDS)

    def beat():
        try:
            while not stop.wait(interval):
                try:
                    Job.objects.filter(pk=job_id, run_token=token).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as error:  # busy database: the next beat tries again
                    logger.warning("job %s: heartbeat not written (%s)", job_id, error)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 30)


def claim(job_id: int, token: str) -> Job | None:
    """Mark the queued job running for this token; None when another run has it or it ended."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, run_token=token, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1,
    )
    return Job.objects.get(pk=job_id) if claimed else None


def execute_job(job_id: int, token: str, *, progress: ProgressCallback | None = None) -> dict:
    """Run the job `job_id` if `token` still owns it; return a short summary.

    An error outside any unit fails the whole job (finished units are kept) and is raised
    again, so the task backend records the failure too.
    """
    job = claim(job_id, token)
    if job is None:
        logger.info("job %s: not run (no longer queued for this token)", job_id)
        return {"job": job_id, "ran": False}
    job_run = JobRun(job, progress=progress)
    with heartbeat(job_id, token):
        try:
            job_kind(job.kind).run(job_run)
        except JobLost:
            logger.warning("job %s: taken over by another run; this one stops", job_id)
            return {"job": job_id, "ran": False}
        except Exception as error:
            _finish(job_run, failed=True, message=f"The job stopped: {describe_error(error)}"
                    " Finished units are kept.")
            raise
    _finish(job_run, failed=False, message="")
    job.refresh_from_db()
    return {"job": job_id, "ran": True, "state": job.state, "done": job.done,
            "failed": job.failed, "total": job.total}


def _finish(job_run: JobRun, *, failed: bool, message: str) -> None:
    if failed:
        state = Value(Job.State.FAILED)
    else:
        state = Case(When(failed__gt=0, then=Value(Job.State.PARTIAL)),
                     default=Value(Job.State.SUCCEEDED))
    changes = {"state": state, "finished_at": timezone.now()}
    if message:
        changes["message"] = message
    job_run._owned().update(**changes)
