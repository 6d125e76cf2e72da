"""import_bytes applies its own permission and size limit, whoever calls it."""

import io

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings

from articles.importing import import_bytes
from articles.models import Article, ImportRecord
from articles.workflow import NotAllowed
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TEXT = b"A title\n\nSome text about ketamine and sleep."


def test_a_user_without_the_add_permission_is_refused_and_nothing_is_written():
    reviewer = make_user("Reviewers")
    with pytest.raises(NotAllowed, match="Only editors may import"):
        import_bytes(TEXT, filename="note.txt", actor=reviewer)
    assert not Article.objects.exists()
    assert not ImportRecord.objects.exists()


def test_the_system_imports_without_a_user():
    assert import_bytes(TEXT, filename="note.txt", actor=None).result == "created"


def test_a_user_given_the_add_permission_directly_may_import():
    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="add_article"))
    assert import_bytes(TEXT, filename="note.txt", actor=user).result == "created"


class CountingReader(io.BytesIO):
    """A file that records how many bytes were asked of it."""

    asked = 0

    def read(self, size=-1):
        data = super().read(size)
        self.asked += len(data)
        return data


@override_settings(KETASITE_IMPORT_MAX_BYTES=1000)
def test_an_oversized_upload_is_read_no_further_than_the_limit():
    upload = CountingReader(b"x" * 50_000)
    outcome = import_bytes(upload, filename="big.txt", actor=None)
    assert outcome.failed and outcome.too_large
    assert "the import limit is 1000 bytes" in outcome.error
    assert upload.asked <= 1001
    assert not ImportRecord.objects.exists()


@override_settings(KETASITE_IMPORT_MAX_BYTES=1000)
def test_an_upload_declaring_its_size_is_refused_before_reading():
    upload = CountingReader(b"x" * 5000)
    upload.size = 5000
    outcome = import_bytes(upload, filename="big.txt", actor=None)
    assert outcome.too_large
    assert "The file is 5 KB" in outcome.error
    assert upload.asked == 0


@override_settings(KETASITE_IMPORT_MAX_BYTES=1000)
def test_a_file_of_exactly_the_limit_is_imported():
    data = (TEXT + b" " + b"word " * 400)[:1000]
    assert len(data) == 1000
    assert import_bytes(io.BytesIO(data), filename="edge.txt", actor=None).result == "created"


@override_settings(KETASITE_IMPORT_MAX_BYTES=1000)
def test_the_api_answers_413_from_the_importers_limit(client):
    editor = make_user("Editors")
    client.force_login(editor)
    response = client.post(
        "/api/v1/editorial/articles/",
        {"format": "text", "content": "Title\n\n" + "y" * 1200},
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "import limit" in response.json()["detail"]
    assert not Article.objects.exists()
