"""The article's audit log: one WorkflowEvent row for every write to an article.

Transitions, edits, share links, metadata saves, imports and review comments all write here,
so the article's log answers "who changed what, when". Rating changes keep their own, finer
log as well (`evidence.RatingChange`).
"""

from typing import Any

from articles.models import Article, Revision, WorkflowEvent


def record_event(
    article: Article, *, actor: Any, action: str, comment: str = "",
    from_state: str | None = None, revision: Revision | None = None,
) -> WorkflowEvent:
    """Write one row to `article`'s audit log and return it.

    `from_state` defaults to the article's state (a change that is not a transition);
    `revision` to its draft. `actor=None` (or an anonymous user) is the system.
    """
    return WorkflowEvent.objects.create(
        article=article,
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        from_state=article.state if from_state is None else from_state,
        to_state=article.state,
        revision=revision if revision is not None else article.draft,
        comment=comment,
    )
