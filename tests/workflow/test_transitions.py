"""Every (group, state, action): allowed ones succeed with one event, the rest change nothing."""

import pytest

from articles import workflow
from articles.models import Article, WorkflowEvent
from tests.workflow.conftest import ready_article

State = Article.State

# What each group may do, and from which states (the table in docs and README).
ALLOWED = {
    ("Editors", "submit"): {State.DRAFT: State.IN_REVIEW,
                            State.CHANGES_REQUESTED: State.IN_REVIEW},
    ("Reviewers", "request_changes"): {State.IN_REVIEW: State.CHANGES_REQUESTED},
    ("Reviewers", "approve"): {State.IN_REVIEW: State.APPROVED},
    ("Publishers", "publish"): {State.APPROVED: State.PUBLISHED},
    ("Publishers", "unpublish"): {State.PUBLISHED: State.UNPUBLISHED},
    ("Publishers", "archive"): {
        s: State.ARCHIVED for s in State if s not in (State.IN_REVIEW, State.ARCHIVED)
    },
    ("Publishers", "restore"): {State.ARCHIVED: State.DRAFT},
    ("Reviewers", "reviewed_no_change"): {State.PUBLISHED: State.PUBLISHED},
}
PERMISSION_OF_ACTION = {
    "submit": "Editors", "request_changes": "Reviewers", "approve": "Reviewers",
    "publish": "Publishers", "unpublish": "Publishers", "archive": "Publishers",
    "restore": "Publishers", "reviewed_no_change": "Reviewers",
}
CASES = [
    (group, state, action)
    for group in ("Editors", "Reviewers", "Publishers", None)
    for state in State
    for action in workflow.ACTIONS
]


def _snapshot(article):
    article.refresh_from_db()
    return (article.state, article.live_id, article.draft_id, article.approval_fingerprint,
            article.events.count(), article.publications.count())


@pytest.mark.parametrize(("group", "state", "action"), CASES,
                         ids=[f"{g}-{s.value}-{a}" for g, s, a in CASES])
def test_transition_table(team, group, state, action):
    actor = team[group]
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"], state=state)
    expected = ALLOWED.get((group, action), {}).get(state)
    before = _snapshot(article)

    if expected is not None:
        workflow.perform(article, action=action, actor=actor, comment="Reason given.")
        article.refresh_from_db()
        assert article.state == expected
        events = list(article.events.all())
        assert len(events) == 1
        assert (events[0].action, events[0].actor, events[0].from_state, events[0].to_state) == (
            action, actor, state, expected
        )
        assert events[0].comment == "Reason given."
        return

    if PERMISSION_OF_ACTION[action] != group:
        error, message = workflow.NotAllowed, "Only "
    else:
        error, message = workflow.WrongState, "Cannot "
        if action == "archive":
            message = "already archived" if state == State.ARCHIVED else "Cannot archive"
    with pytest.raises(error) as raised:
        workflow.perform(article, action=action, actor=actor, comment="Reason given.")
    assert message in raised.value.message
    assert _snapshot(article) == before


def test_unknown_action_is_refused_readably(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"])
    with pytest.raises(workflow.InvalidInput, match="Unknown action 'delete'"):
        workflow.perform(article, action="delete", actor=team["Publishers"])
    assert not WorkflowEvent.objects.exists()


@pytest.mark.parametrize("action", ["request_changes", "unpublish"])
def test_action_without_comment_is_refused(team, action):
    state = State.IN_REVIEW if action == "request_changes" else State.PUBLISHED
    group = "Reviewers" if action == "request_changes" else "Publishers"
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"], state=state)
    with pytest.raises(workflow.InvalidInput, match="A comment is required"):
        workflow.perform(article, action=action, actor=team[group], comment="   ")
    article.refresh_from_db()
    assert article.state == state
    assert not article.events.exists()


def test_editor_who_is_not_an_author_cannot_submit(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"])
    from tests.conftest import make_user

    other_editor = make_user("Editors")
    with pytest.raises(workflow.NotAllowed, match="author of this article or its assigned"):
        workflow.submit(article, actor=other_editor)
    article.assigned_editor = other_editor
    article.save(update_fields=["assigned_editor"])
    workflow.submit(article, actor=other_editor)
    assert article.state == State.IN_REVIEW


def test_allowed_actions_match_what_perform_accepts(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"],
                            state=State.PUBLISHED)
    assert workflow.allowed_actions(article, team["Publishers"]) == ["unpublish", "archive"]
    assert workflow.allowed_actions(article, team["Editors"]) == []
    assert workflow.allowed_actions(article, team[None]) == []


def test_unpublish_of_an_edited_live_article_keeps_the_draft_state(team):
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"],
                            state=State.PUBLISHED)
    article.state = State.DRAFT  # edited after publication: live stays up
    article.save(update_fields=["state"])
    assert "unpublish" in workflow.allowed_actions(article, team["Publishers"])
    workflow.unpublish(article, actor=team["Publishers"], comment="Outdated dosing advice.")
    article.refresh_from_db()
    assert article.live is None
    assert article.state == State.DRAFT
    assert not Article.objects.published().filter(pk=article.pk).exists()
