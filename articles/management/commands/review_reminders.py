"""Email reviewers about live articles due for review within 14 days, or overdue.

Run daily from cron. At most one reminder a week per article, however often it runs; safe to
run twice at once (`articles.reviewing.send_review_reminders`).
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from articles.reviewing import send_review_reminders
from jobs.kinds import start_reminders


class Command(BaseCommand):
    help = ("Email reviewers about articles due for review within 14 days and overdue ones. "
            "With --background, queue a job and let a worker send them.")

    def add_arguments(self, parser):
        parser.add_argument("--background", action="store_true",
                            help="Queue a job for the workers (see the admin's Jobs) and "
                            "return at once.")

    def handle(self, *args, **options):
        if options["background"]:
            job = start_reminders()
            self.stdout.write(f"Queued job {job.pk}: {job.title}.")
            return
        report = send_review_reminders(now=timezone.now())
        for email, titles in sorted(report.sent.items()):
            self.stdout.write(f"reminded {email}: {'; '.join(titles)}")
        for article, reason in report.skipped:
            self.stderr.write(f"not reminded about {article.slug}: {reason}")
        if options["verbosity"] > 1 and not report.sent and not report.skipped:
            self.stdout.write("no article due for a reminder")
