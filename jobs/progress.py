"""A rich progress bar for commands that run a job in the foreground."""

from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from jobs.models import Job
from jobs.runner import execute_job


@contextmanager
def progress_bar(stream, label):
    console = Console(file=stream, highlight=False, soft_wrap=False,
                      width=None if stream.isatty() else 140)
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.description}"), console=console,
                  transient=not stream.isatty()) as bar:
        task = bar.add_task("", total=None)

        def advance(job: Job):
            failed = f"{job.failed} failed" if job.failed else ""
            bar.update(task, completed=job.done, total=job.total or None, description=failed)

        yield advance


def run_in_foreground(job: Job, *, stream, label: str) -> Job:
    """Run `job` (started with run_now=True) here, with a progress bar; return it reloaded."""
    with progress_bar(stream, label) as advance:
        execute_job(job.pk, job.run_token, progress=advance)
    job.refresh_from_db()
    return job
