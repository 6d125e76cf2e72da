"""The one task the backend runs: a job, by id, for the run token it was enqueued with.

Through the Django Tasks API (`django_tasks`, the backport of Django 6's `django.tasks`), so
the database and RQ backends run the same function.
"""

from django_tasks import task

from jobs.runner import execute_job


@task()
def run_job(job_id: int, token: str) -> dict:
    return execute_job(job_id, token)
