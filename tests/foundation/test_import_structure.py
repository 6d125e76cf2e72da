"""The house's import structure: no project module is imported inside a function.

An import inside a function usually hides a cycle between two modules (issue 12). Each app
module imports what it needs at the top; a module that truly must import late is listed in
ALLOWED with the reason. Third-party and standard-library imports may stay lazy (they cost
start-up time, not structure).
"""

import ast
from pathlib import Path

import pytest

# Touches no database: CI runs it once, in the SQLite run.
pytestmark = pytest.mark.neutral

ROOT = Path(__file__).resolve().parent.parent.parent
# Every package of the project (an app or ketasite), found on disk so a new app is covered too.
PROJECT_PACKAGES = tuple(sorted(
    path.name for path in ROOT.iterdir()
    if (path / "__init__.py").exists() and path.name not in ("tests", "bench", "tools")
))

# (file, imported module) -> why it stays inside a function. Keep it short.
ALLOWED = {
    # AppConfig.ready(): modules that use models may be imported only once the app registry
    # is ready (Django's rule for apps.py, not a cycle).
    ("public/apps.py", "articles.backup"): "AppConfig.ready registers the W3C export form",
    ("public/apps.py", "public.w3c"): "AppConfig.ready registers the W3C export form",
    ("jobs/apps.py", "jobs.kinds"): "AppConfig.ready registers the job kinds",
}


def _is_project_module(name):
    return bool(name) and name.split(".")[0] in PROJECT_PACKAGES


def function_level_project_imports(source, *, path):
    """Return [(path, line, function, module)] for each project import inside a function."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0:
                modules = [inner.module or ""]
                if inner.module in PROJECT_PACKAGES:
                    # `from articles import workflow` imports the submodule articles.workflow.
                    modules = [f"{inner.module}.{alias.name}" for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom):
                modules = [f"(relative) {inner.module or ''}"]
            elif isinstance(inner, ast.Import):
                modules = [alias.name for alias in inner.names]
            else:
                continue
            for module in modules:
                if module.startswith("(relative)") or _is_project_module(module):
                    found.append((path, inner.lineno, node.name, module))
    return found


def project_sources():
    for package in PROJECT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_project_module_is_imported_inside_a_function():
    offenders = [
        f"{path}:{line} in {function}(): import of {module}"
        for relative, source in project_sources()
        for path, line, function, module in function_level_project_imports(
            source, path=relative
        )
        if (path, module) not in ALLOWED
    ]
    assert not offenders, (
        "Import these at the top of the module (an import inside a function hides a cycle; "
        "break the cycle instead):\n" + "\n".join(offenders)
    )


def test_the_allowlist_names_only_imports_that_still_exist():
    present = {
        (path, module)
        for relative, source in project_sources()
        for path, _line, _function, module in function_level_project_imports(
            source, path=relative
        )
    }
    stale = sorted(set(ALLOWED) - present)
    assert not stale, f"Remove these from ALLOWED, they are gone: {stale}"


def test_the_check_finds_an_import_inside_a_function():
    source = (
        "import json\n"
        "from articles.models import Article\n"
        "def helper():\n"
        "    import lxml.html\n"
        "    from evidence.models import Annotation\n"
        "    from articles import notifications\n"
        "    return Annotation\n"
    )
    found = function_level_project_imports(source, path="articles/example.py")
    assert [(line, module) for _path, line, _function, module in found] == [
        (5, "evidence.models"), (6, "articles.notifications"),
    ]
