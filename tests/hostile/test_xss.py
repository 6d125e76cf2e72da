"""Hostile text in every field a person writes never runs as script anywhere it is shown.

The payloads (tests/hostile/payloads.py) go in through the real importer (text, Markdown and
HTML), then into titles, summaries, tags, annotation notes, internal comments, source titles
and user names; the articles are published through the workflow. Every public page, admin
page and API response that shows them is checked: no script but ours, no event handler, no
`javascript:`/`data:` address, no frame, and the text itself shown escaped.
"""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client, override_settings
from django.utils.text import slugify

from articles import workflow
from articles.importing import import_bytes
from articles.models import Article
from evidence.annotations import add_comment, create_annotation, resolve_comment
from evidence.sources import cite_source, get_or_create_source
from tests.hostile.helpers import audit_html, json_ld_blocks, make_team
from tests.hostile.payloads import PAYLOADS, SHORT

FORMATS = ("text", "markdown", "html")


def title_chunks(payloads, limit=300):
    """Group the payloads into titles of at most `limit` characters."""
    chunks, current = [], []
    for payload in payloads:
        payload = " ".join(payload.split())
        if current and len(" ".join([*current, payload])) > limit:
            chunks.append(current)
            current = []
        current.append(payload)
    if current:
        chunks.append(current)
    return chunks


def document(kind, number=0):
    """The import file: every payload as its own paragraph, in `kind`'s syntax."""
    lines = [f"Ketamine and hostile text {number}", ""]
    for payload in PAYLOADS:
        lines += [f"Ketamine claim: {payload}", ""]
    text = "\n".join(lines)
    if kind == "html":
        paragraphs = "".join(f"<p>Ketamine claim: {p}</p>" for p in PAYLOADS)
        heading = f"Ketamine and hostile text {number}"
        text = (f"<html><head><title>{heading}</title></head><body>"
                f"<article><h1>{heading}</h1>{paragraphs}</article></body></html>")
    return text.encode("utf-8")


def build_hostile_site(*, articles=None):
    """Import and publish articles carrying the payloads in every writable field.

    Returns {"team", "articles": [(article, title_payloads)], "annotations", "sources"}.
    """
    names = {"editor": {"first_name": SHORT[0], "last_name": SHORT[8]},
             "reviewer": {"first_name": SHORT[24], "last_name": SHORT[15]},
             "publisher": {"first_name": SHORT[1], "last_name": SHORT[10]}}
    team = make_team(**names)
    chunks = title_chunks(PAYLOADS)[: articles or None]
    built, annotations, sources = [], [], []
    for index, chunk in enumerate(chunks):
        kind = FORMATS[index % len(FORMATS)]
        outcome = import_bytes(document(kind, index), filename=f"hostile-{index}.{kind[:4]}",
                               format=kind, actor=team.editor)
        assert outcome.result == "created", outcome.error
        article = outcome.article
        workflow.save_revision(
            article, actor=team.editor, base_number=article.draft.number,
            title=" ".join(chunk), summary=" ".join(PAYLOADS),
            tags=[p[:100] for p in SHORT[index * 6:index * 6 + 6]] or ["hostile"],
        )
        article.refresh_from_db()
        workflow.assign_reviewers(article, actor=team.editor, reviewers=[team.reviewer])
        blocks = [b for b in article.draft.blocks if len(b.get("text", "")) > 10]
        for number, payload in enumerate(chunk):
            block = blocks[number % len(blocks)]
            source, _ = get_or_create_source(
                url=f"https://journal.example.org/hostile/{index}/{number}", title=payload,
            )
            cite_source(revision=article.draft, source=source)
            start = number % 5
            annotation = create_annotation(
                article=article, actor=team.reviewer, block_id=block["id"], start=start,
                end=start + 5, certainty="low", verdict="mixed", note=payload,
                sources=[source.pk],
            )
            comment = add_comment(annotation, actor=team.editor, body=payload)
            resolve_comment(comment, actor=team.reviewer)
            annotations.append(annotation)
            sources.append(source)
        workflow.submit(article, actor=team.editor, comment=chunk[0])
        workflow.approve(article, actor=team.reviewer, comment=chunk[-1])
        workflow.publish(article, actor=team.publisher, comment=chunk[0][:200])
        article.refresh_from_db()
        built.append((article, chunk))
    return {"team": team, "articles": built, "annotations": annotations, "sources": sources}


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_hostile_site()
        transaction.set_rollback(True)


@pytest.fixture
def admin_client(db, site):
    client = Client()
    client.force_login(User.objects.create_superuser("rootx", "rootx@example.org", "pw"))
    return client


def squash(text):
    return " ".join(text.split())


def assert_safe_page(response, *, admin=False):
    where = response.request["PATH_INFO"]
    assert response.status_code == 200, where
    assert response["Content-Type"].startswith("text/html"), where
    html = response.content.decode()
    # The admin's own icons are inline SVG, and the annotator has a <noscript> notice.
    problems, text = audit_html(html, allowed_tags={"svg", "noscript"} if admin else ())
    assert problems == [], f"{where}: {problems[:5]}"
    for block in json_ld_blocks(html):
        assert "<" not in block, f"{where}: raw markup in JSON-LD"
        json.loads(block)
    return squash(text)


def walk_strings(value, key=""):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from walk_strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item, key)
    elif isinstance(value, str):
        yield key, value


def assert_safe_json(response):
    where = response.request["PATH_INFO"]
    assert response.status_code == 200, where
    assert "json" in response["Content-Type"], where
    data = json.loads(response.content)
    for key, value in walk_strings(data):
        if key.endswith("html"):
            problems, _ = audit_html(value)
            assert problems == [], f"{where} {key}: {problems[:5]}"
        if key in ("url", "href", "id", "source", "next", "previous", "public_url"):
            assert not re.match(r"\s*(javascript|data):", value, re.I), f"{where} {key}"
    return data


def test_there_are_at_least_forty_payloads():
    assert len(PAYLOADS) >= 40
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def test_public_pages_run_no_payload_and_show_titles_escaped(db, site):
    client = Client()
    home = assert_safe_page(client.get("/"))
    for article, chunk in site["articles"]:
        response = client.get(f"/articles/{article.slug}/")
        text = assert_safe_page(response)
        assert squash(" ".join(chunk)) in text, article.slug
        assert squash(chunk[0]) in home
        # Every tag page the article links to (the address frozen at publish).
        tag_links = set(re.findall(r'href="(/tags/[^"]+/)"', response.content.decode()))
        assert tag_links == {f"/tags/{slugify(name)}/" for name in article.tags.names()}
        for link in tag_links:
            assert_safe_page(client.get(link))
    for path in ("/how-we-rate-evidence/", "/search/?q=ketamine"):
        assert_safe_page(client.get(path))


# Many searches from one client: the anonymous search rate is not what this tests.
@override_settings(KETASITE_THROTTLE_SEARCH="")
def test_search_for_each_payload_runs_nothing(db, site):
    client = Client()
    for payload in PAYLOADS:
        response = client.get("/search/", {"q": payload[:200]})
        assert response.status_code in (200, 400)
        problems, _ = audit_html(response.content.decode())
        assert problems == [], (payload, problems[:3])


def test_feed_and_sitemap_are_well_formed_xml_with_the_payloads_escaped(db, site):
    from xml.etree import ElementTree

    client = Client()
    feed = client.get("/feed/")
    tree = ElementTree.fromstring(feed.content)  # noqa: S314 - our own output
    titles = [e.text for e in tree.iter("{http://www.w3.org/2005/Atom}title")]
    for _article, chunk in site["articles"]:
        assert any(squash(" ".join(chunk)) == squash(t or "") for t in titles)
    for element in tree.iter():
        assert not element.tag.endswith("script")
    ElementTree.fromstring(client.get("/sitemap.xml").content)  # noqa: S314


def test_admin_pages_run_no_payload(db, site, admin_client):
    article, chunk = site["articles"][0]
    pk = article.pk
    paths = [
        "/admin/",
        "/admin/articles/article/",
        f"/admin/articles/article/{pk}/change/",
        f"/admin/articles/article/{pk}/revisions/",
        f"/admin/articles/article/{pk}/revisions/diff/?from=1&to={article.draft.number}",
        f"/admin/evidence/annotation/annotate/{pk}/",
        "/admin/evidence/annotation/",
        "/admin/evidence/source/",
        "/admin/articles/workflowevent/",
        "/admin/articles/articles/import/".replace("articles/articles", "articles/article"),
        f"/admin/auth/user/{site['team'].reviewer.pk}/change/",
        "/admin/auth/user/",
    ]
    paths += [f"/admin/evidence/annotation/{a.pk}/change/" for a in site["annotations"][:8]]
    paths += [f"/admin/evidence/source/{s.pk}/change/" for s in site["sources"][:4]]
    for path in paths:
        assert_safe_page(admin_client.get(path), admin=True)
    change = squash(audit_html(admin_client.get(f"/admin/articles/article/{pk}/change/")
                               .content.decode())[1])
    assert squash(chunk[0]) in change


def test_admin_pages_for_each_group_run_no_payload(db, site):
    article, _chunk = site["articles"][1]
    for user in (site["team"].editor, site["team"].reviewer, site["team"].publisher):
        client = Client()
        client.force_login(user)
        for path in ("/admin/", f"/admin/articles/article/{article.pk}/change/",
                     "/admin/articles/article/"):
            assert_safe_page(client.get(path), admin=True)


def test_public_api_returns_json_with_safe_html_fields(db, site):
    client = Client()
    listing = assert_safe_json(client.get("/api/v1/articles/?page_size=100"))
    titles = {item["title"] for item in listing["results"]}
    for article, chunk in site["articles"]:
        assert " ".join(chunk) in titles
        detail = assert_safe_json(client.get(f"/api/v1/articles/{article.slug}/"))
        assert detail["title"] == " ".join(chunk)
        assert_safe_json(client.get(f"/api/v1/articles/{article.slug}/annotations/"))
        assert_safe_json(client.get(f"/api/v1/articles/{article.slug}/annotations/",
                                    HTTP_ACCEPT="application/ld+json"))
    for annotation in site["annotations"][:10]:
        assert_safe_json(client.get(f"/api/v1/annotations/{annotation.pk}/?format=jsonld"))
    assert_safe_json(client.get("/api/v1/sources/?page_size=100"))
    assert_safe_json(client.get("/api/v1/tags/"))


def test_editorial_api_returns_json_with_safe_html_fields(db, site):
    client = Client()
    client.force_login(site["team"].reviewer)
    article, _chunk = site["articles"][0]
    base = f"/api/v1/editorial/articles/{article.pk}"
    for path in ("/api/v1/editorial/articles/", f"{base}/", f"{base}/revisions/",
                 f"{base}/revisions/1/", f"{base}/diff/?from=1&to=2", f"{base}/events/",
                 f"{base}/annotations/", "/api/v1/editorial/sources/?q=script"):
        assert_safe_json(client.get(path))
    for annotation in site["annotations"][:5]:
        assert_safe_json(client.get(f"/api/v1/editorial/annotations/{annotation.pk}/"))


def test_article_states_reached_through_the_workflow(db, site):
    for article, _chunk in site["articles"]:
        assert article.state == Article.State.PUBLISHED
        assert article.live_id is not None


def test_the_audit_flags_every_raw_markup_payload():
    """The checks above can fail: each payload that is markup, pasted raw, is caught."""
    # "<javascript:…>" and "<scr<script>…" are inert even raw: browsers read them as tags
    # with odd names.
    raw = [p for p in PAYLOADS
           if p.startswith("<") and not p.startswith(("<javascript:", "<scr<"))]
    assert len(raw) >= 30
    for payload in raw:
        problems, _ = audit_html(f"<html><body><p>{payload}</p></body></html>")
        assert problems, payload


# In a real browser: tests/hostile/test_xss_browser.py (its own module, see its docstring).


def test_the_admin_import_report_runs_no_payload_from_file_names_or_text(db):
    import io

    editor = make_team().editor
    client = Client()
    client.force_login(editor)
    uploads = []
    for number, kind in enumerate(FORMATS):
        upload = io.BytesIO(document(kind, 100 + number))
        upload.name = f"<img src=x onerror=alert({number})>.{kind[:4]}"
        uploads.append(upload)
    empty = io.BytesIO(b"")
    empty.name = "<script>window.__xss=1</script>.txt"
    uploads.append(empty)
    for dry_run in ("on", ""):
        for upload in uploads:
            upload.seek(0)
        response = client.post("/admin/articles/article/import/",
                               {"files": uploads, "dry_run": dry_run})
        text = assert_safe_page(response, admin=True)
        assert "<img src=x onerror=alert(0)>" in text
