"""The annotator page: who may open it, what it shows, and that it escapes what it shows."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.models import Annotation, Source
from tests.conftest import make_annotation, make_article, make_blocks, make_user

pytestmark = pytest.mark.django_db


def annotator_url(article):
    return reverse("admin:evidence_annotation_annotate", args=[article.pk])


def staff(*groups, **extra):
    return make_user(groups=groups, is_staff=True, **extra)


def page_data(response):
    html = response.content.decode()
    start = html.index('<script id="annotator-data" type="application/json">')
    start = html.index(">", start) + 1
    end = html.index("</script>", start)
    return json.loads(html[start:end])


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    article = make_article()

    response = client.get(annotator_url(article))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_editorial_rights_is_refused(client):
    article = make_article()
    client.force_login(staff())

    response = client.get(annotator_url(article))

    assert response.status_code == 403


def test_publisher_who_cannot_annotate_is_refused(client):
    article = make_article()
    client.force_login(staff("Publishers"))

    response = client.get(annotator_url(article))

    assert response.status_code == 403


def test_editor_without_staff_status_is_sent_to_the_login_page(client):
    article = make_article()
    client.force_login(make_user("Editors"))

    response = client.get(annotator_url(article))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_unknown_article_is_not_found(client):
    client.force_login(staff("Editors"))

    response = client.get(reverse("admin:evidence_annotation_annotate", args=[999999]))

    assert response.status_code == 404


def test_editor_sees_the_draft_text_with_each_block_addressable(client):
    article = make_article(blocks=make_blocks("Ketamine may help some adults.", "Second one."))
    client.force_login(staff("Editors"))

    response = client.get(annotator_url(article))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="b-p1"' in html and "Ketamine may help some adults." in html
    assert [b["id"] for b in page_data(response)["blocks"]] == ["h1", "p1", "p2"]
    assert page_data(response)["blocks"][1]["text"] == "Ketamine may help some adults."


def test_annotation_is_highlighted_with_its_verdict_and_listed_with_its_quote(client):
    article = make_article(blocks=make_blocks("Ketamine may help some adults with ADHD."))
    annotation = make_annotation(
        article, block_id="p1", start=0, end=20, verdict="unsupported", certainty="very_low",
        note="No trial shows this.",
    )
    client.force_login(staff("Editors"))

    response = client.get(annotator_url(article))

    html = response.content.decode()
    assert 'class="claim verdict-unsupported"' in html
    assert "<mark>Ketamine may help so</mark>" in html
    assert f'id="annotation-{annotation.pk}"' in html
    assert "Unsupported" in html and "Very low certainty" in html
    assert "No trial shows this." in html
    listed = page_data(response)["annotations"]
    assert [(a["id"], a["exact"], a["version"]) for a in listed] == [
        (annotation.pk, "Ketamine may help so", 1)
    ]


def test_orphaned_annotation_is_listed_apart_with_attach_to_a_new_selection(client):
    article = make_article(blocks=make_blocks("Ketamine may help some adults with ADHD."))
    orphan = make_annotation(article, block_id="p1", start=0, end=8, status="orphaned")
    client.force_login(staff("Editors"))

    response = client.get(annotator_url(article))

    html = response.content.decode()
    orphans = html[html.index('id="annotations-apart"'):]
    assert f'id="annotation-{orphan.pk}"' in orphans
    assert "Attach to a new selection" in orphans
    assert f'id="claim-{orphan.pk}"' not in html


def test_hostile_text_in_blocks_and_notes_is_escaped(client):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    article = make_article(
        title=f"Title {hostile}", blocks=make_blocks(f"Claim {hostile} here.")
    )
    annotation = make_annotation(article, block_id="p1", start=0, end=5, note=hostile)
    Annotation.objects.filter(pk=annotation.pk).update(exact=f"quote {hostile}")
    source = Source.objects.create(title=f"Source {hostile}", pmid="123")
    annotation.sources.add(source)
    client.force_login(staff("Editors"))

    response = client.get(annotator_url(article))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert" in html
    # The data block is JSON inside a <script type="application/json">: "<" is escaped there.
    assert page_data(response)["annotations"][0]["note"] == hostile


def test_reviewer_may_rate_and_editor_may_not(client):
    article = make_article()
    client.force_login(staff("Reviewers"))
    assert page_data(client.get(annotator_url(article)))["canRate"] is True

    client.force_login(staff("Editors"))
    response = client.get(annotator_url(article))
    assert page_data(response)["canRate"] is False
    assert 'id="annotation-verdict" name="verdict"' in response.content.decode()
    assert "Only reviewers rate the evidence" in response.content.decode()


def test_article_change_page_links_to_the_annotator(client):
    article = make_article()
    client.force_login(staff("Editors"))

    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))

    assert f'href="{annotator_url(article)}"' in response.content.decode()


def test_page_costs_the_same_queries_however_many_annotations(client, django_assert_num_queries):
    text = "Ketamine may help some adults with ADHD, and many other claims follow here."
    article = make_article(blocks=make_blocks(text, text))
    make_annotation(article, block_id="p1", start=0, end=8, verdict="mixed")
    client.force_login(staff("Editors"))
    with CaptureQueriesContext(connection) as few:
        client.get(annotator_url(article))
    for index in range(12):
        source = Source.objects.create(title=f"Study {index}", pmid=str(1000 + index))
        annotation = make_annotation(
            article, block_id="p2", start=index, end=index + 10, verdict="supported",
        )
        annotation.sources.add(source)

    with django_assert_num_queries(len(few)):
        response = client.get(annotator_url(article))
    assert len(page_data(response)["annotations"]) == 13
