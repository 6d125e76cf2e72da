"""`manage.py recover_jobs`: retry jobs whose worker stopped (run it from cron, or rely on
`jobs_worker`, which does the same every KETASITE_JOB_STALE_SECONDS)."""

from django.core.management.base import BaseCommand

from jobs.services import recover_jobs


class Command(BaseCommand):
    help = ("Retry (or, after KETASITE_JOB_MAX_ATTEMPTS, fail) running jobs whose worker stopped "
            "writing its heartbeat, and enqueue queued jobs that never reached the backend.")

    def handle(self, *args, **options):
        lines = recover_jobs()
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(f"{len(lines)} job(s) recovered.")
