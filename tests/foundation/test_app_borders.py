"""The house's borders, read from the source: nothing imports the public app (only URLconfs
name it, by string), and `ketasite/` (settings, URL routing, API plumbing) imports no app."""

import ast
from pathlib import Path

import pytest

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("accounts", "articles", "evidence", "pagecache", "public")
# Not the project's code: the virtualenv, installed front-end packages, collected statics.
SKIPPED_DIRS = {".venv", "node_modules", "staticfiles", ".git", ".mutate", "__pycache__"}


def python_files(under):
    for path in sorted(under.rglob("*.py")):
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
            yield path


def imported_modules(path):
    """Every module `path` imports, at any depth (top level or inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def imports_of(paths, packages):
    """Lines `path:line imports module` for every import of one of `packages`."""
    found = []
    for path in paths:
        for lineno, module in imported_modules(path):
            if module.split(".")[0] in packages:
                found.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    return found


def test_nothing_imports_the_public_app():
    outside = [
        path for path in python_files(ROOT)
        if path.relative_to(ROOT).parts[0] not in ("public", "tests")
    ]
    assert len(outside) > 50, "the walk must see the project's modules"
    assert imports_of(outside, {"public"}) == []


def test_ketasite_imports_no_app():
    files = list(python_files(ROOT / "ketasite"))
    assert {path.name for path in files} >= {"settings.py", "urls.py", "api.py", "api_urls.py"}
    assert imports_of(files, set(APPS)) == []


def test_the_walk_finds_imports_written_inside_a_function(tmp_path):
    """The check has teeth: imports hidden in a function are found, relative ones skipped."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json\n"
        "def f():\n"
        "    from public.frozen import page_shell\n"
        "    import articles.models\n"
        "    from . import sibling\n",
        encoding="utf-8",
    )
    assert list(imported_modules(probe)) == [
        (1, "json"), (3, "public.frozen"), (4, "articles.models"),
    ]
