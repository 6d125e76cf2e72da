"""Jobs through the real database backend (django-tasks-db), run by its worker in this process.

A started job waits in the database until a worker takes it; each unit commits on its own;
a failed unit leaves nothing behind and is listed with its reason; a run that lost its job
cannot commit another unit. tests/jobs/test_worker_process.py runs the same with real worker
processes, one of them killed mid-import.
"""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import workflow
from articles.models import Article, ImportRecord, Publication
from jobs.archives import Member
from jobs.kinds import start_import, start_rerender
from jobs.models import Job, JobUnit
from jobs.registry import register_job_kind
from jobs.runner import JobLost, JobRun, UnitResult, execute_job
from jobs.services import recover_jobs, start_job
from tests.conftest import make_article, make_blocks, make_user, publish_now
from tests.jobs.helpers import article_text
from tests.workflow.conftest import ready_article

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.KETASITE_JOB_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    """What `manage.py jobs_worker --batch` does: recover, then run every queued task."""
    call_command("jobs_worker", batch=True, verbosity=0, stderr=StringIO())


def files(*numbers, empty=()):
    return [Member(name=f"file-{n}.txt", data=b"" if n in empty else article_text(n))
            for n in numbers]


def test_a_started_job_waits_in_the_database_until_a_worker_runs_it():
    job = start_import(members=files(1, 2, 3, empty=[2]), actor=None)
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    assert Article.objects.count() == 0

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.failed) == (Job.State.PARTIAL, 3, 3, 1)
    assert job.progress_text == "3 of 3, 1 failed"
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert sorted(Article.objects.values_list("original_filename", flat=True)) == [
        "file-1.txt", "file-3.txt"]
    failed = JobUnit.objects.get(job=job, state=JobUnit.State.FAILED)
    assert (failed.name, failed.reason) == ("file-2.txt", "The file is empty.")
    # The bytes waited in the job only until their unit was done.
    assert not any(bytes(unit.data) for unit in JobUnit.objects.filter(job=job))


calls = []


def groups_job(job_run: JobRun):
    """A test kind: each unit writes a group, and the second then fails."""
    job_run.set_total(3)
    for number in (1, 2, 3):
        def work(number=number):
            Group.objects.create(name=f"unit-{number}")
            calls.append(number)
            if number == 2:
                raise ValueError("the second unit breaks after writing")
            return UnitResult(outcome="made")
        job_run.run_unit(work, name=f"unit {number}")


register_job_kind("test-groups", label="Test: groups", run=groups_job)


def test_a_failed_unit_leaves_the_database_as_it_was_and_the_others_are_kept():
    job = start_job(kind="test-groups", title="Groups")
    run_worker()
    job.refresh_from_db()
    assert calls[-3:] == [1, 2, 3]  # the second unit did write before it failed
    assert sorted(Group.objects.filter(name__startswith="unit-").values_list(
        "name", flat=True)) == ["unit-1", "unit-3"]
    assert (job.state, job.done, job.failed) == (Job.State.PARTIAL, 3, 1)
    failure = JobUnit.objects.get(job=job)
    assert failure.name == "unit 2"
    assert failure.reason == "ValueError: the second unit breaks after writing"


def test_importing_the_same_file_twice_gives_one_article():
    first = start_import(members=files(7), actor=None)
    run_worker()
    second = start_import(members=files(7), actor=None)
    run_worker()
    assert Article.objects.count() == 1
    assert JobUnit.objects.get(job=first).outcome == "created"
    assert JobUnit.objects.get(job=second).outcome == "unchanged"
    assert ImportRecord.objects.count() == 1


def test_workflow_mail_is_sent_by_the_worker_not_in_the_request(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    workflow.submit(article, actor=editor, comment="Please look at the dosing section.")
    assert mail.outbox == []
    job = Job.objects.get(kind="notify")
    assert job.state == Job.State.QUEUED

    run_worker()

    assert [message.to for message in mail.outbox] == [[reviewer.email]]
    assert "Review requested: A test article" in mail.outbox[0].subject
    assert "Please look at the dosing section." in mail.outbox[0].body
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED


def test_no_mail_job_is_left_by_a_transition_that_failed(editor, reviewer):
    article = ready_article(author=editor, reviewer=reviewer)
    article.review_assignments.all().delete()
    with pytest.raises(workflow.GateFailed):
        workflow.submit(article, actor=editor)
    assert not Job.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_rerendering_runs_as_a_job():
    article = make_article(title="Ketamine and sleep",
                           blocks=make_blocks("Ketamine may disturb sleep."))
    publication = publish_now(article)
    Publication.objects.filter(pk=publication.pk).update(page_main_html=b"<main>old</main>")
    job = start_rerender()
    run_worker()
    job.refresh_from_db()
    publication.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.SUCCEEDED, 1, 1)
    assert b"<main>old</main>" not in bytes(publication.page_main_html)


def test_rerender_command_queues_a_job_with_background():
    out = StringIO()
    call_command("rerender_publications", "--background", stdout=out)
    job = Job.objects.get()
    assert f"Queued job {job.pk}" in out.getvalue()
    assert job.kind == "rerender" and job.state == Job.State.QUEUED


def test_export_runs_as_a_job_and_writes_the_file_whole(tmp_path):
    article = make_article(title="Exported article")
    target = tmp_path / "backup.json"
    call_command("export_site", str(target), "--background", stdout=StringIO())
    assert not target.exists()
    run_worker()
    document = json.loads(target.read_text())
    assert document["format"] == "ketasite-export"
    assert [row["pk"] for row in document["models"]["articles.article"]] == [article.pk]
    assert Job.objects.get(kind="export").state == Job.State.SUCCEEDED
    assert not list(tmp_path.glob("*.partial"))


def _as_if_its_worker_died(job, *, attempts=1, seconds_ago=600):
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, attempts=attempts,
        heartbeat_at=timezone.now() - timedelta(seconds=seconds_ago),
    )
    job.refresh_from_db()
    return job


def test_a_job_whose_worker_died_is_retried_and_its_old_run_can_no_longer_commit(settings):
    job = start_import(members=files(1, 2), actor=None)
    old_token = job.run_token
    lost = _as_if_its_worker_died(job)
    lines = recover_jobs()
    assert len(lines) == 1 and "retried" in lines[0]
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.run_token != old_token
    # The lost run, were it still alive, can neither claim the job nor commit a unit.
    assert execute_job(job.pk, old_token) == {"job": job.pk, "ran": False}
    stale_run = JobRun(lost)
    unit = JobUnit.objects.filter(job=job).first()
    with pytest.raises(JobLost):
        stale_run.run_unit(lambda: Group.objects.create(name="written-by-a-lost-run"),
                           name=unit.name, unit=unit)
    assert not Group.objects.filter(name="written-by-a-lost-run").exists()

    run_worker()
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == (Job.State.SUCCEEDED, 2, 2)
    assert Article.objects.count() == 2


def test_a_job_out_of_attempts_is_failed_and_keeps_its_finished_units(settings):
    settings.KETASITE_JOB_MAX_ATTEMPTS = 2
    job = start_import(members=files(1, 2, 3), actor=None)
    # One unit was finished before the worker died.
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    JobRun(Job.objects.get(pk=job.pk)).run_unit(
        lambda: UnitResult(), name="file-1.txt",
        unit=JobUnit.objects.get(job=job, name="file-1.txt"),
    )
    _as_if_its_worker_died(job, attempts=2)
    lines = recover_jobs()
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "attempt 2 of 2" in job.message and "1 of 3 units finished are kept" in job.message
    assert lines == [f"Job {job.pk} ({job.title}): {job.message}"]
    assert JobUnit.objects.get(job=job, name="file-1.txt").state == JobUnit.State.DONE


def test_a_job_with_a_fresh_heartbeat_is_left_alone():
    job = start_import(members=files(1), actor=None)
    _as_if_its_worker_died(job, seconds_ago=5)
    assert recover_jobs() == []
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING


def test_a_job_never_handed_to_the_backend_is_enqueued_by_recovery():
    job = start_import(members=files(1), actor=None)
    DBTaskResult.objects.all().delete()
    Job.objects.filter(pk=job.pk).update(task_id="",
                                         created_at=timezone.now() - timedelta(hours=1))
    assert "never enqueued" in recover_jobs()[0]
    run_worker()
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED


def test_prune_jobs_deletes_only_finished_jobs_older_than_the_limit():
    old_done, recent_done, old_running = (start_import(members=files(n), actor=None)
                                          for n in (1, 2, 3))
    long_ago = timezone.now() - timedelta(days=40)
    Job.objects.filter(pk=old_done.pk).update(state=Job.State.SUCCEEDED, finished_at=long_ago)
    Job.objects.filter(pk=recent_done.pk).update(state=Job.State.SUCCEEDED,
                                                 finished_at=timezone.now())
    Job.objects.filter(pk=old_running.pk).update(state=Job.State.RUNNING,
                                                 created_at=long_ago)
    out = StringIO()
    call_command("prune_jobs", "--days", "30", stdout=out)
    assert "Deleted 1 finished job(s)" in out.getvalue()
    assert sorted(Job.objects.values_list("pk", flat=True)) == [recent_done.pk, old_running.pk]
    assert not JobUnit.objects.filter(job_id=old_done.pk).exists()


def test_claim_spotting_reruns_over_every_draft_as_a_job():
    from jobs.kinds import start_spotting
    from spotting.models import SpottedRevision, Suggestion

    claim = "Ketamine cures depression in 90% of patients within one day."
    drafts = [make_article(title=f"Spotted {n}", blocks=make_blocks(claim)) for n in range(3)]
    archived = make_article(title="Archived", blocks=make_blocks(claim))
    Article.objects.filter(pk=archived.pk).update(state=Article.State.ARCHIVED)
    job = start_spotting()
    run_worker()
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.SUCCEEDED, 3, 3)
    spotted = set(SpottedRevision.objects.values_list("revision__article_id", flat=True))
    assert spotted == {article.pk for article in drafts}
    assert Suggestion.objects.filter(article_id=drafts[0].pk).exists()


def test_spot_drafts_runs_here_with_a_progress_bar_or_queues_a_job():
    from spotting.models import SpottedRevision

    claim = "Ketamine cures depression in 90% of patients within one day."
    drafts = [make_article(title=f"Spotted {n}", blocks=make_blocks(claim)) for n in range(2)]
    class Terminal(StringIO):
        def isatty(self):
            return True

    out, err = StringIO(), Terminal()
    call_command("spot_drafts", stdout=out, stderr=err)
    assert "Spotted the drafts of 2 article(s)." in out.getvalue()
    assert "Spotting claims" in err.getvalue() and "2/2" in err.getvalue()  # the bar, at its end
    assert set(SpottedRevision.objects.values_list("revision__article_id", flat=True)) == {
        article.pk for article in drafts}
    assert Job.objects.get().state == Job.State.SUCCEEDED  # ran here: nothing queued
    assert not DBTaskResult.objects.exists()

    call_command("spot_drafts", "--background", stdout=out)
    queued = Job.objects.get(state=Job.State.QUEUED)
    assert f"Queued job {queued.pk}: Re-run claim spotting over all drafts." in out.getvalue()
    assert DBTaskResult.objects.get(id=queued.task_id).status == "READY"


def test_review_reminders_with_background_are_sent_by_the_worker():
    from tests.reviews.conftest import live_article

    cast = {role: make_user(group, username=role, is_staff=True) for role, group in
            [("editor", "Editors"), ("reviewer", "Reviewers"), ("publisher", "Publishers")]}
    article = live_article(cast)
    run_worker()  # the workflow's own mail
    mail.outbox.clear()
    Article.objects.filter(pk=article.pk).update(
        review_due=timezone.localdate() + timedelta(days=3))
    out = StringIO()
    call_command("review_reminders", "--background", stdout=out)
    job = Job.objects.get(kind="reminders")
    assert f"Queued job {job.pk}: Review reminders." in out.getvalue()
    assert mail.outbox == []  # nothing sent by the command itself

    run_worker()

    assert [message.to for message in mail.outbox] == [[cast["reviewer"].email]]
    assert "due for review" in mail.outbox[0].subject
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.SUCCEEDED, 1, 1)
    # Retried (or queued twice): the same week's reminder is not sent again.
    start_job(kind="reminders", title="Review reminders")
    run_worker()
    assert len(mail.outbox) == 1


def test_mail_about_a_changed_claim_rating_is_sent_by_the_worker(editor, reviewer):
    from claims import services
    from tests.claims.helpers import linked_article, rated_claim

    claim = rated_claim(editor=editor, reviewer=reviewer, verdict="unsupported",
                        certainty="very_low", note="No trial in ADHD.")
    article, _ = linked_article(claim, editor=editor, reviewer=reviewer)
    Article.objects.filter(pk=article.pk).update(created_by=editor)
    run_worker()  # the workflow's own mail
    mail.outbox.clear()
    claim.refresh_from_db()
    services.rate_claim(claim, actor=reviewer, expected_version=claim.version,
                        verdict="contradicted", certainty="moderate")
    assert mail.outbox == []  # not in the request
    job = Job.objects.get(kind="notify", state=Job.State.QUEUED)

    run_worker()

    assert [message.to for message in mail.outbox] == [[editor.email]]
    assert "Re-review needed" in mail.outbox[0].subject
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED
