"""Who may do what with the claim registry (claims/permissions.py): each rule is a
check_/can_ pair, the role is refused (403) before the state (409), and the admin offers an
action only to whoever may take it. Every refusal writes nothing."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from articles.models import Article, WorkflowEvent
from claims import permissions, services
from claims.models import Claim, ClaimLink, ClaimMerge
from tests.claims.helpers import article_blocks, rated_claim, unrated_passage
from tests.conftest import make_article, make_user

pytestmark = pytest.mark.django_db

ROLES = ("Editors", "Reviewers", "Publishers", None)


@pytest.fixture
def people():
    return {role: make_user(role) for role in ROLES}


def allowed(question, people, *args):
    return {role for role, user in people.items() if question(user, *args)}


def test_each_rule_names_who_may(people):
    assert allowed(permissions.can_view_claims, people) == {"Editors", "Reviewers",
                                                            "Publishers"}
    assert allowed(permissions.can_create_claim, people) == {"Editors", "Reviewers"}
    assert allowed(permissions.can_link_annotation, people) == {"Editors", "Reviewers"}
    assert allowed(permissions.can_unlink_annotation, people) == {"Editors", "Reviewers"}
    assert allowed(permissions.can_rate_claim, people) == {"Reviewers"}
    assert allowed(permissions.can_confirm_link, people) == {"Reviewers"}
    assert allowed(permissions.can_merge_claims, people) == {"Reviewers"}
    assert allowed(permissions.can_split_claim, people) == {"Reviewers"}
    assert allowed(permissions.can_publish_claim, people) == {"Publishers"}
    anonymous = AnonymousUser()
    assert not any(question(anonymous) for question in (
        permissions.can_view_claims, permissions.can_create_claim,
        permissions.can_link_annotation, permissions.can_rate_claim,
        permissions.can_publish_claim, permissions.can_merge_claims))
    inactive = make_user("Reviewers", is_active=False)
    assert not permissions.can_rate_claim(inactive)


def test_the_role_is_refused_before_the_state(people):
    editor, reviewer = people["Editors"], people["Reviewers"]
    article = make_article(blocks=article_blocks(1))
    passage = unrated_passage(article)
    Article.objects.filter(pk=article.pk).update(state=Article.State.ARCHIVED)
    passage.refresh_from_db()
    with pytest.raises(permissions.ClaimNotAllowed) as refused:
        permissions.check_link_annotation(people["Publishers"], passage)
    assert refused.value.http_status == 403
    with pytest.raises(permissions.ClaimNotAllowed) as refused:
        permissions.check_link_annotation(editor, passage)
    assert (refused.value.http_status, refused.value.code) == (409, "wrong_state")
    assert not permissions.can_link_annotation(editor, passage)
    unrated = services.create_claim(statement="Ketamine is a dissociative anaesthetic.",
                                    actor=editor)
    assert permissions.can_publish_claim(people["Publishers"]) is True
    assert permissions.can_publish_claim(people["Publishers"], unrated) is False
    assert permissions.can_publish_claim(reviewer, unrated) is False


def test_a_reviewer_may_not_publish_a_claim_page_and_nothing_changes(people):
    claim = rated_claim(editor=people["Editors"], reviewer=people["Reviewers"])
    with pytest.raises(services.ClaimNotAllowed) as refused:
        services.publish_claim(claim, actor=people["Reviewers"])
    assert refused.value.http_status == 403
    claim.refresh_from_db()
    assert claim.published_at is None and not Claim.objects.public().exists()


def test_an_editor_may_not_split_a_merged_claim_and_nothing_changes(people):
    editor, reviewer = people["Editors"], people["Reviewers"]
    kept = rated_claim("Esketamine is approved for treatment-resistant depression.",
                       editor=editor, reviewer=reviewer)
    merged = rated_claim("The FDA approved esketamine for treatment-resistant depression.",
                         editor=editor, reviewer=reviewer)
    services.merge_claims(merged, into=kept, actor=reviewer)
    with pytest.raises(services.ClaimNotAllowed) as refused:
        services.split_claim(merged, actor=editor)
    assert refused.value.http_status == 403
    merged.refresh_from_db()
    assert merged.merged_into_id == kept.pk
    assert ClaimMerge.objects.get().split_at is None


def test_a_publisher_may_not_unlink_and_the_link_stays(people):
    editor = people["Editors"]
    claim = rated_claim(editor=editor, reviewer=people["Reviewers"])
    passage = unrated_passage(make_article(blocks=article_blocks(1)))
    services.link_annotation(passage, claim=claim, actor=editor)
    events = WorkflowEvent.objects.count()
    with pytest.raises(services.ClaimNotAllowed) as refused:
        services.unlink_annotation(passage, actor=people["Publishers"])
    assert refused.value.http_status == 403
    assert ClaimLink.objects.get().claim_id == claim.pk
    assert WorkflowEvent.objects.count() == events


def changelist_actions(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:claims_claim_changelist"))
    assert response.status_code == 200
    return {name for name in ("merge_action", "split_action", "publish_action")
            if f'value="{name}"' in response.content.decode()}


def test_the_admin_offers_each_action_only_to_whoever_may_take_it(client, people):
    rated_claim(editor=people["Editors"], reviewer=people["Reviewers"])
    staff = {role: make_user(role, is_staff=True) for role in ("Editors", "Reviewers",
                                                               "Publishers")}
    assert changelist_actions(client, staff["Editors"]) == set()
    assert changelist_actions(client, staff["Reviewers"]) == {"merge_action", "split_action"}
    assert changelist_actions(client, staff["Publishers"]) == {"publish_action"}


def test_publishing_through_the_admin_action_as_a_reviewer_writes_nothing(client, people):
    claim = rated_claim(editor=people["Editors"], reviewer=people["Reviewers"])
    client.force_login(make_user("Reviewers", is_staff=True))
    client.post(reverse("admin:claims_claim_changelist"),
                {"action": "publish_action", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.published_at is None
