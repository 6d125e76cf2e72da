"""No template syntax reaches a reader or an editor: every public page and the main admin
pages are fetched and none shows `{#`, `#}`, `{%`, `%}` or `{{ `.

Django's `{# … #}` comment is one line only; one that runs over two lines is printed as text
(it once showed above every article's header and title, and ended the `<head>` early). The
article page is frozen at publish, so the site is built through the real workflow and the
stored page is what an anonymous reader is sent.
"""

import gzip

import pytest
from django.urls import reverse

from articles import workflow
from articles.importing import import_bytes
from articles.models import Publication
from tests.public.reviewed_site import reviewed_site

pytestmark = pytest.mark.django_db

TEMPLATE_SYNTAX = ("{#", "#}", "{%", "%}", "{{ ")

IN_REVIEW_DOCUMENT = b"""# Ketamine and sleep

A draft about how patients sleep on the nights after a ketamine infusion, still waiting
for its first review by a reviewer.

## Sleep

Some patients sleep badly on the night after an infusion.
"""


def leaked_syntax(content):
    text = content.decode("utf-8")
    return [marker for marker in TEMPLATE_SYNTAX if marker in text]


def public_paths(site):
    live, gone = site.live, site.withdrawn
    return [
        "/", f"/articles/{live.slug}/", f"/articles/{gone.slug}/", "/articles/no-such-article/",
        "/tags/depression/", "/tags/no-such-tag/", "/search/?q=infusion", "/search/",
        "/search/?q=nothing-matches-this", "/how-we-rate-evidence/", "/feed/", "/sitemap.xml",
        "/sitemap-articles.xml",
        "/robots.txt", f"/api/v1/sources/{live.live.sources[0]['id']}/", "/api/docs/",
        "/accounts/password-reset/", "/admin/login/",
    ]


@pytest.fixture
def site():
    return reviewed_site(staff=True)


def test_the_frozen_article_parts_hold_no_template_syntax(site):
    publication = Publication.objects.get(pk=site.live.live_id)
    for part in ("page_head_html", "page_main_html"):
        stored = bytes(getattr(publication, part))
        assert stored, f"{part} was frozen at publish"
        assert leaked_syntax(stored) == [], part


def test_the_frozen_head_is_only_head_content(client, site):
    html = client.get(f"/articles/{site.live.slug}/").content.decode()
    head = html.split("<head>", 1)[1].split("</head>", 1)[0]
    # Text in <head> would end it early: the parser moves it, and what follows, to the body.
    assert "frozen at publish" not in html
    assert "<title>Ketamine infusions for treatment-resistant depression" in head


def test_no_public_page_shows_template_syntax_to_anonymous_readers(client, site):
    for path in public_paths(site):
        response = client.get(path)
        assert response.status_code in (200, 404, 410), path
        assert leaked_syntax(response.content) == [], path


def test_the_stored_gzip_article_page_shows_no_template_syntax(client, site):
    response = client.get(f"/articles/{site.live.slug}/", headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    assert leaked_syntax(gzip.decompress(response.content)) == []


def test_no_public_page_shows_template_syntax_to_signed_in_readers(client, site):
    # Signed-in readers get the article page rendered per request through detail.html.
    client.force_login(site.editor)
    for path in public_paths(site):
        response = client.get(path)
        assert response.status_code in (200, 302, 404, 410), path
        assert leaked_syntax(response.content) == [], path


def test_no_admin_page_shows_template_syntax(client, site):
    outcome = import_bytes(IN_REVIEW_DOCUMENT, filename="sleep.md", actor=site.editor)
    in_review = outcome.article
    workflow.assign_reviewers(in_review, actor=site.editor, reviewers=[site.reviewer])
    workflow.submit(in_review, actor=site.editor, comment="Ready.")
    annotation_id = site.live.live.annotations[0]["id"]
    pages = {
        "dashboard": reverse("admin:index"),
        "article list": reverse("admin:articles_article_changelist"),
        "live article": reverse("admin:articles_article_change", args=[site.live.pk]),
        "article in review": reverse("admin:articles_article_change", args=[in_review.pk]),
        "withdrawn article": reverse("admin:articles_article_change", args=[site.withdrawn.pk]),
        "revisions": reverse("admin:articles_article_revisions", args=[site.live.pk]),
        "annotator": reverse("admin:evidence_annotation_annotate", args=[site.live.pk]),
        "import": reverse("admin:articles_article_import"),
        "annotation": reverse("admin:evidence_annotation_change", args=[annotation_id]),
        "annotation list": reverse("admin:evidence_annotation_changelist"),
        "source list": reverse("admin:evidence_source_changelist"),
        "preview": reverse("articles:preview", args=[in_review.pk]),
    }
    seen = set()
    # Each role sees its own workflow actions (and their comment and date fields).
    for person in (site.editor, site.reviewer, site.publisher):
        client.force_login(person)
        for name, path in pages.items():
            response = client.get(path)
            if response.status_code == 403:
                continue
            assert response.status_code == 200, f"{name} as {person}: {response.status_code}"
            assert leaked_syntax(response.content) == [], f"{name} as {person}"
            seen.add(name)
    assert seen == set(pages), f"never shown: {set(pages) - seen}"
