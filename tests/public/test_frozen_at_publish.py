"""What the public sees of sources, tags and the address is frozen at publish, like the text.

An editor may change a cited source, an article's tags or its slug at any time; the public
page, the tag pages and the public API show the change only from the next publish, which
needs a new approval. After a slug change reaches the public, the old address answers 301.
"""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from taggit.models import Tag

from articles import workflow
from articles.models import Article, ReviewAssignment
from evidence.models import Source
from evidence.sources import cite_source
from tests.conftest import make_annotation, make_article, make_blocks, make_user

pytestmark = pytest.mark.django_db

State = Article.State
OLD_TITLE = "Ketamine infusions in adults with ADHD: a pilot trial"
NEW_TITLE = "A title nobody reviewed"


@pytest.fixture
def team(db, django_capture_on_commit_callbacks):
    # The workflow purges the public cache on commit; run those callbacks as a commit would.
    return {
        "on_commit": django_capture_on_commit_callbacks,
        "editor": make_user("Editors", username="ed", is_staff=True),
        "reviewer": make_user("Reviewers", username="rev", is_staff=True),
        "publisher": make_user("Publishers", username="pub", is_staff=True),
    }


def review_and_publish(article, team):
    """Take the article's draft through review to the public, as the team would."""
    article.refresh_from_db()
    with team["on_commit"](execute=True):
        if article.state in (State.DRAFT, State.CHANGES_REQUESTED):
            workflow.submit(article, actor=team["editor"])
        workflow.approve(article, actor=team["reviewer"])
        workflow.publish(article, actor=team["publisher"], comment="Corrected a reference.")
    article.refresh_from_db()
    return article


@pytest.fixture
def live(team):
    """A published article at /articles/ketamine-adhd/, tagged adhd, citing one source."""
    source = Source.objects.create(title=OLD_TITLE, pmid="31234567", year=2020,
                                   url="https://pubmed.ncbi.nlm.nih.gov/31234567/")
    article = make_article(
        title="Ketamine and ADHD", slug="ketamine-adhd", tags=("adhd",), author=team["editor"],
        blocks=make_blocks("Ketamine may help some adults with ADHD [1]."),
    )
    cite_source(revision=article.draft, source=source)
    make_annotation(article, block_id="p1", start=0, end=8, verdict="unsupported",
                    certainty="very_low", note="One small trial.", sources=[source])
    ReviewAssignment.objects.create(article=article, reviewer=team["reviewer"])
    review_and_publish(article, team)
    assert article.state == State.PUBLISHED
    return {"article": article, "source": source}


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def staff_client(user):
    client = APIClient()
    client.force_login(user)
    return client


def admin_save(client, article, **changes):
    """Post the article's admin change form as it was loaded, with `changes`."""
    article.refresh_from_db()
    draft = article.draft
    data = {
        "title": draft.title, "summary": draft.summary,
        "blocks_json": json.dumps(draft.blocks), "message": "", "base_number": draft.number,
        "slug": article.slug, "tags": ", ".join(sorted(article.tags.names())),
        "assigned_editor": "", "review_due": "", "source_url": "", "site_name": "",
        "original_filename": "", "original_published_on": "",
        "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0", "events-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    response = client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    article.refresh_from_db()
    return response


# Sources ------------------------------------------------------------------------------------


def edit_source_in_admin(team, source, **changes):
    client = staff_client(team["editor"])
    data = {"pmid": source.pmid, "doi": source.doi, "url": source.url, "title": source.title,
            "authors": source.authors, "journal": source.journal, "year": source.year or "",
            "design": source.design, "citation_text": source.citation_text}
    data.update(changes)
    response = client.post(reverse("admin:evidence_source_change", args=[source.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    source.refresh_from_db()
    assert source.title == changes.get("title", source.title)


def test_source_edit_reaches_no_public_page_or_api_until_the_next_publish(client, team, live):
    source, article = live["source"], live["article"]
    edit_source_in_admin(team, source, title=NEW_TITLE, url="https://example.org/elsewhere")

    api = APIClient()
    for body in (
        page(client, "/articles/ketamine-adhd/"),
        page(staff_client(team["editor"]), "/articles/ketamine-adhd/"),
        api.get("/api/v1/articles/ketamine-adhd/").content.decode(),
        api.get("/api/v1/sources/").content.decode(),
        api.get(f"/api/v1/sources/{source.pk}/").content.decode(),
    ):
        assert OLD_TITLE in body and NEW_TITLE not in body
        assert "example.org/elsewhere" not in body
    assert api.get(f"/api/v1/sources/{source.pk}/").json()["url"] == (
        "https://pubmed.ncbi.nlm.nih.gov/31234567/"
    )

    # The next publish (a new edit, reviewed again) shows the corrected source.
    admin_save(staff_client(team["editor"]), article, summary="Updated summary.")
    review_and_publish(article, team)
    for body in (
        page(client, "/articles/ketamine-adhd/"),
        api.get("/api/v1/articles/ketamine-adhd/").content.decode(),
        api.get("/api/v1/sources/").content.decode(),
        api.get(f"/api/v1/sources/{source.pk}/").content.decode(),
    ):
        assert NEW_TITLE in body and OLD_TITLE not in body


def test_a_source_no_live_article_cites_is_not_public(client, team, live):
    uncited = Source.objects.create(title="Cited by nobody", doi="10.1000/nobody")
    api = APIClient()
    assert api.get(f"/api/v1/sources/{uncited.pk}/").status_code == 404
    assert "Cited by nobody" not in api.get("/api/v1/sources/").content.decode()
    assert api.get(f"/api/v1/sources/{live['source'].pk}/").json()["id"] == live["source"].pk


# Tags ---------------------------------------------------------------------------------------


def patch_tags(team, article, tags):
    client = APIClient()
    client.force_authenticate(team["editor"])
    url = f"/api/v1/editorial/articles/{article.pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"tags": tags}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    article.refresh_from_db()
    return response


def test_tag_patch_changes_no_tag_page_or_api_until_the_next_publish(client, team, live):
    article = live["article"]
    patch_tags(team, article, ["chronic pain"])
    assert sorted(article.tags.names()) == ["chronic pain"]

    api = APIClient()
    assert "Ketamine and ADHD" in page(client, "/tags/adhd/")
    assert client.get("/tags/chronic-pain/").status_code == 404
    assert api.get("/api/v1/articles/ketamine-adhd/").json()["tags"] == ["adhd"]
    assert api.get("/api/v1/articles/", {"tag": "adhd"}).json()["count"] == 1
    assert api.get("/api/v1/articles/", {"tag": "chronic pain"}).json()["count"] == 0
    assert api.get("/api/v1/tags/").json() == [{"name": "adhd", "count": 1}]
    assert 'href="/tags/adhd/"' in page(client, "/articles/ketamine-adhd/")

    review_and_publish(article, team)
    assert client.get("/tags/adhd/").status_code == 404
    assert "Ketamine and ADHD" in page(client, "/tags/chronic-pain/")
    assert api.get("/api/v1/articles/ketamine-adhd/").json()["tags"] == ["chronic pain"]
    assert api.get("/api/v1/tags/").json() == [{"name": "chronic pain", "count": 1}]


def test_tag_patch_withdraws_an_approval(team, live):
    """Tags are reviewed with the text: they put the article on topic pages."""
    article = live["article"]
    admin_save(staff_client(team["editor"]), article, summary="Second version.")
    workflow.submit(article, actor=team["editor"])
    workflow.approve(article, actor=team["reviewer"])
    article.refresh_from_db()
    assert article.state == State.APPROVED

    patch_tags(team, article, ["adhd", "children"])
    assert article.state == State.IN_REVIEW
    event = article.events.order_by("-pk").first()
    assert (event.action, event.comment) == ("approval_withdrawn",
                                            "Approval withdrawn: tags changed")
    with pytest.raises(workflow.WrongState):
        workflow.publish(article, actor=team["publisher"])


def test_tag_patch_on_a_live_article_starts_a_draft_and_keeps_the_page(client, team, live):
    article = live["article"]
    patch_tags(team, article, ["adhd", "children"])
    assert article.state == State.DRAFT
    assert article.live_id is not None
    assert "Ketamine and ADHD" in page(client, "/tags/adhd/")


def test_same_tags_again_change_nothing(team, live):
    article = live["article"]
    patch_tags(team, article, ["adhd"])
    assert article.state == State.PUBLISHED


def test_tag_renamed_in_the_admin_does_not_change_the_tag_page(client, live):
    tag = Tag.objects.get(name="adhd")
    tag.name = "renamed without review"
    tag.save()
    html = page(client, "/tags/adhd/")
    assert "Articles tagged “adhd”" in html and "renamed without review" not in html
    assert "Ketamine and ADHD" in html


def test_tag_address_in_capitals_is_not_found(client, live):
    assert client.get("/tags/ADHD/").status_code == 404


# Slug ---------------------------------------------------------------------------------------


def test_slug_change_reaches_the_public_at_publish_and_the_old_address_redirects(
    client, team, live
):
    article = live["article"]
    admin_save(staff_client(team["editor"]), article, slug="ketamine-and-adhd")
    assert article.slug == "ketamine-and-adhd"
    assert article.state == State.DRAFT  # the address is reviewed like the text

    api = APIClient()
    # Until the next publish the public address is the one published.
    assert "Ketamine and ADHD" in page(client, "/articles/ketamine-adhd/")
    assert client.get("/articles/ketamine-and-adhd/").status_code == 404
    assert api.get("/api/v1/articles/ketamine-adhd/").json()["slug"] == "ketamine-adhd"
    assert api.get("/api/v1/articles/ketamine-and-adhd/").status_code == 404
    listed = api.get("/api/v1/articles/").json()["results"]
    assert [item["slug"] for item in listed] == ["ketamine-adhd"]
    assert 'href="/articles/ketamine-adhd/"' in page(client, "/")

    review_and_publish(article, team)
    assert "Ketamine and ADHD" in page(client, "/articles/ketamine-and-adhd/")
    assert api.get("/api/v1/articles/ketamine-and-adhd/").json()["slug"] == "ketamine-and-adhd"

    response = client.get("/articles/ketamine-adhd/")
    assert response.status_code == 301
    assert response["Location"] == "/articles/ketamine-and-adhd/"
    response = api.get("/api/v1/articles/ketamine-adhd/")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/articles/ketamine-and-adhd/"
    response = api.get("/api/v1/articles/ketamine-adhd/annotations/")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/articles/ketamine-and-adhd/annotations/"
    # Signed in, the old address redirects too.
    response = staff_client(team["editor"]).get("/articles/ketamine-adhd/?utm=x")
    assert (response.status_code, response["Location"]) == (
        301, "/articles/ketamine-and-adhd/?utm=x"
    )
    assert 'href="/articles/ketamine-and-adhd/"' in page(client, "/")
    assert "/articles/ketamine-and-adhd/" in page(client, "/sitemap-articles.xml")


def test_old_address_of_a_taken_down_article_is_gone(client, team, live):
    article = live["article"]
    admin_save(staff_client(team["editor"]), article, slug="ketamine-and-adhd")
    review_and_publish(article, team)
    with team["on_commit"](execute=True):
        workflow.unpublish(article, actor=team["publisher"], comment="Withdrawn.")
    assert client.get("/articles/ketamine-adhd/").status_code == 410
    assert client.get("/articles/ketamine-and-adhd/").status_code == 410
    assert APIClient().get("/api/v1/articles/ketamine-adhd/").status_code == 404


def test_an_address_still_live_for_another_article_cannot_be_taken(client, team, live):
    article = live["article"]
    admin_save(staff_client(team["editor"]), article, slug="ketamine-and-adhd")
    # The old address is free among slugs, but still the live page of the first article.
    other = make_article(title="Another article", author=team["editor"],
                         blocks=make_blocks("Ketamine is an anaesthetic."))
    response = staff_client(team["editor"]).post(
        reverse("admin:articles_article_change", args=[other.pk]),
        {"slug": "ketamine-adhd", "title": "Another article", "summary": "S",
         "base_number": other.draft.number, "blocks_json": json.dumps(other.draft.blocks),
         "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200
    assert "is the live page of" in response.content.decode()
    other.refresh_from_db()
    assert other.slug != "ketamine-adhd"

    # Set around the form: the gate refuses to approve or publish it.
    Article.objects.filter(pk=other.pk).update(slug="ketamine-adhd", state=State.IN_REVIEW)
    other.refresh_from_db()
    ReviewAssignment.objects.create(article=other, reviewer=team["reviewer"])
    with pytest.raises(workflow.GateFailed, match="/articles/ketamine-adhd/ is still the live"):
        workflow.approve(other, actor=team["reviewer"])
    assert "Ketamine and ADHD" in page(client, "/articles/ketamine-adhd/")


def test_editorial_api_public_url_is_the_live_address(team, live):
    article = live["article"]
    admin_save(staff_client(team["editor"]), article, slug="ketamine-and-adhd")
    client = APIClient()
    client.force_authenticate(team["editor"])
    item = client.get(f"/api/v1/editorial/articles/{article.pk}/").json()
    assert item["slug"] == "ketamine-and-adhd"
    assert item["public_url"].endswith("/articles/ketamine-adhd/")
    listed = client.get("/api/v1/editorial/articles/").json()["results"]
    assert listed[0]["public_url"].endswith("/articles/ketamine-adhd/")


def test_tags_added_by_a_reimport_withdraw_an_approval(team):
    from articles.importing import import_bytes

    document = b"# Ketamine and sleep\n\nWhat the trials say.\n\nKetamine may help sleep.\n"
    outcome = import_bytes(document, filename="sleep.md", actor=team["editor"])
    article = Article.objects.get(pk=outcome.article.pk)
    ReviewAssignment.objects.create(article=article, reviewer=team["reviewer"])
    # Straight to review (the import gives no summary to pass the submit gate with).
    Article.objects.filter(pk=article.pk).update(state=State.IN_REVIEW)
    workflow.approve(article, actor=team["reviewer"])

    # The same text in a changed file (one more line break), with a tag.
    again = import_bytes(document + b"\n", filename="sleep.md", tags=("insomnia",),
                         actor=team["editor"])
    assert again.result == "unchanged"
    article.refresh_from_db()
    assert article.state == State.IN_REVIEW
    assert article.events.order_by("-pk").first().comment == (
        "Approval withdrawn: tags added by an import"
    )


def test_admin_shows_the_live_address_while_a_new_slug_waits(team, live):
    article = live["article"]
    client = staff_client(team["editor"])
    admin_save(client, article, slug="ketamine-and-adhd")
    html = client.get(reverse("admin:articles_article_change", args=[article.pk])).content
    assert "at /articles/ketamine-adhd/ until the next publish" in html.decode()
