"""The import_articles command and the admin import page.

They import the documents in tests/importing/fixtures/ (one per shape of the real seeds), so
they run on every clone; one test imports the real seeds directory when it is there.
"""

import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from articles.models import Article
from tests.conftest import fixture_document, make_user
from tests.importing.helpers import fixture_bytes, row_counts, seed_path

pytestmark = pytest.mark.django_db
IMPORT_URL = "admin:articles_article_import"


def run_command(*args):
    out = io.StringIO()
    call_command("import_articles", *args, stdout=out)
    return out.getvalue()


def test_command_imports_a_directory_and_prints_a_summary_table():
    directory = fixture_document("related-links.txt").parent
    output = run_command(str(directory), "--tag", "health", "--tag", "fixtures")
    assert Article.objects.count() == 5
    assert output.count("created") == 5
    assert "Can Morning Light Therapy" in output
    assert all(sorted(a.tags.names()) == ["fixtures", "health"] for a in Article.objects.all())


@pytest.mark.seeds
def test_command_imports_the_real_seeds_directory():
    output = run_command(str(seed_path("000").parent), "--tag", "adhd", "--tag", "seeds")
    assert Article.objects.count() == 5
    assert output.count("created") == 5
    assert "Can Ketamine Therapy" in output
    assert sorted(Article.objects.first().tags.names()) == ["adhd", "seeds"]


def test_command_second_run_reports_unchanged():
    run_command(str(fixture_document("related-links.txt")))
    output = run_command(str(fixture_document("related-links.txt")))
    assert "unchanged" in output
    assert Article.objects.count() == 1


def test_command_dry_run_writes_nothing():
    output = run_command(str(fixture_document("images-references.txt")), "--dry-run")
    assert "dry run" in output.lower()
    assert row_counts() == {"articles": 0, "revisions": 0, "sources": 0, "citations": 0,
                            "records": 0}


def test_command_exits_non_zero_when_a_file_fails_but_imports_the_rest(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_articles", str(fixture_document("related-links.txt")),
                     str(tmp_path / "empty.txt"), stdout=out)
    assert raised.value.returncode == 1
    assert "1 of 2" in str(raised.value)
    assert "empty.txt: The file is empty." in out.getvalue()
    assert "Traceback" not in out.getvalue()
    assert Article.objects.count() == 1


def test_command_source_url_is_stored():
    run_command(str(fixture_document("promotional.txt")),
                "--source-url", "https://clinic.example.com/back-pain")
    assert Article.objects.get().source_url == "https://clinic.example.com/back-pain"


def test_admin_import_page_needs_add_permission(client):
    user = make_user(username="staffer", is_staff=True)
    client.force_login(user)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert client.post(reverse(IMPORT_URL)).status_code == 403


def staff_importer(client):
    user = make_user("Editors", username="importer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_article"))
    client.force_login(user)
    return user


def test_admin_import_page_shows_the_form(client):
    staff_importer(client)
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'type="file"' in content and "multiple" in content
    assert "csrfmiddlewaretoken" in content
    assert "<script>" not in content.replace("<script src", "")
    assert 'style="' not in content


def test_admin_imports_several_files_and_shows_the_report(client):
    user = staff_importer(client)
    files = [
        SimpleUploadedFile("related-links.txt", fixture_bytes("related-links.txt")),
        SimpleUploadedFile("breadcrumb-dash-lists.txt",
                           fixture_bytes("breadcrumb-dash-lists.txt")),
        SimpleUploadedFile("empty.txt", b""),
    ]
    response = client.post(reverse(IMPORT_URL), {"files": files, "tags": "massage, overview"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Massage Therapy - Definition and Overview" in content
    assert "The file is empty." in content
    assert "1 failed" in content
    assert Article.objects.count() == 2
    article = Article.objects.get(original_filename="breadcrumb-dash-lists.txt")
    assert article.created_by == user
    assert sorted(article.tags.names()) == ["massage", "overview"]


def test_admin_dry_run_writes_nothing(client):
    staff_importer(client)
    response = client.post(reverse(IMPORT_URL), {
        "files": [SimpleUploadedFile("related-links.txt", fixture_bytes("related-links.txt"))],
        "dry_run": "on",
    })
    assert "Dry run" in response.content.decode()
    assert row_counts()["articles"] == 0


def test_admin_escapes_file_names_in_the_report(client):
    staff_importer(client)
    response = client.post(reverse(IMPORT_URL), {
        "files": [SimpleUploadedFile("<b>x</b>.txt", b"")],
    })
    assert "<b>x</b>" not in response.content.decode()


def test_changelist_links_to_the_import_page(client):
    user = staff_importer(client)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    response = client.get(reverse("admin:articles_article_changelist"))
    assert reverse(IMPORT_URL) in response.content.decode()
