"""Benchmark: 1,000 files imported from the admin as a background job while the site serves
pages.

A gunicorn site (bench/server.py: 2 sync workers, DEBUG off, a temporary SQLite database) and
one real `manage.py jobs_worker` (the database backend, at its default lower CPU priority,
KETASITE_JOBS_WORKER_NICE) run side by side on this machine. An editor signs in to the admin
and uploads one zip of 1,000 small generated files (the demo articles and the importer's test
fixtures, each copy with its own title and a paragraph of varied words; Markdown, text and
HTML) through *Jobs → Import files in the background*, then polls the job's progress
endpoint, as the job's page does, until the job is finished. Meanwhile two readers fetch
public pages (home, an article, a tag page, the feed, the ratings page) one after another,
each timed, 40 pages a second in all; the same readers first run for a few seconds with
nothing imported, as the yardstick.

Rows: the import's duration and rate (from the upload to the job's end), the upload request
itself, and the pages' p50/p99 during the import (target p99 under 100 ms) and without it.
With KETASITE_BENCH_IMPORT_JOB_POSTGRES=postgres://HOST/NAME the same runs on a throwaway
PostgreSQL database (NAME_import_job_<random>) instead of SQLite.
"""

import contextlib
import os
import random
import re
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from io import BytesIO
from urllib.parse import urlsplit, urlunsplit

from bench.server import (
    BENCH_SLUG,
    PYTHON,
    ROOT,
    prepared_database,
    running_site,
    site_env,
    stop_process,
)

FILES = 1000
TARGET_P99_MS = 100.0
IDLE_SECONDS = 10
READERS = 2
# Each reader asks for a page this often (a steady 40 pages/s in all, far more than a small
# publisher's traffic): an open load, so the readers do not take every free CPU cycle from
# the import, as readers fetching back to back would.
READ_INTERVAL = 0.05
EDITOR, EDITOR_PASSWORD = "bench-editor", "bench-only-password-0123456789"  # noqa: S105
PAGES = ("/", f"/articles/{BENCH_SLUG}/", "/tags/adhd/", "/feed/", "/how-we-rate-evidence/")
SOURCES = sorted([*(ROOT / "demo").glob("*.*"),
                  *(ROOT / "tests/importing/fixtures").glob("*.txt")])
WORDS = (
    "adults", "children", "dose", "infusion", "nasal", "spray", "trial", "placebo",
    "randomised", "blinded", "follow-up", "weeks", "months", "sleep", "mood", "anxiety",
    "pain", "relief", "clinic", "nurse", "doctor", "therapist", "session", "monitoring",
    "blood", "pressure", "nausea", "dizziness", "benefit", "harm", "evidence", "certainty",
    "small", "large", "review", "guideline", "licence", "prescription", "relapse",
    "remission", "response", "measured", "reported", "carefully", "cautiously", "briefly",
    "often", "rarely", "sometimes", "usually", "early", "late", "daily", "weekly",
)
POLL_SECONDS = 0.5


def setup():
    """The site's content: the bench article (published, tagged adhd) and an editor."""
    from django.contrib.auth.models import Group, User

    from bench.server import setup_public_content

    setup_public_content(annotations=50)
    editor = User.objects.create_user(EDITOR, password=EDITOR_PASSWORD, is_staff=True,
                                      email="bench-editor@example.org")
    editor.groups.add(Group.objects.get(name="Editors"))


def _sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 25))]
    return " ".join(words).capitalize() + "."


def generated_files(count):
    """Yield (name, bytes): `count` distinct small articles from the demo and fixture texts,
    each with a title of its own and a paragraph of varied words."""
    texts = [(path.suffix, path.stem, path.read_text(encoding="utf-8")) for path in SOURCES]
    for number in range(count):
        suffix, stem, text = texts[number % len(texts)]
        rng = random.Random(number)
        extra = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        mark = f"(bench copy {number})"
        if suffix == ".html":
            text = re.sub(r"</title>", f" {mark}</title>", text, count=1)
            text = re.sub(r"</h1>", f" {mark}</h1>", text, count=1)
            text = re.sub(r"</body>", f"<p>{extra}</p>\n</body>", text, count=1)
        elif suffix == ".md":
            text = re.sub(r"^# (.+)$", rf"# \1 {mark}", text, count=1, flags=re.M)
            text = f"{text.rstrip()}\n\n{extra}\n"
        else:
            text = f"{rng.choice(WORDS).capitalize()} and ketamine, notes {mark}\n\n{text}"
            text = f"{text.rstrip()}\n\n{extra}\n"
        yield f"bench/{number // 100:02}/{stem}-{number:04}{suffix}", text.encode("utf-8")


def make_zip(count):
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in generated_files(count):
            archive.writestr(name, data)
    return buffer.getvalue()


class Readers:
    """READERS threads fetching PAGES in turn, each request timed, until stopped."""

    def __init__(self, site):
        self.site = site
        self.stop = threading.Event()
        self.timings: list[float] = []
        self.errors = 0
        self.threads = [threading.Thread(target=self._read, args=(n,), daemon=True)
                        for n in range(READERS)]

    def _read(self, offset):
        import requests

        session = requests.Session()
        index = offset
        next_at = time.perf_counter()
        while not self.stop.wait(max(0.0, next_at - time.perf_counter())):
            next_at += READ_INTERVAL
            url = self.site.url(PAGES[index % len(PAGES)])
            index += 1
            started = time.perf_counter()
            try:
                response = session.get(url, timeout=30, headers={"Accept-Encoding": "gzip"})
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            if ok:
                self.timings.append(elapsed)
            else:
                self.errors += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=40)


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _plain_cookies(session):
    """The site marks its cookies Secure (DEBUG off); the bench talks plain HTTP on
    loopback, so keep them as ordinary cookies or they would never be sent back."""
    cookies = {cookie.name: cookie.value for cookie in session.cookies}
    session.cookies.clear()
    for name, value in cookies.items():
        session.cookies.set(name, value)


def _signed_in(site):
    import requests

    session = requests.Session()
    login = site.url("/admin/login/")
    session.get(login, timeout=30)
    _plain_cookies(session)
    response = session.post(login, timeout=30, allow_redirects=False, data={
        "username": EDITOR, "password": EDITOR_PASSWORD, "next": "/admin/",
        "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, headers={"Referer": login})
    if response.status_code != 302:
        raise RuntimeError(f"the editor could not sign in ({response.status_code})")
    _plain_cookies(session)
    return session


def _upload(site, session, archive):
    """Upload the zip as the admin's form does; return (job id, seconds the request took)."""
    page = site.url("/admin/jobs/job/import/")
    session.get(page, timeout=30)
    _plain_cookies(session)
    started = time.perf_counter()
    response = session.post(
        page, timeout=300, allow_redirects=False,
        data={"tags": "bench", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        files={"files": ("bench-1000.zip", archive, "application/zip")},
        headers={"Referer": page},
    )
    took = time.perf_counter() - started
    match = re.search(r"/admin/jobs/job/(\d+)/change/", response.headers.get("Location", ""))
    if response.status_code != 302 or not match:
        raise RuntimeError(f"the upload was not accepted ({response.status_code}): "
                           f"{response.text[-500:]}")
    return int(match.group(1)), took


def _wait_for(site, session, job_id, worker, *, timeout=600):
    """Poll the progress endpoint until the job is finished; return its last status and
    the distinct "n of N" texts seen on the way."""
    url = site.url(f"/admin/jobs/job/progress/?ids={job_id}")
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited: {worker.stderr.read()[-2000:]}")
        (status,) = session.get(url, timeout=30).json()["jobs"]
        if not seen or seen[-1] != status["progress"]:
            seen.append(status["progress"])
        if status["finished"]:
            return status, seen
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"the job was not finished in {timeout} s ({seen[-1:]})")


def _page_row(name, readers, *, target):
    p50 = percentile(readers.timings, 0.5)
    p99 = percentile(readers.timings, 0.99)
    errors = f", {readers.errors} errors" if readers.errors else ""
    return {
        "benchmark": name,
        "measured": f"p99 {p99:.1f} ms, p50 {p50:.1f} ms ({len(readers.timings)} pages, "
                    f"{READERS} readers{errors})",
        "target": f"p99 < {target:.0f} ms" if target else "report only",
        "ok": (p99 < target and not readers.errors) if target else None,
    }


def _load():
    with open("/proc/loadavg") as stream:
        return stream.read().split()[0]


@contextlib.contextmanager
def postgres_database(server_url):
    """Yield the URL of a new PostgreSQL database on `server_url` (…/NAME: NAME_<random> is
    created beside it), migrated and set up like `prepared_database`; drop it afterwards."""
    import psycopg

    base = urlsplit(server_url)
    name = f"{base.path.strip('/') or 'ks_bench'}_import_job_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(base._replace(path="/postgres"))
    url = urlunsplit(base._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        env = site_env(url)
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=600)
        subprocess.run([PYTHON, "-c", "import django; django.setup(); "
                        "import bench.row_import_job as row; row.setup()"],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=600)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(options=None):
    count = FILES
    if isinstance(options, dict) and options.get("import_job_files"):
        count = int(options["import_job_files"])
    archive = make_zip(count)
    # KETASITE_BENCH_IMPORT_JOB_POSTGRES=postgres://…/NAME runs it on PostgreSQL instead.
    postgres = os.environ.get("KETASITE_BENCH_IMPORT_JOB_POSTGRES", "")
    label = "PostgreSQL" if postgres else "SQLite"
    prepared = (postgres_database(postgres) if postgres
                else prepared_database(setup="bench.row_import_job:setup"))
    with prepared as database, running_site(database) as site:
        worker = subprocess.Popen(
            [PYTHON, "manage.py", "jobs_worker", "--interval", "0.2"], cwd=ROOT,
            env=site_env(database), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True,
        )
        try:
            session = _signed_in(site)
            for path in PAGES * 5:  # warm each gunicorn worker's page cache
                session.get(site.url(path), timeout=30)
            with Readers(site) as idle:
                time.sleep(IDLE_SECONDS)
            load_before = _load()
            with Readers(site) as busy:
                started = time.perf_counter()
                job_id, upload_seconds = _upload(site, session, archive)
                status, seen = _wait_for(site, session, job_id, worker)
                duration = time.perf_counter() - started
            load_after = _load()
        finally:
            stop_process(worker, timeout=15)
    imported = status["done"] - status["failed"]
    updates = max(0, len(seen) - 2)
    return [
        {
            "benchmark": f"import job: {count} files uploaded as one zip in the admin ({label})",
            "measured": f"{duration:.1f} s, {count / duration:.0f} files/s ({imported} imported, "
                        f"{status['failed']} failed; progress seen {updates} times between "
                        f"start and end; load {load_before}→{load_after})",
            "target": "all imported, progress visible",
            "ok": imported == count and status["state"] == "succeeded" and updates > 0,
        },
        {
            "benchmark": "import job: the upload request (check, unpack, queue)",
            "measured": f"{upload_seconds * 1000:.0f} ms",
            "target": "report only",
            "ok": None,
        },
        _page_row("import job: public pages while it runs", busy, target=TARGET_P99_MS),
        _page_row("import job: public pages, no import (yardstick)", idle, target=None),
    ]


if __name__ == "__main__":
    arguments = {"import_job_files": int(sys.argv[1])} if len(sys.argv) > 1 else {}
    for row in run(arguments):
        print(row)
