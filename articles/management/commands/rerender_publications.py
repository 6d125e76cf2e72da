"""`manage.py rerender_publications`: re-render published pages after a template change."""

from django.core.management.base import BaseCommand, CommandError

from jobs.kinds import start_rerender
from jobs.models import Job
from jobs.progress import run_in_foreground


class Command(BaseCommand):
    help = (
        "Render every publication again from its frozen content with the current templates "
        "(after a deploy that changed the article page or its rendering), then purge the "
        "public page cache. The published text and ratings do not change. Runs here with a "
        "progress bar, or with --background as a job for the workers (see the admin's Jobs)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true",
            help="Also earlier publications, not only the live ones.",
        )
        parser.add_argument(
            "--background", action="store_true",
            help="Queue a job for the workers and return at once.",
        )

    def handle(self, *args, **options):
        if options["background"]:
            job = start_rerender(include_all=options["all"])
            self.stdout.write(f"Queued job {job.pk}: {job.title}.")
            return
        job = start_rerender(include_all=options["all"], run_now=True)
        try:
            job = run_in_foreground(job, stream=self.stderr, label="Re-rendering")
        except Exception as error:
            raise CommandError(f"Re-rendering stopped: {error}")
        rendered = job.done - job.failed
        self.stdout.write(f"Re-rendered {rendered} publication(s); the public cache is purged.")
        if job.state != Job.State.SUCCEEDED:
            for unit in job.units.filter(state="failed"):
                self.stderr.write(f"failed {unit.name}: {unit.reason}")
            raise CommandError(f"{job.failed} publication(s) could not be re-rendered.")
