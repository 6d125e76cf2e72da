"""Work other apps do when an article gets a new revision, without articles importing them.

An app registers a function in its `AppConfig.ready` (`register_revision_hook`); the importer
and `workflow.save_revision` call `revision_saved(revision)` right after they save a revision,
inside their transaction, so the app's rows are written with the revision or not at all.
The claim spotter (spotting/) is the one user today.
"""

from collections.abc import Callable

_revision_hooks: list[Callable] = []


def register_revision_hook(hook: Callable) -> None:
    """Call `hook(revision=...)` after each new revision is saved (once per function)."""
    if hook not in _revision_hooks:
        _revision_hooks.append(hook)


def revision_saved(revision) -> None:
    """Run the registered hooks for a revision just saved."""
    for hook in _revision_hooks:
        hook(revision=revision)
