"""In Chromium: a zip of many files uploaded through the admin becomes a job whose page follows
its progress ("n of N") and its failures without a reload, under the strict CSP (the poll is
a script file).

The path of the 1,000-file import (`make bench`, row import_job) with a smaller N: the upload
is queued on the database backend, and its worker (django-tasks-db's loop, in a thread of
this process, each file slowed a little) imports it while the page is open.
"""

import threading
import time
import zipfile

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from playwright.sync_api import expect

from jobs import kinds
from jobs.models import Job
from tests.jobs.helpers import article_text
from tests.security.test_csp_browser import browser, browser_page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILES = 12
TOTAL = FILES + 2  # and a refused member and an empty file
SECONDS_PER_FILE = 0.2  # 2.4 s in all: the page's two-second poll sees the job half way


@pytest.fixture
def slow_worker(settings, monkeypatch):
    """Queue jobs on the database backend; return a function starting one worker thread
    that runs what is queued, each file taking SECONDS_PER_FILE longer."""
    settings.KETASITE_JOB_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    import_unit = kinds._import_unit

    def slow_import_unit(unit, **kwargs):
        time.sleep(SECONDS_PER_FILE)
        return import_unit(unit, **kwargs)

    monkeypatch.setattr(kinds, "_import_unit", slow_import_unit)
    threads = []

    def start():
        def work():
            # django-tasks-db's own worker loop (what `jobs_worker` runs), without the
            # signal handlers that only a main thread may set.
            try:
                Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
                       startup_delay=False, max_tasks=None, worker_id="browser-test",
                       excluded_queue_names=[]).run()
            finally:
                connection.close()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        threads.append(thread)

    yield start
    for thread in threads:
        thread.join(timeout=60)


def test_an_uploaded_zip_shows_n_of_n_progress_and_failures_without_a_reload(
    browser_page, live_server, slow_worker, tmp_path,  # noqa: F811 - the CSP browser fixtures
):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as stream:
        for number in range(FILES):
            stream.writestr(f"batch/file-{number:03}.txt", article_text(number))
        stream.writestr("../escape.txt", article_text(99))
        stream.writestr("batch/<b>empty</b>.txt", b"")
    sign_in(browser_page, live_server)

    browser_page.goto(f"{live_server.url}/admin/jobs/job/import/")
    browser_page.set_input_files("#id_files", str(archive))
    browser_page.click("input[type=submit]")
    browser_page.wait_for_url("**/admin/jobs/job/*/change/")
    job = Job.objects.get()
    progress = browser_page.locator(f'[data-job-id="{job.pk}"][data-job-field="progress"]')
    # Queued: the refused member is counted (and listed) at once, nothing imported yet.
    assert progress.text_content() == f"1 of {TOTAL}, 1 failed"
    failures = browser_page.locator(f'[data-job-failures="{job.pk}"]')
    assert "../escape.txt (refused): its path climbs out" in failures.text_content()
    browser_page.evaluate("window.notReloaded = true")

    slow_worker()
    seen = [progress.text_content()]
    deadline = time.monotonic() + 60
    while not seen[-1].startswith(f"{TOTAL} of {TOTAL}"):
        assert time.monotonic() < deadline, f"the page stopped at {seen[-1]!r}"
        browser_page.wait_for_timeout(100)
        text = progress.text_content()
        if text != seen[-1]:
            seen.append(text)

    done = [int(text.split(" of ")[0]) for text in seen]
    assert done == sorted(done) and len(set(done)) == len(done)  # only ever forward
    assert any(1 < count < TOTAL for count in done), seen  # seen half way, not only at the end
    assert seen[-1] == f"{TOTAL} of {TOTAL}, 2 failed"
    state = browser_page.locator(f'[data-job-id="{job.pk}"][data-job-field="state"]')
    expect(state).to_have_text("Finished with failures")
    listed = failures.text_content()
    assert "<b>empty</b>.txt (failed):" in listed and "empty" in listed.split("(failed):")[1]
    assert failures.locator("b").count() == 0  # names shown as text, never as markup
    assert browser_page.evaluate("window.notReloaded") is True
    assert browser_page.csp_messages == []
    job.refresh_from_db()
    assert (job.state, job.done, job.failed) == (Job.State.PARTIAL, TOTAL, 2)
