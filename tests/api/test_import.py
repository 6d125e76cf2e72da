"""Import through the editorial API: the same importer and report as the command."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from articles.models import Article, ImportRecord, Revision
from tests.conftest import fixture_document, make_user


@pytest.fixture
def editor_api(api, db):
    api.force_authenticate(make_user("Editors"))
    return api


def row_counts():
    return Article.objects.count(), Revision.objects.count()


def test_multipart_upload_of_a_file_creates_the_article_with_its_report(editor_api):
    path = fixture_document("related-links.txt")
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/plain")
    response = editor_api.post(
        "/api/v1/editorial/articles/", {"file": upload, "tags": "adhd"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Does Regular Walking Help With Sleep? What the Studies Suggest"
    report = body["import_report"]
    assert report["result"] == "created"
    assert report["blocks"] > 5
    assert any("Backyard Hens" in item["text"] for item in report["dropped"])
    assert Article.objects.get().state == Article.State.DRAFT


def test_the_same_upload_again_is_unchanged_and_adds_no_rows(editor_api):
    path = fixture_document("promotional.txt")
    for expected in (201, 200):
        upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/plain")
        response = editor_api.post(
            "/api/v1/editorial/articles/", {"file": upload}, format="multipart"
        )
        assert response.status_code == expected
    assert response.json()["import_report"]["result"] == "unchanged"
    assert row_counts() == (1, 1)


def test_json_markdown_import_creates_blocks(editor_api):
    content = "# Ketamine and sleep\n\nSome people sleep badly after a session.\n\n- one\n- two\n"
    response = editor_api.post(
        "/api/v1/editorial/articles/",
        {"format": "markdown", "content": content, "tags": ["sleep"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Ketamine and sleep"
    assert [b["type"] for b in body["blocks"]] == ["paragraph", "list"]


def test_an_image_upload_is_415_and_writes_no_article(editor_api):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    upload = SimpleUploadedFile("photo.png", png, content_type="image/png")
    response = editor_api.post("/api/v1/editorial/articles/", {"file": upload},
                               format="multipart")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_format"
    assert row_counts() == (0, 0)


def test_a_pdf_named_upload_is_415(editor_api):
    upload = SimpleUploadedFile("paper.pdf", b"Some text", content_type="application/pdf")
    response = editor_api.post("/api/v1/editorial/articles/", {"file": upload},
                               format="multipart")
    assert response.status_code == 415
    assert row_counts() == (0, 0)


def test_an_unknown_json_format_is_refused_with_a_field_error(editor_api):
    response = editor_api.post(
        "/api/v1/editorial/articles/", {"format": "pdf", "content": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_an_empty_upload_is_400_with_the_readable_reason(editor_api):
    upload = SimpleUploadedFile("empty.txt", b"", content_type="text/plain")
    response = editor_api.post("/api/v1/editorial/articles/", {"file": upload},
                               format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["The file is empty."]
    assert row_counts() == (0, 0)
    assert not ImportRecord.objects.filter(result="created").exists()


def test_a_reviewer_may_not_import(api, db):
    api.force_authenticate(make_user("Reviewers"))
    response = api.post(
        "/api/v1/editorial/articles/", {"format": "text", "content": "Title\n\nBody text."},
        format="json",
    )
    assert response.status_code == 403
    assert row_counts() == (0, 0)


def test_a_malformed_content_length_on_an_upload_is_not_a_server_error(editor_api):
    upload = SimpleUploadedFile("note.txt", b"Title\n\nSome body text here.", "text/plain")
    response = editor_api.post(
        "/api/v1/editorial/articles/", {"file": upload}, format="multipart",
        CONTENT_LENGTH="twelve",
    )
    assert response.status_code < 500
