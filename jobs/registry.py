"""The kinds of job this site runs. An app adds its own with `register_job_kind` from its
AppConfig.ready() (the claim spotter's "re-run spotting over all drafts" will be one)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str
    # run(job_run: jobs.runner.JobRun) -> None; does its units through job_run.
    run: Callable


_KINDS: dict[str, JobKind] = {}


def register_job_kind(name: str, *, label: str, run: Callable) -> JobKind:
    """Make `name` a kind of job that `services.start_job(kind=name, ...)` can start."""
    if name in _KINDS and _KINDS[name].run is not run:
        raise ValueError(f"A job kind {name!r} is already registered.")
    kind = JobKind(name=name, label=label, run=run)
    _KINDS[name] = kind
    return kind


def job_kind(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"No job kind {name!r} is registered.") from None


def job_kinds() -> list[JobKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)
