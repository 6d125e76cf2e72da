"""Services do the work: a PATCH with a status is one transaction, a delete checks the version
under its lock, and the admin form only checks (the admin saves through the service)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from articles.models import WorkflowEvent
from evidence.annotations import (
    AnnotationNotAllowed,
    StaleAnnotation,
    delete_annotation,
    update_annotation,
)
from evidence.api import annotation_etag
from evidence.forms import AnnotationForm
from evidence.models import Annotation, RatingChange
from tests.conftest import make_user
from tests.evidence.helpers import annotated_article

pytestmark = pytest.mark.django_db


def _source_keeper():
    """A user who may change an annotation's sources but is neither reviewer nor author."""
    user = make_user(username="keeper")
    user.user_permissions.add(Permission.objects.get(codename="change_annotation"))
    return user


def test_a_note_and_a_resolve_in_one_update_make_one_new_version(editor, reviewer):
    _, annotation = annotated_article(editor)
    updated = update_annotation(annotation, actor=reviewer, expected_version=1,
                                note="Checked against the trial.", status="resolved")
    assert (updated.note, updated.status, updated.version) == (
        "Checked against the trial.", "resolved", 2,
    )


def test_a_status_the_actor_may_not_set_leaves_the_other_changes_unsaved(editor):
    _, annotation = annotated_article(editor)
    with pytest.raises(AnnotationNotAllowed, match="may resolve it"):
        update_annotation(annotation, actor=_source_keeper(), expected_version=1,
                          sources=[], note="", status="resolved")
    annotation.refresh_from_db()
    assert (annotation.status, annotation.version) == ("open", 1)


def test_the_api_patch_with_a_status_refused_changes_nothing(editor):
    # Before, the view updated, then resolved in a second transaction: the first stayed.
    _, annotation = annotated_article(editor, note="First note.")
    client = APIClient()
    # An editor may move the passage, but only a reviewer or the author may resolve it.
    client.force_authenticate(make_user("Editors"))
    response = client.patch(
        f"/api/v1/editorial/annotations/{annotation.pk}/",
        {"start": annotation.start, "end": annotation.end - 1, "status": "resolved"},
        format="json", HTTP_IF_MATCH=annotation_etag(annotation),
    )
    assert response.status_code == 403
    annotation.refresh_from_db()
    assert (annotation.end, annotation.status, annotation.version) == (
        annotation.start + len("help some adults"), "open", 1,
    )


def test_delete_with_a_stale_version_is_refused_and_the_row_stays(editor, reviewer):
    _, annotation = annotated_article(editor)
    update_annotation(annotation, actor=reviewer, expected_version=1, verdict="mixed")
    with pytest.raises(StaleAnnotation):
        delete_annotation(annotation, actor=editor, expected_version=1)
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_delete_checks_the_version_it_is_given_not_the_callers_copy(editor, reviewer):
    # The view's copy said version 1; someone saved version 2 before the delete ran.
    _, annotation = annotated_article(editor)
    stale_copy = Annotation.objects.get(pk=annotation.pk)
    update_annotation(annotation, actor=reviewer, expected_version=1, note="Mine now.")
    with pytest.raises(StaleAnnotation) as caught:
        delete_annotation(stale_copy, actor=editor, expected_version=stale_copy.version)
    assert caught.value.current.note == "Mine now."
    assert Annotation.objects.filter(pk=annotation.pk).exists()


def test_delete_with_the_current_version_deletes(editor):
    _, annotation = annotated_article(editor)
    delete_annotation(annotation, actor=editor, expected_version=1)
    assert not Annotation.objects.filter(pk=annotation.pk).exists()


def test_the_admin_form_checks_without_saving(editor, reviewer):
    _, annotation = annotated_article(editor)
    data = {
        "block_id": annotation.block_id, "start": annotation.start, "end": annotation.end,
        "certainty": "low", "verdict": "mixed", "note": "", "expected_version": 1,
    }
    form_class = type("Form", (AnnotationForm,), {"actor": reviewer})
    form = form_class(data, instance=annotation)
    assert form.is_valid(), form.errors
    annotation.refresh_from_db()
    assert (annotation.verdict, annotation.version) == ("", 1)
    assert not RatingChange.objects.filter(new_value="mixed").exists()
    assert not WorkflowEvent.objects.exists()
    saved = form.save()
    assert (saved.verdict, saved.version) == ("mixed", 2)


def test_the_admin_form_shows_a_refusal_on_its_field(editor):
    _, annotation = annotated_article(editor)
    form_class = type("Form", (AnnotationForm,), {"actor": editor})
    form = form_class({
        "block_id": annotation.block_id, "start": annotation.start, "end": annotation.end,
        "certainty": "", "verdict": "", "note": "", "expected_version": 1,
        "exact_check": "not these words",
    }, instance=annotation)
    assert not form.is_valid()
    assert "does not match" in form.errors["exact_check"][0]


def test_a_change_made_between_check_and_save_is_refused_in_the_admin(
    client, editor, reviewer, monkeypatch
):
    _, annotation = annotated_article(editor)
    staff = make_user("Reviewers", username="staffrev", is_staff=True)
    client.force_login(staff)
    original_clean = AnnotationForm.clean

    def clean_then_someone_saves(form):
        cleaned = original_clean(form)
        update_annotation(annotation, actor=reviewer, expected_version=1, note="Meanwhile.")
        return cleaned

    monkeypatch.setattr(AnnotationForm, "clean", clean_then_someone_saves)
    url = reverse("admin:evidence_annotation_change", args=[annotation.pk])
    response = client.post(url, {
        "block_id": annotation.block_id, "start": annotation.start, "end": annotation.end,
        "certainty": "low", "verdict": "mixed", "note": "", "expected_version": 1,
        "rating_changes-TOTAL_FORMS": 0, "rating_changes-INITIAL_FORMS": 0,
    }, follow=True)
    assert "Nothing was saved" in response.content.decode()
    annotation.refresh_from_db()
    # The admin request rolled back, the other save with it; the row is as it was.
    assert (annotation.verdict, annotation.note) == ("", "")
