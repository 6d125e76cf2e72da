import pytest

from evidence.summary import evidence_summary

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral


def test_summary_counts_by_verdict_and_certainty_in_scale_order():
    summary = evidence_summary(
        [
            {"verdict": "supported", "certainty": "high"},
            {"verdict": "unsupported", "certainty": "very_low"},
            {"verdict": "unsupported", "certainty": "low"},
            {"verdict": "", "certainty": ""},
        ]
    )
    assert summary["total"] == 4
    assert summary["rated"] == 3
    assert summary["by_verdict"]["unsupported"] == 2
    assert summary["by_certainty"]["moderate"] == 0
    assert summary["text"] == "3 claims rated: 1 supported, 2 unsupported"


def test_summary_of_nothing_says_so():
    assert evidence_summary([])["text"] == "No claims rated yet"
