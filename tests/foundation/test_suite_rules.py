"""The suite's own rules, as a newcomer and CI meet them: without the real seeds the tests that
need them are skipped with one hint, KETASITE_REQUIRE_SEEDS turns that into a failure, and
KETASITE_ALLOWED_SKIPS (set by .ci/run) fails a run that skipped anything else.

Each case runs pytest in a child process on one seed test, with KETASITE_SEEDS_DIR pointing at
an empty directory.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

ROOT = Path(__file__).resolve().parent.parent.parent
SEED_TEST = "tests/importing/test_seed_parsing.py::test_block_ids_are_stable_across_parses"
# The child runs on SQLite whatever the parent runs on: two runs must not share (and drop) one
# PostgreSQL test database.
POLICY_VARIABLES = ("KETASITE_REQUIRE_SEEDS", "KETASITE_ALLOWED_SKIPS", "KETASITE_DESELECT_MARKERS",
                    "PYTEST_ADDOPTS", "DATABASE_URL", "REDIS_URL")


def run_pytest(seeds_dir, *args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in POLICY_VARIABLES}
    environment.update(KETASITE_SEEDS_DIR=str(seeds_dir), **env)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def no_seeds(tmp_path):
    return tmp_path / "shared" / "seeds"


def test_without_seeds_the_seed_tests_skip_with_one_hint(no_seeds):
    code, output = run_pytest(no_seeds, SEED_TEST)
    assert code == 0, output
    hint = f"the real seed articles are not in {no_seeds}: put 000_*.txt"
    header = next(line for line in output.splitlines() if line.startswith("seeds: "))
    assert hint in header and "skipped" in header
    assert f"1 tests skipped: {hint}" in output
    assert "set KETASITE_SEEDS_DIR" in output
    assert " 1 skipped" in output and "failed" not in output


def test_required_seeds_that_are_missing_fail_the_run(no_seeds):
    code, output = run_pytest(no_seeds, "-q", SEED_TEST, KETASITE_REQUIRE_SEEDS="true")
    assert code == 1, output
    assert "KETASITE_REQUIRE_SEEDS is set but the real seed articles are not in" in output
    assert "skipped" not in output.splitlines()[-1]


def test_a_skip_outside_the_allowed_markers_fails_the_run(no_seeds):
    code, output = run_pytest(no_seeds, "-q", SEED_TEST, KETASITE_ALLOWED_SKIPS="postgres,sqlite")
    assert code == 1, output
    assert ("skip check: 1 skipped, 1 not allowed in this run (allowed markers: postgres, sqlite)"
            in output)
    assert f"skipped but must run here: {SEED_TEST}" in output


def test_the_postgresql_run_leaves_out_only_the_markers_it_names(no_seeds):
    """.ci/run's PostgreSQL run leaves the database-neutral tests to the SQLite run: they are
    not run there, they are counted, and no other test is left out."""
    neutral = "tests/evidence/test_summary.py"
    with_database = "tests/demo/test_load_demo.py::test_load_demo_twice_changes_nothing"
    code, output = run_pytest(no_seeds, "-q", neutral, with_database,
                              KETASITE_DESELECT_MARKERS="neutral")
    assert code == 0, output
    assert "1 passed, 2 deselected" in output
    assert "marked neutral were not run here (KETASITE_DESELECT_MARKERS)" in output
    code, output = run_pytest(no_seeds, "-q", neutral, with_database)
    assert code == 0 and "deselected" not in output, output
