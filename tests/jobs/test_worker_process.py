"""Real worker processes: `manage.py jobs_worker` over a file SQLite database, PostgreSQL (when
DATABASE_URL names one) and RQ on Redis (when REDIS_URL is set).

The kill tests start an import of many files, SIGKILL the worker process (with the RQ work
horse it forked) in the middle, and start another worker: the job is retried and finishes
with every file imported exactly once, or, out of attempts, is failed with the files
finished before the kill kept.
"""

import contextlib
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
FILES = 60
# The heartbeat every half second, a job silent for 3 s is given up for dead.
HEARTBEAT, STALE = "0.5", "3"


def _postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def _env(database_url, **extra):
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DATABASE_URL", "KETASITE_TESTING", "DJANGO_DEBUG",
                          "KETASITE_JOB_BACKEND")}
    env.update(
        DJANGO_SETTINGS_MODULE="ketasite.settings", DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="worker-test-secret-key-0123456789-not-for-production",
        DATABASE_URL=database_url, KETASITE_JOB_BACKEND="database", DJANGO_LOG_LEVEL="ERROR",
        KETASITE_JOB_HEARTBEAT_SECONDS=HEARTBEAT, KETASITE_JOB_STALE_SECONDS=STALE,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def manage(env, *args, script=None, timeout=300):
    command = [PYTHON, "manage.py", *args]
    if script is not None:
        command = [PYTHON, "manage.py", "shell", "-c", script]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout + result.stderr


class Database:
    """A migrated database of its own per test, copied from one migrated once per module."""

    def __init__(self, kind):
        self.kind = kind
        self.directory = Path(tempfile.mkdtemp(prefix="ketasite-jobs-"))
        if kind == "sqlite":
            self.template = self.directory / "template.sqlite3"
            manage(_env(f"sqlite:///{self.template}"), "migrate", "--noinput")
        else:
            self.base = urlsplit(_postgres_url())
            base_name = self.base.path.lstrip("/") or "ketasite"
            self.template = f"{base_name}_jobs_{secrets.token_hex(3)}"
            self._admin(f'CREATE DATABASE "{self.template}"')
            manage(_env(self._url(self.template)), "migrate", "--noinput")
        self.copies = []

    def _url(self, name):
        return urlunsplit(self.base._replace(path=f"/{name}"))

    def _admin(self, sql):
        import psycopg

        admin = urlunsplit(self.base._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql)

    def fresh(self):
        """Return the DATABASE_URL of a new copy of the migrated template."""
        number = len(self.copies) + 1
        if self.kind == "sqlite":
            path = self.directory / f"site{number}.sqlite3"
            shutil.copy(self.template, path)
            self.copies.append(path)
            return f"sqlite:///{path}"
        name = f"{self.template}_{number}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.copies.append(name)
        return self._url(name)

    def query(self, url, sql):
        """Run one read in the database at `url` from this process; return its rows."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(urlsplit(url).path, timeout=20)) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(url) as connection:
            return connection.execute(sql).fetchall()

    def drop(self):
        if self.kind != "sqlite":
            for name in [*self.copies, self.template]:
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module", params=[
    pytest.param("sqlite", marks=pytest.mark.sqlite),
    pytest.param("postgres", marks=pytest.mark.postgres),
])
def database(request):
    if request.param == "postgres" and not _postgres_url():
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    database = Database(request.param)
    yield database
    database.drop()


START_IMPORT = """
from jobs.archives import Member
from jobs.kinds import start_import
paragraphs = "\\n\\n".join(
    f"Paragraph {{p}}: ketamine was studied in a small open-label trial." for p in range(20))
members = [Member(name=f"file-{{n:04}}.txt",
                  data=f"Article number {{n}}\\n\\n{{paragraphs}}\\n".encode())
           for n in range({count})]
job = start_import(members=members, actor=None)
print("JOB", job.pk)
"""


def start_import_job(env, count):
    output = manage(env, script=START_IMPORT.format(count=count))
    return int(output.split("JOB", 1)[1].split()[0])


# The tests' own table names and integer ids only: no outside text reaches these queries.
def job_row(database, url, job_id):
    rows = database.query(
        url, "SELECT state, done, total, failed, attempts, message FROM jobs_job "  # noqa: S608
             f"WHERE id = {int(job_id)}")
    return dict(zip(["state", "done", "total", "failed", "attempts", "message"], rows[0],
                    strict=True))


def count(database, url, table):
    return database.query(url, f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608


def start_worker(env):
    return subprocess.Popen(
        [PYTHON, "manage.py", "jobs_worker", "--interval", "0.2"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def children(pid):
    """The processes `pid` forked, from /proc (RQ's work horse runs in its own group)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat_file.parent.name))
    return found


def kill_with_children(pid):
    """SIGKILL `pid` and what it forked, as the loss of its machine or container would: RQ
    runs each job in a forked "work horse" that would otherwise finish the job alone."""
    for child in children(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def kill_mid_job(database, url, env, job_id):
    """Start a worker, SIGKILL it (and any process it forked) once some files are imported;
    return the job row then."""
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 120
        while job_row(database, url, job_id)["done"] < 10:
            assert worker.poll() is None, worker.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the worker imported nothing in 120 s"
            time.sleep(0.05)
        # It yields the CPU to the app servers: KETASITE_JOBS_WORKER_NICE, 10 by default.
        expected = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == expected
    finally:
        kill_with_children(worker.pid)
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    row = job_row(database, url, job_id)
    assert row["state"] == "running" and 10 <= row["done"] < row["total"], row
    return row


def test_a_worker_killed_mid_import_loses_nothing_the_job_is_retried(database):
    url = database.fresh()
    env = _env(url)
    job_id = start_import_job(env, FILES)
    at_kill = kill_mid_job(database, url, env, job_id)
    # What the killed worker had finished is in the database; what it was doing is not.
    assert count(database, url, "articles_article") == at_kill["done"]

    time.sleep(float(STALE) + 0.5)
    manage(env, "jobs_worker", "--batch")

    row = job_row(database, url, job_id)
    assert (row["state"], row["done"], row["total"], row["failed"], row["attempts"]) == (
        "succeeded", FILES, FILES, 0, 2), row
    assert "retried" in row["message"]
    # Every file exactly once: no article, import record or revision twice.
    assert count(database, url, "articles_article") == FILES
    assert count(database, url, "articles_importrecord") == FILES
    assert count(database, url, "articles_revision") == FILES
    assert database.query(url, "SELECT COUNT(DISTINCT original_filename) FROM articles_article"
                          )[0][0] == FILES
    # The backend's own row of the lost run says so, instead of "running" for ever.
    # (The imports also queued the claim spotting of the new drafts: a task of its own.)
    statuses = sorted(status for (status,) in database.query(
        url, "SELECT status FROM django_tasks_database_dbtaskresult"))
    assert statuses.count("FAILED") == 1 and set(statuses) == {"FAILED", "SUCCESSFUL"}
    assert count(database, url, "spotting_spottedrevision") == FILES


def test_a_worker_killed_on_the_last_attempt_fails_the_job_and_keeps_finished_files(database):
    url = database.fresh()
    env = _env(url, KETASITE_JOB_MAX_ATTEMPTS="1")
    job_id = start_import_job(env, FILES)
    at_kill = kill_mid_job(database, url, env, job_id)

    time.sleep(float(STALE) + 0.5)
    manage(env, "jobs_worker", "--batch")

    row = job_row(database, url, job_id)
    assert row["state"] == "failed" and row["attempts"] == 1, row
    assert f"{at_kill['done']} of {FILES} units finished are kept" in row["message"]
    assert count(database, url, "articles_article") == at_kill["done"]
    done_units = ("SELECT COUNT(*) FROM jobs_jobunit "  # noqa: S608
                  f"WHERE job_id = {int(job_id)} AND state = 'done'")
    assert database.query(url, done_units)[0][0] == at_kill["done"]


@pytest.mark.redis
def test_an_rq_worker_killed_mid_import_loses_nothing_the_job_is_retried(database):
    """RQ runs a queued import; killed in the middle, the job is retried through RQ."""
    url = database.fresh()
    env = _env(url, KETASITE_JOB_BACKEND="rq", REDIS_URL=os.environ["REDIS_URL"],
               KETASITE_CACHE_PREFIX=f"ks-jobs-{secrets.token_hex(4)}")
    files = FILES // 2  # the database backend's test above covers the rest
    job_id = start_import_job(env, files)
    assert job_row(database, url, job_id)["state"] == "queued"  # on the RQ queue, not run
    at_kill = kill_mid_job(database, url, env, job_id)
    assert count(database, url, "articles_article") == at_kill["done"]

    time.sleep(float(STALE) + 0.5)
    manage(env, "jobs_worker", "--batch")  # recovers the job onto the RQ queue, then runs it

    row = job_row(database, url, job_id)
    assert (row["state"], row["done"], row["total"], row["failed"], row["attempts"]) == (
        "succeeded", files, files, 0, 2), row
    assert count(database, url, "articles_article") == files
    assert count(database, url, "articles_importrecord") == files
    assert count(database, url, "articles_revision") == files
