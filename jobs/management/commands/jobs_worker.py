"""`manage.py jobs_worker`: run background jobs (the configured backend's worker)."""

import os
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from jobs.services import recover_jobs


class Command(BaseCommand):
    help = (
        "Run jobs as they are queued: django-tasks-db's db_worker with the database backend, "
        "RQ's worker with KETASITE_JOB_BACKEND=rq. First, and then every "
        "KETASITE_JOB_STALE_SECONDS, jobs whose worker stopped are retried (or failed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true",
                            help="Run what is queued, then exit (database backend).")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="Seconds between looks at an empty queue (database backend).")
        parser.add_argument("--no-recovery", action="store_true",
                            help="Do not retry jobs whose worker stopped (another process does).")

    def handle(self, *args, batch, interval, no_recovery, **options):
        backend = settings.KETASITE_JOB_BACKEND
        if backend == "immediate":
            raise CommandError("KETASITE_JOB_BACKEND=immediate runs each job where it starts; "
                               "there is nothing for a worker to do.")
        self._lower_priority()
        if not no_recovery:
            self._recover()
            if not batch:
                self._recover_periodically()
        if backend == "database":
            call_command("db_worker", batch=batch, interval=interval, reload=False,
                         startup_delay=False, verbosity=options["verbosity"])
        else:
            # RQ must build its jobs with django-tasks-rq's class, which calls the Task.
            call_command("rqworker", "default", burst=batch, job_class="django_tasks_rq.Job",
                         verbosity=options["verbosity"])

    def _lower_priority(self):
        """Yield the CPU to the app servers (KETASITE_JOBS_WORKER_NICE); RQ's work horses,
        forked from this process, inherit it."""
        increment = int(settings.KETASITE_JOBS_WORKER_NICE)
        if increment <= 0:
            return
        try:
            os.nice(increment)
        except OSError as error:  # not allowed here: run at the priority we have
            self.stderr.write(f"Could not lower the worker's priority: {error}")

    def _recover(self):
        for line in recover_jobs():
            self.stderr.write(line)

    def _recover_periodically(self):
        stop = threading.Event()
        period = max(1.0, settings.KETASITE_JOB_STALE_SECONDS / 2)

        def loop():
            while not stop.wait(period):
                try:
                    self._recover()
                except Exception as error:  # noqa: BLE001 - the worker itself must go on
                    self.stderr.write(f"Job recovery failed this time: {error}")
                finally:
                    connection.close()

        threading.Thread(target=loop, name="jobs-recovery", daemon=True).start()
