"""Shared fixtures and plain helpers for the whole suite.

Helpers build rows directly so that each area's tests do not depend on another area's code;
tests of a behaviour call the real functions (workflow, importing, anchoring).
"""

import itertools
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations

from articles.blocks import with_text
from articles.groups import ensure_editorial_groups
from articles.models import Article, Revision
from pagecache import generation as caching

_counter = itertools.count(1)

SEEDS_DIR = Path(os.environ.get("KETASITE_SEEDS_DIR", settings.KETASITE_SEEDS_DIR))
SEED_PREFIXES = ("000", "001", "002", "003", "004")
FIXTURES_DIR = Path(__file__).resolve().parent / "importing" / "fixtures"


def env_true(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def missing_seeds():
    """Return the prefixes of the five real seeds that are not in SEEDS_DIR."""
    return [prefix for prefix in SEED_PREFIXES if not any(SEEDS_DIR.glob(f"{prefix}_*"))]


def seeds_hint():
    return (f"the real seed articles are not in {SEEDS_DIR}: put 000_*.txt … 004_*.txt there "
            "or set KETASITE_SEEDS_DIR to run the tests marked `seeds`")


def need_seeds():
    """Skip the running test when a seed is missing; fail instead with KETASITE_REQUIRE_SEEDS.

    One message for every such test, so pytest's short summary gives it as one line.
    """
    if missing_seeds():
        if env_true("KETASITE_REQUIRE_SEEDS"):
            pytest.fail(f"KETASITE_REQUIRE_SEEDS is set but {seeds_hint()}", pytrace=False)
        pytest.skip(seeds_hint())


def seed_path(prefix):
    """Return the path of the seed whose file name starts with `prefix` (e.g. "001").

    Only for tests marked `seeds`: without the seeds they are skipped (see `need_seeds`).
    """
    matches = sorted(SEEDS_DIR.glob(f"{prefix}_*"))
    if not matches:
        need_seeds()
        pytest.fail(f"seed {prefix}_* not found in {SEEDS_DIR} (set KETASITE_SEEDS_DIR)")
    return matches[0]


def fixture_document(name):
    """Return the path of a document written for the import tests (tests/importing/fixtures),
    one per shape the real seeds have; they are in the repository, so always there."""
    path = FIXTURES_DIR / name
    assert path.is_file(), f"no fixture document {path}"
    return path


# Skips and the skip policy. `pytest_runtest_setup` skips the tests whose marker says they
# cannot run here (`seeds` without the seeds, `postgres` on SQLite, `sqlite` on PostgreSQL).
# KETASITE_ALLOWED_SKIPS (set by .ci/run) names the markers whose skips are expected in this
# run; any other skip then fails the run, so CI never passes with tests it did not run.

def _on_postgres():
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _flush_by_delete(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """PostgreSQL's flush for the tests: DELETE from each table instead of one TRUNCATE.

    Every transactional test (browser, process and concurrency tests) ends with a flush.
    TRUNCATE replaces each table's files, which took about 2 s a test on the CI machine for
    the project's 52 tables; DELETE on the few rows a test leaves takes a few milliseconds.
    Foreign keys are deferrable (Django makes them so), so the order does not matter inside
    the flush's transaction. Sequences are left alone unless a test asks for a reset.
    """
    if reset_sequences or not tables:
        return _truncate_flush(self, style, tables, reset_sequences=reset_sequences,
                               allow_cascade=allow_cascade)
    return ["SET CONSTRAINTS ALL DEFERRED;"] + [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};"
        for table in tables
    ]


_truncate_flush = PostgresOperations.sql_flush
PostgresOperations.sql_flush = _flush_by_delete


def pytest_report_header(config):
    missing = missing_seeds()
    if not missing:
        return [f"seeds: the five real seed articles are in {SEEDS_DIR}"]
    if env_true("KETASITE_REQUIRE_SEEDS"):
        return [f"seeds: KETASITE_REQUIRE_SEEDS is set and {seeds_hint()} (they will FAIL)"]
    return [f"seeds: {seeds_hint()} (they are skipped)"]


def pytest_runtest_setup(item):
    markers = {mark.name for mark in item.iter_markers()}
    if "seeds" in markers:
        need_seeds()
    if "postgres" in markers and not _on_postgres():
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    if "redis" in markers and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (set REDIS_URL)")
    if "sqlite" in markers and _on_postgres():
        pytest.skip("needs SQLite (runs without DATABASE_URL)")


_skips = []  # (node id, markers, reason) of every skipped test or module


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skips.append((item.nodeid, {mark.name for mark in item.iter_markers()}, reason))
    return report


def pytest_collectreport(report):
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skips.append((report.nodeid, set(), reason))


def _deselected_markers():
    """The markers named in KETASITE_DESELECT_MARKERS: their tests are not run here.

    .ci/run sets it to "browser,neutral" for the PostgreSQL run, which runs beside the
    SQLite run: the browser tests and the tests that touch no database (marker `neutral`)
    give the same answer on both, so they run once, in the SQLite run.
    """
    value = os.environ.get("KETASITE_DESELECT_MARKERS", "")
    return {name.strip() for name in value.split(",") if name.strip()}


_deselected = []


def pytest_collection_modifyitems(config, items):
    markers = _deselected_markers()
    if not markers:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if markers & {mark.name for mark in item.iter_markers()} else kept).append(item)
    if dropped:
        _deselected.extend(item.nodeid for item in dropped)
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _allowed_skip_markers():
    value = os.environ.get("KETASITE_ALLOWED_SKIPS")
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _unexpected_skips():
    allowed = _allowed_skip_markers()
    if allowed is None:
        return []
    return [(nodeid, reason) for nodeid, markers, reason in _skips if not markers & allowed]


def pytest_sessionfinish(session, exitstatus):
    if _unexpected_skips() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    seed_skips = sum(1 for _, _, reason in _skips if seeds_hint() in reason)
    if seed_skips:
        terminalreporter.write_line(f"{seed_skips} tests skipped: {seeds_hint()}.", yellow=True)
    if _deselected:
        terminalreporter.write_line(
            f"{len(_deselected)} tests marked {', '.join(sorted(_deselected_markers()))} "
            "were not run here (KETASITE_DESELECT_MARKERS): CI runs them in the SQLite run."
        )
    allowed = _allowed_skip_markers()
    if allowed is None:
        return
    unexpected = _unexpected_skips()
    names = ", ".join(sorted(allowed)) or "none"
    terminalreporter.write_line(
        f"skip check: {len(_skips)} skipped, {len(unexpected)} not allowed in this run "
        f"(allowed markers: {names})", red=bool(unexpected), green=not unexpected,
    )
    for nodeid, reason in unexpected:
        terminalreporter.write_line(f"  skipped but must run here: {nodeid}: {reason}", red=True)


def make_user(group=None, *, username=None, groups=(), **extra):
    """Create a user, optionally in one or more of Editors, Reviewers, Publishers."""
    username = username or f"{(group or 'user').lower()}{next(_counter)}"
    user = User.objects.create_user(
        username=username, password="pw-for-tests-only", email=f"{username}@example.org", **extra
    )
    names = ([group] if group else []) + list(groups)
    if names:
        ensure_editorial_groups()
    for name in names:
        user.groups.add(Group.objects.get(name=name))
    return user


def make_blocks(*paragraphs):
    """Return blocks: a heading, then one paragraph per given text."""
    blocks = [{"id": "h1", "type": "heading", "level": 2, "text": "Overview"}]
    for index, text in enumerate(paragraphs or ["Ketamine may help some adults with ADHD."]):
        blocks.append({"id": f"p{index + 1}", "type": "paragraph", "text": text})
    return [with_text(b) for b in blocks]


def make_article(*, title="A test article", summary="A short summary.", blocks=None,
                 author=None, state=Article.State.DRAFT, slug=None, tags=()):
    """Create an article with one revision, in `state`, bypassing the workflow."""
    number = next(_counter)
    article = Article.objects.create(
        slug=slug or f"test-article-{number}", state=state, created_by=author
    )
    revision = Revision.objects.create(
        article=article, number=1, title=title, summary=summary,
        blocks=blocks if blocks is not None else make_blocks(), author=author,
    )
    article.draft = revision
    article.save(update_fields=["draft"])
    if tags:
        article.tags.add(*tags)
    return article


@pytest.fixture(autouse=True)
def _clear_cache(monkeypatch):
    # A transactional test flushes the tables; cached content types would then point nowhere.
    ContentType.objects.clear_cache()
    cache.clear()
    # Each test starts as if the public generation had just been read, and its copy lasts the
    # test (a purge still drops it): the read, once a second per process, would otherwise
    # fall into whichever query count crosses the second. Tests of the timing set it back
    # (tests/public/test_caching.py); tests/reliability/test_cache_across_processes.py runs
    # real processes with the real timing.
    monkeypatch.setattr(caching, "GENERATION_MAX_AGE", 3600.0)
    caching._known.token, caching._known.read_at = "test-start", time.monotonic()
    yield
    cache.clear()
    caching.forget_generation()


@pytest.fixture
def editor(db):
    return make_user("Editors", username="editor")


@pytest.fixture
def reviewer(db):
    return make_user("Reviewers", username="reviewer")


@pytest.fixture
def publisher(db):
    return make_user("Publishers", username="publisher")


@pytest.fixture
def login_as(client):
    """Log the test client in as a new user of the given group; return the user."""

    def _login(group=None, **kwargs):
        user = make_user(group, **kwargs)
        client.force_login(user)
        return user

    return _login


@pytest.fixture(scope="session")
def chromium_path():
    """Path of Debian's Chromium, or skip (fail in CI, where it must be there)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if env_true("KETASITE_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (KETASITE_REQUIRE_BROWSER) but not installed")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def make_annotation(article, *, block_id, start, end, verdict="", certainty="", note="",
                    sources=(), status="open"):
    """Create an annotation on the article's draft directly (no evidence services).

    The quote, prefix and suffix come from the block's text; the note's HTML is the escaped
    note (the sanitiser is not involved).
    """
    from django.utils.html import escape

    from articles.blocks import block_text
    from evidence.models import Annotation

    revision = article.draft
    block = next(b for b in revision.blocks if b["id"] == block_id)
    text = block_text(block)
    annotation = Annotation.objects.create(
        article=article, revision=revision, block_id=block_id, start=start, end=end,
        exact=text[start:end], prefix=text[max(0, start - 32):start], suffix=text[end:end + 32],
        verdict=verdict, certainty=certainty, note=note,
        note_html=f"<p>{escape(note)}</p>" if note else "", status=status,
    )
    if sources:
        annotation.sources.set(sources)
    return annotation


def publish_now(article, *, actor=None, change_note=""):
    """Freeze and go live now, bypassing the workflow; return the Publication."""
    from django.utils import timezone

    from articles.publishing import freeze_publication

    now = timezone.now()
    publication = freeze_publication(
        article, actor=actor, published_at=now, change_note=change_note
    )
    article.live = publication
    article.state = Article.State.PUBLISHED
    article.first_published_at = article.first_published_at or now
    article.last_published_at = now
    article.save(update_fields=["live", "state", "first_published_at", "last_published_at"])
    return publication


def run_at_once(*calls, timeout=60):
    """Run the calls in threads released together by a barrier; return each one's result.

    A call that raises gives its exception as its result, for the test to inspect. Each
    thread closes its own database connection when done.
    """
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


class LockWindow:
    """Hold the race window open at a lock, so that a missing lock fails every run.

    Install it in place of the hook a service calls right after taking its row lock
    (`articles.workflow._after_lock`). The first caller to get past the lock waits there until
    every other caller is blocked on a lock (the lock works: that caller waits its turn and
    then sees the change), has got past the lock too (the lock is missing: every caller has
    read the row before anyone writes, so the race happens for certain) or has finished.
    Without it a missing lock is caught only when the threads happen to interleave.

    `blocked` records the calls seen waiting on a lock. PostgreSQL only (it asks
    `pg_blocking_pids`).
    """

    def __init__(self, count, *, timeout=20):
        self.count = count
        self.timeout = timeout
        self.condition = threading.Condition()
        self.pids = {}
        self.inside = set()
        self.finished = set()
        self.blocked = set()
        self.local = threading.local()

    def participant(self, index, call):
        """Return `call` wrapped to take part as caller number `index`."""

        def run():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            with self.condition:
                self.pids[index] = pid
                self.condition.notify_all()
            self.local.index = index
            try:
                return call()
            finally:
                with self.condition:
                    self.finished.add(index)
                    self.condition.notify_all()

        return run

    def _blocked_now(self, indexes):
        pids = [self.pids[i] for i in indexes if i in self.pids]
        if not pids:
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM unnest(%s::int[]) AS pid "
                "WHERE cardinality(pg_blocking_pids(pid)) > 0",
                [pids],
            )
            waiting = {row[0] for row in cursor.fetchall()}
        return {i for i in indexes if self.pids.get(i) in waiting}

    def __call__(self, *args, **kwargs):
        index = getattr(self.local, "index", None)
        if index is None:  # not a racing call (the test's own set-up)
            return
        with self.condition:
            self.inside.add(index)
            self.condition.notify_all()
        deadline = time.monotonic() + self.timeout
        while True:
            with self.condition:
                others = set(range(self.count)) - {index} - self.finished
                waiting = others - self.inside
            if not waiting:
                return
            blocked = self._blocked_now(waiting)
            self.blocked |= blocked
            if blocked == waiting:
                return
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"call {index} waited {self.timeout}s past the lock for calls "
                    f"{sorted(waiting - blocked)}, which neither got past it nor blocked"
                )
            with self.condition:
                self.condition.wait(0.01)


def run_at_once_past_the_lock(monkeypatch, *calls, hook="articles.workflow._after_lock"):
    """Run the calls as `run_at_once` does, holding the race window open at `hook` (see
    LockWindow). Return the results and the window."""
    window = LockWindow(len(calls))
    monkeypatch.setattr(hook, window)
    results = run_at_once(*[window.participant(i, c) for i, c in enumerate(calls)])
    return results, window
