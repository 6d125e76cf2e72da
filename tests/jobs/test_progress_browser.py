"""In Chromium: a job's page and the Jobs list follow the job's progress without a reload,
under the strict CSP (the poll is a script file)."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from jobs.archives import Member
from jobs.kinds import start_import
from jobs.models import Job, JobUnit
from tests.jobs.helpers import article_text
from tests.security.test_csp_browser import browser, browser_page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_job_page_shows_progress_and_failures_as_they_happen(
    browser_page, live_server,  # noqa: F811 - the fixtures of the CSP browser tests
):
    sign_in(browser_page, live_server)
    job = start_import(members=[Member(name=f"f{n}.txt", data=article_text(n))
                                for n in range(3)], actor=User.objects.get(username="root"))
    # The suite's immediate backend ran it at commit; show it as a worker would have left it
    # half way, then move it on while the page is open.
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, done=1, failed=0)
    JobUnit.objects.filter(job=job).update(state="pending", reason="")
    browser_page.goto(f"{live_server.url}/admin/jobs/job/{job.pk}/change/")
    progress = browser_page.locator(f'[data-job-id="{job.pk}"][data-job-field="progress"]')
    assert progress.text_content() == "1 of 3"
    browser_page.evaluate("window.notReloaded = true")

    JobUnit.objects.filter(job=job, name="f2.txt").update(state="failed", reason="Broken <b>.")
    Job.objects.filter(pk=job.pk).update(state=Job.State.PARTIAL, done=3, failed=1)

    state = browser_page.locator(f'[data-job-id="{job.pk}"][data-job-field="state"]')
    expect(state).to_have_text("Finished with failures", timeout=15000)
    assert progress.text_content() == "3 of 3, 1 failed"
    failures = browser_page.locator(f'[data-job-failures="{job.pk}"]')
    assert failures.text_content().strip() == "f2.txt (failed): Broken <b>."
    assert failures.locator("b").count() == 0  # shown as text, never as markup
    assert browser_page.evaluate("window.notReloaded") is True
    assert browser_page.csp_messages == []
