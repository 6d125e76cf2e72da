"""Unpacking uploads safely: each refusal proved with a crafted zip.

Refusals of the whole upload (a zip bomb, too many files, an unreadable archive) write
nothing: no job, no article, no import record. Refusals of one member (links, nested
archives, climbing or absolute paths, names that are not UTF-8) list it in the job's report
and never import it.
"""

import io
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles.models import Article, ImportRecord
from jobs.archives import UploadRefused, unpack_uploads
from jobs.models import Job, JobUnit
from tests.conftest import make_user
from tests.jobs.helpers import article_text, make_zip, patch_zip_names, symlink_entry

pytestmark = pytest.mark.django_db
IMPORT_URL = "admin:jobs_job_import"


def refusals(members):
    return {member.name: member.refused for member in members if member.refused}


def accepted(members):
    return [member.name for member in members if not member.refused]


def nothing_written():
    return (Job.objects.count(), JobUnit.objects.count(), Article.objects.count(),
            ImportRecord.objects.count()) == (0, 0, 0, 0)


@pytest.fixture
def importer(client):
    user = make_user("Editors", username="importer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_article"))
    client.force_login(user)
    return user


# --- the whole upload refused -----------------------------------------------------------------

def test_a_zip_bomb_by_total_size_is_refused_whole(settings):
    settings.KETASITE_IMPORT_MAX_UNPACKED_BYTES = 200_000
    upload = make_zip([(f"part{n}.txt", article_text(n) * 700) for n in range(4)])  # ~4×80 KB
    with pytest.raises(UploadRefused, match="zip bomb"):
        unpack_uploads([upload])


def test_a_zip_bomb_by_compression_ratio_is_refused_whole(settings):
    # 4 MB of one byte compresses about 1000:1; the limit is 100:1.
    upload = make_zip([("ok.txt", article_text(1)), ("zeros.txt", b"a" * 4 * 1024 * 1024)])
    with pytest.raises(UploadRefused, match="compresses more than 100:1"):
        unpack_uploads([upload])


def test_an_archive_whose_headers_understate_its_sizes_unpacks_no_more_than_they_say():
    data = make_zip([(f"f{n}.txt", b"x" * 60_000) for n in range(3)]).read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert [info.file_size for info in archive.infolist()] == [60_000] * 3
    # Forge each member's uncompressed size (local and central headers) down to 10 bytes:
    # the limits are checked against the headers, so the reads must stop where they say.
    forged = data.replace((60_000).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    members = unpack_uploads([SimpleUploadedFile("forged.zip", forged)])
    assert accepted(members) == []
    assert all("cannot be read" in reason for reason in refusals(members).values())
    assert len(refusals(members)) == 3


def test_more_files_than_the_limit_are_refused_whole(settings):
    settings.KETASITE_IMPORT_MAX_FILES = 5
    upload = make_zip([(f"a{n}.txt", article_text(n)) for n in range(6)])
    with pytest.raises(UploadRefused, match="more than 5 files"):
        unpack_uploads([upload])


def test_more_plain_files_than_the_limit_are_refused_whole(settings):
    settings.KETASITE_IMPORT_MAX_FILES = 2
    uploads = [SimpleUploadedFile(f"a{n}.txt", article_text(n)) for n in range(3)]
    with pytest.raises(UploadRefused, match="KETASITE_IMPORT_MAX_FILES"):
        unpack_uploads(uploads)


def test_an_unreadable_zip_is_refused_whole():
    with pytest.raises(UploadRefused, match="not a readable zip"):
        unpack_uploads([SimpleUploadedFile("broken.zip", b"PK\x03\x04 not really a zip")])


def test_the_admin_refuses_a_bomb_with_a_clear_message_and_writes_nothing(client, importer):
    upload = make_zip([("ok.txt", article_text(1)), ("zeros.txt", b"a" * 4 * 1024 * 1024)],
                      name="bomb.zip")
    response = client.post(reverse(IMPORT_URL), {"files": [upload]})
    assert response.status_code == 400
    assert "bomb.zip looks like a zip bomb" in response.content.decode()
    assert nothing_written()


# --- one member refused ----------------------------------------------------------------------

def test_a_path_that_climbs_out_is_refused():
    members = unpack_uploads([make_zip([("../escape.txt", article_text(1)),
                                        ("docs/../../up.txt", article_text(2)),
                                        ("good.txt", article_text(3))])])
    refused = refusals(members)
    assert "climbs out" in refused["../escape.txt"]
    assert "climbs out" in refused["docs/../../up.txt"]
    assert accepted(members) == ["good.txt"]


def test_an_absolute_path_is_refused():
    data = make_zip([("xetc/passwd.txt", article_text(1)), ("good.txt", article_text(2))]).read()
    # Stored byte for byte as a hostile tool would write it.
    forged = patch_zip_names(data, {b"xetc/passwd.txt": b"/etc/passwd.txt"})
    members = unpack_uploads([SimpleUploadedFile("abs.zip", forged)])
    assert "absolute" in refusals(members)["/etc/passwd.txt"]
    assert accepted(members) == ["good.txt"]


def test_a_windows_absolute_path_is_refused():
    members = unpack_uploads([make_zip([("C:/Windows/evil.txt", article_text(1))])])
    assert "absolute" in refusals(members)["C:/Windows/evil.txt"]


def test_a_nested_archive_is_refused_by_name_and_by_content():
    inner = make_zip([("inner.txt", article_text(1))]).read()
    members = unpack_uploads([make_zip([("inner.zip", inner), ("disguised.txt", inner),
                                        ("good.txt", article_text(2))])])
    refused = refusals(members)
    assert "archive inside the archive" in refused["inner.zip"]
    assert "archive inside the archive" in refused["disguised.txt"]
    assert accepted(members) == ["good.txt"]


def test_a_symbolic_link_is_refused():
    members = unpack_uploads([make_zip([symlink_entry("link.txt", "/etc/passwd"),
                                        ("good.txt", article_text(1))])])
    assert "symbolic link" in refusals(members)["link.txt"]
    assert accepted(members) == ["good.txt"]


def test_a_name_that_is_not_utf8_is_refused():
    data = make_zip([("caf\x41.txt", article_text(1)), ("good.txt", article_text(2))]).read()
    # Latin-1 "café" (0xE9): not valid UTF-8, stored without the UTF-8 flag.
    forged = patch_zip_names(data, {b"cafA.txt": b"caf\xe9.txt"})
    members = unpack_uploads([SimpleUploadedFile("latin1.zip", forged)])
    refused = refusals(members)
    assert list(refused.values()) == ["its name is not valid UTF-8."]
    assert accepted(members) == ["good.txt"]


def test_a_name_flagged_utf8_that_is_not_is_refused_alone():
    data = make_zip([("café.txt", article_text(1)), ("good.txt", article_text(2))]).read()
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].flag_bits & 0x800  # flagged UTF-8
    # "é" (C3 A9) made E9 41: invalid UTF-8 under the flag, which zipfile cannot even list.
    forged = patch_zip_names(data, {"café".encode(): b"caf\xe9A"})
    with pytest.raises(UnicodeDecodeError):
        zipfile.ZipFile(io.BytesIO(forged))
    members = unpack_uploads([SimpleUploadedFile("flagged.zip", forged)])
    assert list(refusals(members).values()) == ["its name is not valid UTF-8."]
    assert accepted(members) == ["good.txt"]


def test_a_utf8_name_is_accepted():
    members = unpack_uploads([make_zip([("café-ketamine.txt", article_text(1))])])
    assert accepted(members) == ["café-ketamine.txt"]


def test_a_file_of_another_type_is_refused():
    members = unpack_uploads([make_zip([("photo.png", b"\x89PNG\r\n\x1a\n...")])])
    assert "not an importable file type" in refusals(members)["photo.png"]


def test_the_admin_lists_each_refused_member_in_the_jobs_report(
    client, importer, django_capture_on_commit_callbacks
):
    upload = make_zip([("../escape.txt", article_text(1)), symlink_entry("link.txt", "/x"),
                       ("inner.zip", make_zip([("a.txt", b"a")]).read()),
                       ("good.txt", article_text(2))], name="mixed.zip")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(IMPORT_URL), {"files": [upload]})
    job = Job.objects.get(kind="import")  # each imported file also queues its spotting
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    # The suite's default backend runs the job at once; the worker tests run it for real.
    page = client.get(response["Location"]).content.decode()
    assert "../escape.txt" in page and "climbs out" in page
    assert "link.txt" in page and "symbolic link" in page
    assert "inner.zip" in page and "archive inside the archive" in page
    assert "4 of 4, 3 failed" in page
    assert list(Article.objects.values_list("original_filename", flat=True)) == ["good.txt"]


def test_a_zip_of_1000_files_is_queued_in_one_request_with_a_bounded_number_of_queries(
    client, importer, django_assert_max_num_queries
):
    upload = make_zip([(f"batch/{n // 100}/file-{n:04}.md", article_text(n))
                       for n in range(1000)], name="thousand.zip")
    # Session, user, the job, its 1,000 units in a few batched inserts, the message: not one
    # query per file.
    with django_assert_max_num_queries(20):
        response = client.post(reverse(IMPORT_URL), {"files": [upload]})
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert (job.total, job.done, job.state) == (1000, 0, Job.State.QUEUED)
    assert JobUnit.objects.filter(job=job, state=JobUnit.State.PENDING).count() == 1000
    assert Article.objects.count() == 0  # the worker imports them, not the request


def test_more_plain_files_than_one_form_takes_get_a_clear_page_and_nothing_is_written(
    client, importer, settings
):
    uploads = [SimpleUploadedFile(f"a{n}.txt", article_text(n)) for n in range(51)]
    response = client.post(reverse(IMPORT_URL), {"files": uploads})
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 50 files" in page and "one zip archive" in page
    assert "up to 2,000 files from zip archives" in page
    assert nothing_written()
