"""`manage.py spot_claims`: the importer's parsing and the spotter on files, writing nothing."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Article, ImportRecord
from spotting.models import Suggestion
from tests.spotting.helpers import CLAIM, NOT_A_CLAIM, SECOND_CLAIM, document

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    error = None
    try:
        call_command("spot_claims", *args, stdout=out, stderr=err)
    except CommandError as raised:
        error = raised
    return out.getvalue(), err.getvalue(), error


def nothing_written():
    return not (Article.objects.exists() or ImportRecord.objects.exists()
                or Suggestion.objects.exists())


def test_json_prints_one_object_per_claim_with_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clinic.txt").write_bytes(document())
    out, err, error = run("clinic.txt", "--json")
    assert error is None and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["quote"] for row in rows] == [CLAIM, SECOND_CLAIM]
    for row in rows:
        assert set(row) == {"file", "quote", "kind", "score", "reasons"}
        assert row["file"] == "clinic.txt"
        assert 0.5 <= row["score"] <= 1 and row["reasons"]
    assert rows[1]["kind"] == "regulatory"
    assert NOT_A_CLAIM not in out
    assert nothing_written()


def test_without_json_a_readable_table(tmp_path):
    path = tmp_path / "clinic.txt"
    path.write_bytes(document())
    out, _err, error = run(str(path))
    assert error is None
    assert "Suggested claims" in out and "regulatory or legal status" in out
    assert "2 claim(s) in 1 file(s)." in out


def test_bad_files_get_one_line_each_and_the_others_still_run(tmp_path, settings):
    settings.KETASITE_IMPORT_MAX_BYTES = 2000
    good = tmp_path / "good.txt"
    good.write_bytes(document())
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02PNG" * 50)
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"Ketamine can raise blood pressure. " * 100)
    missing = tmp_path / "missing.txt"
    out, err, error = run(str(missing), str(empty), str(binary), str(huge), str(good), "--json")
    lines = err.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(str(missing)) and "no such file" in lines[0]
    assert lines[1].startswith(str(empty)) and "empty" in lines[1]
    assert lines[2].startswith(str(binary)) and "binary" in lines[2]
    assert lines[3].startswith(str(huge)) and "import limit" in lines[3]
    assert [json.loads(line)["file"] for line in out.splitlines()] == [str(good)] * 2
    assert error is not None and error.returncode == 1
    assert "4 of 5 file(s) could not be read" in str(error)
    assert nothing_written()
