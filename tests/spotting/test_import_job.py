"""Suggestions appear on import: every import that makes a draft queues a spotting job, which
a worker runs through the real database backend (django-tasks-db) right after the import.

The import itself does not spot (its transaction writes the job, and the task is handed to
the backend on commit); the worker fills the suggestions, so the editorial API lists them
without spotting on the read. A dismissal sticks across a re-import.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from articles.importing import import_bytes
from articles.models import Article
from jobs.models import Job
from spotting.models import Dismissal, SpottedRevision, Suggestion
from tests.conftest import make_user
from tests.spotting.helpers import CLAIM, NOT_A_CLAIM, SECOND_CLAIM, document

pytestmark = pytest.mark.django_db(transaction=True)

# Claims added to the helper's document, so that each import is a text of its own.
EXTRAS = {
    1: "Ketamine lowers suicidal thoughts within 24 hours in 60% of adults.",
    2: "Esketamine raises blood pressure in 30% of adults within 40 minutes.",
}


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.KETASITE_JOB_BACKEND = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    """What `manage.py jobs_worker --batch` does: recover, then run every queued task."""
    call_command("jobs_worker", batch=True, verbosity=0, stderr=io.StringIO())


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed_quotes(user, article):
    response = api_for(user).get(f"/api/v1/editorial/articles/{article.pk}/suggestions/")
    assert response.status_code == 200
    return [item["quote"] for item in response.json()["results"]]


def spotting_jobs():
    return Job.objects.filter(kind="spotting")


def test_imports_by_command_api_and_admin_queue_spotting_and_the_worker_fills_them(
        tmp_path, client):
    editor = make_user("Editors", is_staff=True)
    # The command.
    path = tmp_path / "by-command.txt"
    path.write_bytes(document())
    call_command("import_articles", str(path), stdout=io.StringIO())
    # The API.
    response = api_for(editor).post(
        "/api/v1/editorial/articles/",
        {"format": "text", "content": document(extra=EXTRAS[1]).decode(),
         "source_url": "https://example.org/by-api"}, format="json",
    )
    assert response.status_code == 201, response.content
    # The admin's import page.
    client.force_login(editor)
    upload = SimpleUploadedFile("by-admin.txt", document(extra=EXTRAS[2]))
    response = client.post(reverse("admin:articles_article_import"), {"files": [upload]})
    assert response.status_code == 200
    articles = list(Article.objects.order_by("pk"))
    assert [a.source_url or a.original_filename for a in articles] == [
        "by-command.txt", "https://example.org/by-api", "by-admin.txt"]

    # The first import queued one job for new drafts; the others found it waiting. Nothing
    # was spotted by the imports themselves.
    job = spotting_jobs().get()
    assert job.params == {"new_drafts": True}
    assert job.state == Job.State.QUEUED
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    assert not Suggestion.objects.exists() and not SpottedRevision.objects.exists()

    run_worker()

    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.failed) == (Job.State.SUCCEEDED, 3, 3, 0)
    # Spotted by the worker, before anyone read the suggestions.
    assert set(SpottedRevision.objects.values_list("revision__article_id", flat=True)) == {
        article.pk for article in articles}
    assert [listed_quotes(editor, article) for article in articles] == [
        [CLAIM, SECOND_CLAIM], [CLAIM, SECOND_CLAIM, EXTRAS[1]], [CLAIM, SECOND_CLAIM, EXTRAS[2]]]


def test_without_a_worker_the_first_read_still_spots(settings):
    editor = make_user("Editors")
    article = import_bytes(document(), filename="clinic.txt").article
    first = spotting_jobs().get()
    assert listed_quotes(editor, article) == [CLAIM, SECOND_CLAIM]
    seen = sorted(Suggestion.objects.values_list("pk", flat=True))
    # A worker takes the job: the next import queues another rather than wait for it.
    Job.objects.filter(pk=first.pk).update(state=Job.State.RUNNING)
    import_bytes(document(extra=EXTRAS[1]), filename="second.txt")
    assert spotting_jobs().filter(state=Job.State.QUEUED).exclude(pk=first.pk).count() == 1
    Job.objects.filter(pk=first.pk).update(state=Job.State.QUEUED)
    # The worker then finds the first draft spotted and leaves it as the reader saw it.
    run_worker()
    assert set(spotting_jobs().values_list("state", flat=True)) == {Job.State.SUCCEEDED}
    assert sorted(Suggestion.objects.filter(article=article).values_list("pk", flat=True)
                  ) == seen
    # Off, an import queues nothing.
    settings.KETASITE_SPOT_ON_IMPORT = False
    import_bytes(document(extra=EXTRAS[2]), filename="third.txt")
    assert spotting_jobs().count() == 2


def test_a_dismissal_sticks_across_a_re_import():
    editor = make_user("Editors")
    article = import_bytes(document(), filename="clinic.txt").article
    run_worker()
    listed = api_for(editor).get(
        f"/api/v1/editorial/articles/{article.pk}/suggestions/").json()["results"]
    second = next(item for item in listed if item["quote"] == SECOND_CLAIM)
    response = api_for(editor).post(
        f"/api/v1/editorial/articles/{article.pk}/suggestions/{second['id']}/dismiss/")
    assert response.status_code == 200
    # An unchanged, failed or dry-run import makes no draft and queues nothing, nor does a
    # file whose bytes changed but not its text.
    import_bytes(document(), filename="clinic.txt")
    same_text = import_bytes(document().replace(b"\n", b"\r\n"), filename="clinic.txt")
    assert same_text.result == "unchanged" and same_text.warnings
    import_bytes(b"", filename="empty.txt")
    import_bytes(document(extra=EXTRAS[2]), filename="dry.txt", dry_run=True)
    assert spotting_jobs().count() == 1

    extra = EXTRAS[1]
    outcome = import_bytes(document(extra=extra), filename="clinic.txt")
    assert outcome.result == "new_revision"
    assert spotting_jobs().filter(state=Job.State.QUEUED).count() == 1  # a second job
    run_worker()

    article.refresh_from_db()
    assert SpottedRevision.objects.filter(revision_id=article.draft_id).exists()
    assert Suggestion.objects.filter(revision_id=article.draft_id).count() == 2
    quotes = listed_quotes(editor, article)
    assert SECOND_CLAIM not in quotes
    assert NOT_A_CLAIM not in quotes
    assert quotes == [CLAIM, extra]
    assert Dismissal.objects.filter(article=article).count() == 1
