"""A Job is one piece of long work and its progress; a JobUnit is one file or article of it.

The task backend's own result row (django-tasks-db's DBTaskResult, or RQ's job) says only
whether a task ran; it cannot hold "312 of 1,000 files, these 4 failed and why", and RQ keeps
it in Redis for a while only. So progress lives here, written in the same transaction as
each unit's work: what the admin shows is exactly what was committed.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class JobQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])

    def stale(self, *, before):
        """Running jobs whose worker has not written a heartbeat since `before`."""
        return self.filter(state=Job.State.RUNNING, heartbeat_at__lt=before)


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with failures"
        FAILED = "failed", "Failed"

    FINISHED_STATES = (State.SUCCEEDED, State.PARTIAL, State.FAILED)

    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The run that owns the job now: a worker whose token no longer matches stops at its
    # next unit (the job was recovered and handed to another worker).
    run_token = models.CharField(max_length=32, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # Where a job over a table (re-render) has got to: the last primary key finished.
    cursor = models.BigIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="jobs_state_heartbeat")]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")) | Q(total=0),
                                   name="jobs_done_within_total"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_state_display().lower()})"

    @property
    def is_finished(self):
        return self.state in self.FINISHED_STATES

    @property
    def progress_text(self):
        if self.total or self.is_finished:
            text = f"{self.done} of {self.total}"
        else:
            text = "not started"
        if self.failed:
            text += f", {self.failed} failed"
        return text


class JobUnit(models.Model):
    """One file or article of a job. Import jobs create theirs up front (pending, with the
    file's bytes); other kinds record only the units that failed."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="units")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Kept only until the unit is done: the ImportRecord keeps what was imported.
    data = models.BinaryField(blank=True, default=b"")
    outcome = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="jobs_unit_position"),
        ]

    def __str__(self):
        return f"{self.name}: {self.get_state_display().lower()}"
