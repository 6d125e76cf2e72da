"""Review threads on PostgreSQL: two reviewers resolving at once, a reply racing a resolve."""

import pytest

from articles.models import WorkflowEvent
from evidence.annotations import AnnotationNotAllowed, add_comment, resolve_comment
from evidence.models import ReviewComment
from tests.conftest import make_user, run_at_once
from tests.evidence.helpers import annotated_article

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.postgres,  # row locks
    pytest.mark.django_db(transaction=True),
]


def test_two_reviewers_resolving_at_once_give_one_success_and_one_audit_row():
    editor = make_user("Editors")
    _, annotation = annotated_article(editor)
    comment = add_comment(annotation, actor=editor, body="Check the dose.")
    reviewers = [make_user("Reviewers") for _ in range(2)]

    results = run_at_once(*[
        (lambda r=r: resolve_comment(ReviewComment.objects.get(pk=comment.pk), actor=r))
        for r in reviewers
    ])

    winners = [r for r in results if isinstance(r, ReviewComment)]
    assert len(winners) == 1, results
    loser = next(r for r in results if r is not winners[0])
    assert isinstance(loser, AnnotationNotAllowed) and loser.http_status == 409
    assert WorkflowEvent.objects.filter(action="comment_resolved").count() == 1
    assert ReviewComment.objects.get(pk=comment.pk).resolved_by == winners[0].resolved_by


def test_a_reply_racing_a_resolve_never_lands_in_a_resolved_thread_unseen():
    editor = make_user("Editors")
    reviewer = make_user("Reviewers")
    _, annotation = annotated_article(editor)
    comment = add_comment(annotation, actor=reviewer, body="Which trial?")

    results = run_at_once(
        lambda: resolve_comment(ReviewComment.objects.get(pk=comment.pk), actor=reviewer),
        lambda: add_comment(annotation, actor=editor, body="The pilot.", reply_to=comment.pk),
    )

    resolved, reply = results
    assert isinstance(resolved, ReviewComment), resolved
    # Either the reply came first (and sits in the thread the reviewer then resolved), or it
    # was refused because the thread was already resolved; never an error of another kind.
    assert isinstance(reply, (ReviewComment, AnnotationNotAllowed)), reply
    if isinstance(reply, ReviewComment):
        assert reply.created_at <= ReviewComment.objects.get(pk=comment.pk).resolved_at
