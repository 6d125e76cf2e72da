"""The Jobs page: staff only, each job's state and progress, kept current by a polled JSON
endpoint (a script file, no inline script), and the same number of queries for 1 or N jobs."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from jobs.archives import Member
from jobs.kinds import start_import
from jobs.models import Job, JobUnit
from tests.conftest import make_user
from tests.jobs.helpers import article_text

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:jobs_job_changelist"
PROGRESS = "admin:jobs_job_progress"


def importer(username="importer"):
    user = make_user("Editors", username=username, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_article"))
    return user


def admin_user():
    return make_user(username="boss", is_staff=True, is_superuser=True)


def queued_import(actor, count=2):
    """A job as the request leaves it (the suite's test transaction never commits, so the
    enqueue on commit never runs): queued, its files pending."""
    return start_import(
        members=[Member(name=f"f{n}.txt", data=article_text(n)) for n in range(count)]
        + [Member(name="../bad.txt", refused="its path climbs out of the archive (../).")],
        actor=actor,
    )


def test_anonymous_and_non_staff_users_get_no_jobs(client):
    job = queued_import(None)
    for url in (reverse(CHANGELIST), reverse(PROGRESS) + f"?ids={job.pk}",
                reverse("admin:jobs_job_change", args=[job.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(make_user("Editors", username="not-staff"))
    response = client.get(reverse(PROGRESS) + f"?ids={job.pk}")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_staff_without_an_import_or_jobs_permission_are_refused(client):
    job = queued_import(None)
    client.force_login(make_user(username="clerk", is_staff=True))
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse(PROGRESS) + f"?ids={job.pk}").status_code == 403


def test_an_importer_sees_their_own_jobs_only(client):
    mine, theirs = importer(), importer("other")
    my_job, their_job = queued_import(mine), queued_import(theirs)
    client.force_login(mine)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert f'data-job-id="{my_job.pk}"' in page
    assert f'data-job-id="{their_job.pk}"' not in page
    assert client.get(reverse("admin:jobs_job_change", args=[their_job.pk])).status_code == 404
    body = client.get(reverse(PROGRESS) + f"?ids={my_job.pk},{their_job.pk}").json()
    assert [job["id"] for job in body["jobs"]] == [my_job.pk]


def test_the_changelist_shows_state_and_progress_with_a_script_file_and_no_inline_script(
    client,
):
    job = queued_import(importer())
    client.force_login(admin_user())
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert re.search(rf'data-job-id="{job.pk}" data-job-field="state"[^>]*>Queued<', page)
    assert re.search(rf'data-job-id="{job.pk}" data-job-field="progress"[^>]*>1 of 3, 1 failed<',
                     page)
    assert re.search(r'<script src="[^"]*js/job_progress\.js"', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert " on" + "click=" not in page and 'style="' not in page


def test_the_job_page_lists_each_failure_with_its_reason(client):
    job = queued_import(importer())
    client.force_login(admin_user())
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "<strong>../bad.txt</strong> (refused): its path climbs out of the archive (../)." \
        in page
    assert f'data-job-failures="{job.pk}"' in page


def test_the_progress_endpoint_reports_state_counts_and_failures(client):
    job = queued_import(importer())
    JobUnit.objects.filter(job=job, name="f0.txt").update(state="done")
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, done=2)
    client.force_login(admin_user())
    response = client.get(reverse(PROGRESS) + f"?ids={job.pk}&failures=1")
    assert "no-store" in response["Cache-Control"]
    (status,) = response.json()["jobs"]
    assert status["state"] == "running" and status["state_label"] == "Running"
    assert (status["done"], status["total"], status["failed"]) == (2, 3, 1)
    assert status["progress"] == "2 of 3, 1 failed" and status["finished"] is False
    assert status["failures"] == [{"name": "../bad.txt", "state": "refused",
                                   "reason": "its path climbs out of the archive (../)."}]


def test_names_and_reasons_are_escaped(client):
    job = start_import(members=[Member(name="<script>x</script>.txt", refused="<b>no</b>")],
                       actor=importer())
    client.force_login(admin_user())
    page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert "<script>x</script>" not in page and "<b>no</b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;.txt" in page


def test_the_changelist_and_the_progress_endpoint_cost_the_same_queries_for_1_or_20_jobs(
    client, django_assert_max_num_queries,
):
    actor = importer()
    client.force_login(admin_user())
    jobs = [queued_import(actor)]

    def measure():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        ids = ",".join(str(job.pk) for job in jobs)
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        with CaptureQueriesContext(connection) as poll:
            assert client.get(reverse(PROGRESS) + f"?ids={ids}").status_code == 200
        return len(page), len(poll)

    one = measure()
    jobs.extend(queued_import(actor) for _ in range(19))
    assert measure() == one


def test_only_publishers_may_start_a_rerender(client):
    client.force_login(importer())
    assert client.post(reverse("admin:jobs_job_rerender")).status_code == 403
    assert not Job.objects.filter(kind="rerender").exists()
    publisher = make_user("Publishers", username="pub", is_staff=True)
    client.force_login(publisher)
    response = client.post(reverse("admin:jobs_job_rerender"))
    job = Job.objects.get(kind="rerender")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.created_by == publisher


def test_the_import_page_needs_the_add_article_permission(client):
    client.force_login(make_user(username="clerk", is_staff=True))
    assert client.get(reverse("admin:jobs_job_import")).status_code == 403
    client.force_login(importer())
    page = client.get(reverse("admin:jobs_job_import")).content.decode()
    assert 'type="file"' in page and "multiple" in page


def test_editors_start_claim_spotting_over_all_drafts_from_the_jobs_page(client):
    clerk = make_user(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="add_article"))
    client.force_login(clerk)  # may import (sees the Jobs page) but not change articles
    assert "Re-run claim spotting" not in client.get(reverse(CHANGELIST)).content.decode()
    assert client.post(reverse("admin:jobs_job_spotting")).status_code == 403
    assert not Job.objects.filter(kind="spotting").exists()

    editor = importer("editor")  # in Editors: may change articles
    client.force_login(editor)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "Re-run claim spotting over all drafts" in page
    assert client.get(reverse("admin:jobs_job_spotting")).status_code == 405  # POST only
    response = client.post(reverse("admin:jobs_job_spotting"))
    job = Job.objects.get(kind="spotting")
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.created_by == editor
