"""The admin is the non-JavaScript way to list and edit evidence; it applies the same rules."""

import pytest
from django.urls import reverse

from evidence.models import Annotation, RatingChange, Source
from evidence.sources import get_or_create_source
from tests.conftest import make_user
from tests.evidence.helpers import CLAIM_TEXT, annotated_article

pytestmark = pytest.mark.django_db


def _staff(client, group):
    user = make_user(group, is_staff=True)
    client.force_login(user)
    return user


def _annotation_post(annotation, **overrides):
    data = {
        "block_id": annotation.block_id,
        "start": annotation.start,
        "end": annotation.end,
        "exact_check": "",
        "certainty": annotation.certainty,
        "verdict": annotation.verdict,
        "note": annotation.note,
        "expected_version": annotation.version,
        "comments-TOTAL_FORMS": 0, "comments-INITIAL_FORMS": 0,
        "rating_changes-TOTAL_FORMS": 0, "rating_changes-INITIAL_FORMS": 0,
    }
    data.update(overrides)
    return data


def test_duplicate_source_is_refused_with_a_link_to_the_existing_one(client):
    _staff(client, "Editors")
    existing, _ = get_or_create_source(doi="10.1007/s00787-020-01234-5", title="The trial")
    response = client.post(
        reverse("admin:evidence_source_add"),
        {"doi": "https://doi.org/10.1007/S00787-020-01234-5", "title": "Again", "url": ""},
    )
    assert response.status_code == 200
    link = reverse("admin:evidence_source_change", args=[existing.pk])
    assert f'<a href="{link}">The trial</a>' in response.content.decode()
    assert Source.objects.count() == 1


def test_source_added_in_the_admin_gets_normalised_identifiers(client):
    _staff(client, "Editors")
    response = client.post(
        reverse("admin:evidence_source_add"),
        {"pmid": "PMID: 123", "url": "https://Example.org/study/?utm_source=x", "title": "S"},
    )
    assert response.status_code == 302
    source = Source.objects.get()
    assert (source.pmid, source.url_key) == ("123", "https://example.org/study")


def test_invalid_doi_in_the_admin_is_a_field_error(client):
    _staff(client, "Editors")
    response = client.post(reverse("admin:evidence_source_add"), {"doi": "not-a-doi"})
    assert response.status_code == 200
    assert "not a DOI" in response.content.decode()
    assert not Source.objects.exists()


def test_reviewer_rates_an_annotation_in_the_admin(client, editor):
    _, annotation = annotated_article(editor)
    _staff(client, "Reviewers")
    response = client.post(
        reverse("admin:evidence_annotation_change", args=[annotation.pk]),
        _annotation_post(annotation, verdict="unsupported", certainty="very_low"),
    )
    assert response.status_code == 302
    annotation.refresh_from_db()
    assert (annotation.verdict, annotation.version) == ("unsupported", 2)
    assert RatingChange.objects.filter(field="verdict", new_value="unsupported").exists()


def test_editor_setting_a_verdict_in_the_admin_sees_the_rule(client, editor):
    _, annotation = annotated_article(editor)
    _staff(client, "Editors")
    response = client.post(
        reverse("admin:evidence_annotation_change", args=[annotation.pk]),
        _annotation_post(annotation, verdict="supported"),
    )
    assert response.status_code == 200
    assert "Only reviewers may set the certainty and the verdict." in response.content.decode()
    assert Annotation.objects.get().verdict == ""


def test_stale_admin_form_is_refused(client, editor):
    _, annotation = annotated_article(editor)
    _staff(client, "Reviewers")
    url = reverse("admin:evidence_annotation_change", args=[annotation.pk])
    client.post(url, _annotation_post(annotation, verdict="mixed"))
    response = client.post(url, _annotation_post(annotation, verdict="supported"))
    assert response.status_code == 200
    assert "Someone else changed this annotation" in response.content.decode()
    assert Annotation.objects.get().verdict == "mixed"


def test_annotation_added_in_the_admin_computes_its_quote(client, editor):
    article, _ = annotated_article(editor)
    user = _staff(client, "Editors")
    response = client.post(
        reverse("admin:evidence_annotation_add"),
        {"article": article.pk, "block_id": "p1", "start": 0, "end": 8, "exact_check": "",
         "certainty": "", "verdict": "", "note": "",
         "comments-TOTAL_FORMS": 0, "comments-INITIAL_FORMS": 0,
         "rating_changes-TOTAL_FORMS": 0, "rating_changes-INITIAL_FORMS": 0},
    )
    assert response.status_code == 302
    added = Annotation.objects.get(author=user)
    assert added.exact == CLAIM_TEXT[:8]


def test_annotation_list_costs_a_constant_number_of_queries(
    client, editor, django_assert_max_num_queries
):
    for _ in range(5):
        annotated_article(editor)
    client.force_login(make_user(is_superuser=True, is_staff=True))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:evidence_annotation_changelist"))
    assert response.status_code == 200
    assert "help some adults" in response.content.decode()
