"""Mutation score for the rule modules: `make mutate` (or `python tools/mutate.py [module ...]`).

mutmut reads its settings from the pyproject.toml in the directory it runs in, and keeps its
results in a `mutants/` folder there. Each module below therefore gets its own work directory,
`.mutate/<module>/`, holding links to the project and a pyproject.toml with a `[tool.mutmut]`
section of its own: the one module to mutate and only the tests that cover it. mutmut then runs,
for each mutant, just the selected tests that execute the mutated function.

The results are kept between runs (mutmut re-tests only functions whose code changed); delete
`.mutate/` to start afresh. `--survivors` re-tests only the last run's survivors, after tests
were written to kill them. Put such tests in a file the module already selects (its
`test_<module>_mutants.py`): a change to the selection makes mutmut start the module over.
mutmut runs one mutant at a time unless told otherwise (`--max-children`): the machine is shared.
This is a command to run before a release, not in CI: it is slow. docs/mutation.md keeps the
scores and the surviving mutants that no test can kill (equivalent mutants).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutate"

# What the tests need besides the mutated file; mutmut copies these into mutants/. Every
# top-level entry of the project except these, so that a new or moved app is picked up.
NOT_PROJECT_ENTRIES = {
    "tests", "pyproject.toml", "mutants", "node_modules", "staticfiles", "media-unused",
    "db.sqlite3", "db.sqlite3-journal",
}


def project_entries() -> list[str]:
    return sorted(
        entry.name for entry in ROOT.iterdir()
        if not entry.name.startswith(".") and entry.name not in NOT_PROJECT_ENTRIES
        and not entry.name.endswith(".egg-info")
    )


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    tests: tuple[str, ...]
    # fnmatch patterns of mutant names to run; None runs every mutant of the file.
    only: tuple[str, ...] | None = None
    # Extra environment, e.g. fewer Hypothesis examples: every surviving mutant runs them all.
    env: tuple[tuple[str, str], ...] = ()


MODULES = {
    m.name: m
    for m in [
        Module(
            "sanitize",
            "ketasite/sanitize.py",
            ("tests/evidence/test_note_sanitising.py", "tests/evidence/test_sanitize_mutants.py",
             "tests/public/test_rendering.py"),
        ),
        Module(
            "anchoring",
            "evidence/anchoring.py",
            # tests/hostile/test_fuzzing.py also covers it, but its 150-example runs made each
            # surviving mutant cost minutes; the properties run with 10 examples instead of 100
            # (every survivor runs them all: 25 made a survivor cost about 40 s on a loaded
            # machine).
            ("tests/evidence/test_anchoring.py", "tests/evidence/test_anchoring_properties.py",
             "tests/evidence/test_anchoring_mutants.py"),
            env=(("KETASITE_PROPERTY_EXAMPLES", "10"),),
        ),
        Module(
            "ratelimit",
            "ketasite/ratelimit.py",
            ("tests/public/test_search_throttle.py", "tests/security/test_password_reset_limits.py",
             "tests/api/test_throttles.py", "tests/api/test_throttle_mutants.py"),
        ),
        Module(
            "throttles",
            "ketasite/api.py",
            ("tests/api/test_throttles.py", "tests/api/test_token.py",
             "tests/api/test_throttle_mutants.py", "tests/api/test_cached_detail.py"),
            only=("ketasite.api.xǁFixedWindow*", "ketasite.api.xǁPublicAnonRateThrottle*",
                  "ketasite.api.xǁTokenRateThrottle*", "ketasite.api.x__throttle_refusal*"),
        ),
        Module(
            "caching",
            "public/caching.py",
            ("tests/public/test_caching.py", "tests/api/test_cache_negotiation.py",
             "tests/hostile/test_cache_safety.py", "tests/public/test_caching_mutants.py",
             "tests/api/test_cached_detail.py"),
        ),
        Module(
            # The public generation behind the page cache: read, purge (split from caching).
            "generation",
            "pagecache/generation.py",
            ("tests/public/test_caching.py", "tests/public/test_caching_mutants.py",
             "tests/reliability/test_cache_across_processes.py"),
        ),
        Module(
            "workflow",
            "articles/workflow.py",
            ("tests/workflow",),
            # The rules, not the bookkeeping: who may do what (roles, authorship, four eyes),
            # in which state, past which gate, and the approval fingerprint. All 1,473
            # mutants of the file would take hours; the transitions' field writes, the
            # revision editor and the reviewer assignment are left out.
            only=tuple(
                f"articles.workflow.x_{name}*"
                for name in (
                    "allowed_actions", "submit_gate", "approve_gate", "_check_four_eyes",
                    "wrote_revision_under_review", "last_published_revision_number",
                    "is_author", "_has_perm", "_require_perm", "_require_state",
                    "_require_comment", "_check_publish_at", "_check_approval_holds",
                    "approval_fingerprint", "perform",
                )
            ) + ("articles.workflow.x_can_*",),
        ),
    ]
}

STATUS_BY_EXIT_CODE = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", 24: "timeout",
                       -24: "timeout", 152: "timeout", 255: "timeout", 33: "no tests",
                       5: "no tests", None: "not checked"}


def _toml_list(items):
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(module: Module) -> Path:
    """Build .mutate/<module>/: links to the project plus its own [tool.mutmut] settings."""
    work = WORK / module.name
    work.mkdir(parents=True, exist_ok=True)
    entries = project_entries()
    for entry in entries:
        link = work / entry
        if (ROOT / entry).exists() and not link.is_symlink():
            link.symlink_to(ROOT / entry)
    tests = [t for t in module.tests if (ROOT / t).exists()]
    if (work / "tests").is_symlink():
        (work / "tests").unlink()
    # A copy, not a link: mutmut copies tests/ into mutants/ itself. Test modules import
    # helpers from one another, so the whole suite is copied; only the selection runs.
    shutil.rmtree(work / "tests", ignore_errors=True)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    base = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    also_copy = entries
    section = f"""
[tool.mutmut]
source_paths = {_toml_list([module.path])}
also_copy = {_toml_list(also_copy)}
pytest_add_cli_args_test_selection = {_toml_list(tests)}
pytest_add_cli_args = ["--reuse-db", "-p", "no:cacheprovider", "-W", "ignore"]
use_git_change_detection = false
# Workers fork from a server that has collected the tests but never opened a database
# connection, so no two processes share one. Each worker then reuses the test database the
# clean run built (--reuse-db) instead of migrating a new one: that costs seconds per mutant.
process_isolation = "forkserver"
# A worker still starts a pytest session and connects; allow for that on a busy machine.
timeout_constant = 20.0
"""
    (work / "pyproject.toml").write_text(base + section, encoding="utf-8")
    return work


def tally(module: Module, work: Path):
    meta = work / "mutants" / (module.path + ".meta")
    counts = {"killed": 0, "survived": 0, "timeout": 0, "no tests": 0, "not checked": 0,
              "other": 0}
    survivors = []
    if not meta.exists():
        return counts, survivors
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    for name, code in codes.items():
        if module.only and not any(fnmatch(name, p) for p in module.only):
            continue
        status = STATUS_BY_EXIT_CODE.get(code, "other")
        counts[status] += 1
        if status in ("survived", "no tests"):
            survivors.append(name)
    return counts, survivors


def database_url(module: Module) -> str:
    base = os.environ.get("KETASITE_MUTATE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ks_mutate")
    return f"{base}_{module.name}"


def drop_test_database(url: str) -> None:
    """Start from a freshly migrated test database: --reuse-db would keep a stale one."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    settings = dj_database_url.parse(url)
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        password=settings["PASSWORD"] or None, dbname="postgres", autocommit=True,
    ) as connection:
        name = sql.Identifier("test_" + settings["NAME"])
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def mutant_names(module: Module, work: Path) -> list[str]:
    """Return the names of the mutants mutmut makes of `module` (within `only`), without
    running anything. mutmut needs its settings to make them, so this runs in `work`."""
    script = (
        "import json, sys\n"
        "from mutmut.mutation.file_mutation import mutate_file_contents\n"
        "path = sys.argv[1]\n"
        "code = open(path, encoding='utf-8').read()\n"
        "print(json.dumps(mutate_file_contents(path, code).mutant_names))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script, module.path], cwd=work, capture_output=True, text=True,
        check=True,
    )
    prefix = module.path.removesuffix(".py").replace("/", ".") + "."
    names = [prefix + name for name in json.loads(found.stdout)]
    if module.only:
        names = [name for name in names if any(fnmatch(name, p) for p in module.only)]
    return names


def checked_mutants(module: Module) -> set[str]:
    meta = WORK / module.name / "mutants" / (module.path + ".meta")
    if not meta.exists():
        return set()
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return {name for name, code in codes.items() if code is not None}


def run(
    module: Module, max_children: int, *, survivors_only: bool = False, sample: int = 0,
    named: tuple[str, ...] = (),
) -> float:
    """Run mutmut over `module`.

    With `survivors_only`, re-test only the mutants that survived the last run (mutmut keeps
    every other verdict, and would not re-test a survivor against tests added since: it
    re-tests a function only when its code changes). With `sample`, test that many mutants
    not yet tested, drawn at random (seeded by the module's name, so a rerun draws the same
    ones): a score estimated from a sample when the whole module would take hours. `named`
    (mutant names or patterns) re-tests just those mutants of the module.
    """
    mutants = module.only or ()
    if named:
        prefix = module.path.removesuffix(".py").replace("/", ".") + "."
        mutants = tuple(name for name in named if name.startswith(prefix))
        if not mutants:
            return 0.0
    elif survivors_only:
        mutants = tuple(tally(module, WORK / module.name)[1])
        if not mutants:
            return 0.0
    work = prepare(module)
    if sample and not survivors_only and not named:
        untested = sorted(set(mutant_names(module, work)) - checked_mutants(module))
        mutants = tuple(random.Random(module.name).sample(untested, min(sample, len(untested))))
        if not mutants:
            return 0.0
    url = database_url(module)
    drop_test_database(url)
    # PostgreSQL, not SQLite: workers share one test database, each test in its own transaction.
    env = dict(os.environ, KETASITE_TESTING="true", DATABASE_URL=url, **dict(module.env))
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(max_children), *mutants]
    started = time.monotonic()
    subprocess.run(command, cwd=work, env=env, check=False)
    return time.monotonic() - started


def table(names):
    rows = []
    for name in names:
        module = MODULES[name]
        counts, survivors = tally(module, WORK / name)
        tested = counts["killed"] + counts["survived"] + counts["timeout"] + counts["no tests"]
        # A timeout counts as killed (the mutant broke the code into a hang); a mutant no test
        # executes counts as survived.
        score = (counts["killed"] + counts["timeout"]) / tested if tested else None
        rows.append((name, counts, score, survivors))
    print()
    print(f"{'module':<11}{'mutants':>8}{'killed':>8}{'survived':>9}{'timeout':>8}"
          f"{'no tests':>9}{'unrun':>7}{'score':>8}")
    for name, c, score, _ in rows:
        total = sum(c.values())
        shown = f"{score:.0%}" if score is not None else "-"
        print(f"{name:<11}{total:>8}{c['killed']:>8}{c['survived']:>9}{c['timeout']:>8}"
              f"{c['no tests']:>9}{c['not checked'] + c['other']:>7}{shown:>8}")
    for name, _, _, survivors in rows:
        if survivors:
            print(f"\nsurviving in {name} (see: cd .mutate/{name} && mutmut show NAME):")
            for s in sorted(survivors):
                print("   ", s)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"any of {', '.join(MODULES)} (default: all)")
    # One worker by default: the machine is shared, and a worker per core starves the others.
    parser.add_argument(
        "--max-children", type=int,
        default=int(os.environ.get("KETASITE_MUTATE_CHILDREN", "1")),
        help="mutants tested at once (default 1, or $KETASITE_MUTATE_CHILDREN)",
    )
    parser.add_argument("--report", action="store_true", help="print the table, run nothing")
    parser.add_argument(
        "--sample", type=int, default=0, metavar="N",
        help="test N more untested mutants of each module, drawn at random, not all of them",
    )
    parser.add_argument(
        "--mutant", action="append", default=[], metavar="NAME",
        help="re-test this mutant (a name `--report` lists, or a pattern); repeatable",
    )
    parser.add_argument(
        "--survivors", action="store_true",
        help="re-test only the last run's survivors (after adding tests that should kill them)",
    )
    args = parser.parse_args(argv)
    names = args.modules or list(MODULES)
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(MODULES)}")
    if not args.report:
        for name in names:
            seconds = run(
                MODULES[name], args.max_children, survivors_only=args.survivors,
                sample=args.sample, named=tuple(args.mutant),
            )
            print(f"{name}: {seconds:.0f}s")
    table(names)


if __name__ == "__main__":
    main()
