"""Imported and uploaded files are kept as bytes in the database: never written under static/
or the media directory, and never served back as files."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from articles.models import ImportRecord
from tests.conftest import fixture_document


def files_under(*roots):
    found = set()
    for root in roots:
        root = Path(root)
        if root.exists():
            found.update(str(path) for path in root.rglob("*") if path.is_file())
    return found


def watched_directories():
    return [*settings.STATICFILES_DIRS, settings.STATIC_ROOT, settings.MEDIA_ROOT]


def test_import_command_writes_no_files(db, tmp_path):
    before = files_under(*watched_directories())
    call_command("import_articles", str(fixture_document("related-links.txt")),
                 stdout=(tmp_path / "out").open("w"))
    assert ImportRecord.objects.exists()
    assert files_under(*watched_directories()) == before
    assert not Path(settings.MEDIA_ROOT).exists()


def test_imported_bytes_are_kept_in_the_database(db, tmp_path):
    document = fixture_document("promotional.txt")
    call_command("import_articles", str(document), stdout=(tmp_path / "out").open("w"))
    assert bytes(ImportRecord.objects.get().raw) == document.read_bytes()


@pytest.mark.parametrize(
    "path",
    ["/media/", "/media/001.txt", "/media-unused/001.txt", "/uploads/001.txt"],
)
def test_media_urls_are_not_served(client, db, path):
    assert client.get(path).status_code == 404


def test_imported_file_name_is_not_a_served_url(client, db, tmp_path):
    document = fixture_document("related-links.txt")
    call_command("import_articles", str(document), stdout=(tmp_path / "out").open("w"))
    for prefix in ("/media/", "/static/", "/"):
        assert client.get(f"{prefix}{document.name}").status_code == 404


def test_admin_upload_writes_no_files_even_with_a_path_in_its_name(client, db):
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin_user = User.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")
    client.force_login(admin_user)
    before = files_under(*watched_directories())
    upload = SimpleUploadedFile(
        "../../static/evil.txt", fixture_document("images-references.txt").read_bytes(),
        content_type="text/plain",
    )
    response = client.post(reverse("admin:articles_article_import"), {"files": [upload]})
    assert response.status_code == 200
    assert ImportRecord.objects.exists()
    assert files_under(*watched_directories()) == before
    assert not (Path(settings.BASE_DIR) / "static" / "evil.txt").exists()
    assert client.get("/static/evil.txt").status_code == 404
