"""`manage.py spot_drafts [--background]`: run claim spotting again over every draft."""

from django.core.management.base import BaseCommand, CommandError

from jobs.kinds import start_spotting
from jobs.models import Job
from jobs.progress import run_in_foreground


class Command(BaseCommand):
    help = (
        "Run the claim spotter again over the draft of every article that is not archived "
        "(after the spotter or its word lists changed). Dismissed sentences stay dismissed. "
        "Runs here with a progress bar, or with --background as a job for the workers (see "
        "the admin's Jobs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--background", action="store_true",
            help="Queue a job for the workers and return at once.",
        )

    def handle(self, *args, **options):
        if options["background"]:
            job = start_spotting()
            self.stdout.write(f"Queued job {job.pk}: {job.title}.")
            return
        job = start_spotting(run_now=True)
        try:
            job = run_in_foreground(job, stream=self.stderr, label="Spotting claims")
        except Exception as error:
            raise CommandError(f"Claim spotting stopped: {error}")
        self.stdout.write(f"Spotted the drafts of {job.done - job.failed} article(s).")
        if job.state != Job.State.SUCCEEDED:
            for unit in job.units.filter(state="failed"):
                self.stderr.write(f"failed {unit.name}: {unit.reason}")
            raise CommandError(f"{job.failed} draft(s) could not be spotted.")
