"""Every write to an article leaves a row in its audit log (WorkflowEvent), with its actor.

Share links created and revoked, the admin's save of the article's own fields, the article an
import creates, and review comments; transitions and edits are covered in their own tests.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from articles import preview, workflow
from articles.importing import import_bytes
from articles.models import Article, ShareLink, WorkflowEvent
from evidence.annotations import add_comment
from tests.conftest import make_user
from tests.evidence.helpers import annotated_article
from tests.workflow.conftest import ready_article
from tests.workflow.test_admin import _form_data

State = Article.State

pytestmark = pytest.mark.django_db


def _events(article, action):
    return list(WorkflowEvent.objects.filter(article=article, action=action).order_by("pk"))


def test_creating_a_share_link_writes_who_and_which_link(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    link, token = preview.create_share_link(article, actor=reviewer, note="For Dr. Lee")
    [event] = _events(article, "share_link_created")
    assert event.actor == reviewer
    assert f"Share link {link.pk} created" in event.comment
    assert "For Dr. Lee" in event.comment
    assert token not in event.comment  # the token is a secret: only its hash is stored


def test_revoking_a_share_link_writes_one_row_and_a_second_revoke_writes_none(
    editor, reviewer, publisher
):
    article = ready_article(author=editor, reviewer=reviewer)
    link, _token = preview.create_share_link(article, actor=reviewer)
    preview.revoke_share_link(link, actor=publisher)
    preview.revoke_share_link(ShareLink.objects.get(pk=link.pk), actor=reviewer)
    [event] = _events(article, "share_link_revoked")
    assert event.actor == publisher
    assert event.comment == f"Share link {link.pk} revoked."
    assert ShareLink.objects.get(pk=link.pk).revoked_by == publisher


def test_a_refused_share_link_writes_nothing(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    with pytest.raises(workflow.NotAllowed):
        preview.create_share_link(article, actor=editor)
    assert not ShareLink.objects.exists()
    assert not _events(article, "share_link_created")


def test_the_admins_metadata_save_is_one_audited_change(client, editor, reviewer):
    staff = make_user("Editors", username="staffed", is_staff=True)
    article = ready_article(author=editor, reviewer=reviewer)
    client.force_login(staff)
    response = client.post(
        reverse("admin:articles_article_change", args=[article.pk]),
        _form_data(article, slug="a-new-address", site_name="clinic.example"),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.slug, article.site_name) == ("a-new-address", "clinic.example")
    [event] = _events(article, "details_changed")
    assert event.actor == staff
    assert event.comment == "Changed slug, site_name."


def test_update_article_details_withdraws_an_approval_when_the_slug_changes(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer, state=State.APPROVED)
    workflow.update_article_details(article, actor=editor, slug="moved-here")
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW
    assert [e.action for e in article.events.order_by("pk")] == [
        "details_changed", "approval_withdrawn",
    ]


def test_update_article_details_without_a_change_writes_nothing(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    workflow.update_article_details(article, actor=editor, slug=article.slug, tags=[])
    assert not article.events.exists()


def test_update_article_details_needs_the_edit_permission_and_changes_nothing(
    editor, reviewer
):
    article = ready_article(author=editor, reviewer=reviewer)
    with pytest.raises(workflow.NotAllowed):
        workflow.update_article_details(article, actor=reviewer, slug="taken-over")
    article.refresh_from_db()
    assert article.slug != "taken-over"
    assert not article.events.exists()


def test_a_failed_details_save_leaves_the_row_as_it_was(editor, reviewer, monkeypatch):
    article = ready_article(author=editor, reviewer=reviewer, state=State.APPROVED)
    before = (article.slug, article.state)

    def broken(*args, **kwargs):
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(workflow, "_record", broken)
    with pytest.raises(RuntimeError):
        workflow.update_article_details(article, actor=editor, slug="half-saved", tags=["x"])
    article = Article.objects.get(pk=article.pk)
    assert (article.slug, article.state) == before
    assert list(article.tags.names()) == []


def test_the_article_an_import_creates_starts_its_log_with_the_importer():
    importer = make_user("Editors", username="importer")
    importer.user_permissions.add(Permission.objects.get(codename="add_article"))
    outcome = import_bytes(b"A title\n\nSome text about ketamine.", filename="note.txt",
                           actor=importer)
    assert outcome.result == "created", outcome.error
    [event] = outcome.article.events.all()
    assert (event.action, event.actor, event.to_state) == ("import", importer, State.DRAFT)
    assert event.comment == "Imported from note.txt: created as a draft."


def test_a_review_comment_and_a_reply_are_in_the_articles_log(editor, reviewer):
    article, annotation = annotated_article(editor)
    first = add_comment(annotation, actor=editor, body="Which trial is this?")
    reply = add_comment(annotation, actor=reviewer, body="The 2020 one.", reply_to=first)
    events = _events(article, "review_comment_added")
    assert [(e.actor, e.comment) for e in events] == [
        (editor, f"Review comment {first.pk} on annotation {annotation.pk} "
                 "“help some adults”, a new thread."),
        (reviewer, f"Review comment {reply.pk} on annotation {annotation.pk} "
                   f"“help some adults”, a reply in comment {first.pk}'s thread."),
    ]
