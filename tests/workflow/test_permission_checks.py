"""One permission check per action: allowed_actions and the transitions ask the same question,
and "reviewer" is the review permission, however a user holds it."""

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from articles import workflow
from articles.models import Article
from articles.permissions import reviewers
from tests.conftest import make_user
from tests.workflow.conftest import ready_article
from tests.workflow.test_transitions import CASES

State = Article.State


@pytest.mark.parametrize(("group", "state", "action"), CASES,
                         ids=[f"{g}-{s.value}-{a}" for g, s, a in CASES])
def test_allowed_actions_offer_an_action_exactly_when_the_transition_takes_it(
    team, group, state, action
):
    actor = team[group]
    article = ready_article(author=team["Editors"], reviewer=team["Reviewers"], state=state)
    offered = action in workflow.allowed_actions(article, actor)
    try:
        workflow.perform(article, action=action, actor=actor, comment="Reason given.")
        taken = True
    except (workflow.NotAllowed, workflow.WrongState):
        taken = False
    assert offered == taken


def _direct_reviewer():
    user = make_user(username="lone-reviewer")
    user.user_permissions.add(Permission.objects.get(codename="review_article"))
    return user


@pytest.mark.django_db
def test_a_user_holding_the_review_permission_without_the_group_is_a_reviewer(editor):
    lone = _direct_reviewer()
    assert lone in reviewers()
    article = ready_article(author=editor, reviewer=lone)
    assert [a.reviewer for a in workflow.assign_reviewers(
        article, actor=make_user("Editors", groups=["Publishers"]), reviewers=[lone],
    )] == [lone]


@pytest.mark.django_db
def test_a_member_of_the_reviewers_group_whose_group_lost_the_permission_is_not(reviewer):
    permission = Permission.objects.get(codename="review_article")
    reviewer.groups.get(name="Reviewers").permissions.remove(permission)
    assert reviewer not in reviewers()


@pytest.mark.django_db
def test_the_admin_offers_reviewers_by_permission(client, editor):
    lone = _direct_reviewer()
    staff = make_user("Editors", username="assigner", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="add_reviewassignment"))
    client.force_login(staff)
    article = ready_article(author=editor, reviewer=lone)
    response = client.get(f"/admin/articles/article/{article.pk}/change/")
    assert f'<option value="{lone.username}"' in response.content.decode()


@pytest.mark.django_db
@override_settings(KETASITE_ALLOW_SELF_APPROVAL=False)
def test_the_four_eyes_rule_refuses_the_transition_and_hides_the_button_alike(editor):
    both = make_user("Editors", groups=["Reviewers"])
    article = ready_article(author=both, reviewer=both, state=State.IN_REVIEW)
    assert not workflow.can_approve(article, both)
    assert "approve" not in workflow.allowed_actions(article, both)
    with pytest.raises(workflow.NotAllowed, match="Four-eyes rule"):
        workflow.approve(article, actor=both)
