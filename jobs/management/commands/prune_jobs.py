"""`manage.py prune_jobs [--days N]`: delete finished jobs older than N days (from cron)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jobs.models import Job


class Command(BaseCommand):
    help = ("Delete jobs that finished more than --days days ago (default 30), with their "
            "units. Queued and running jobs are never deleted.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        before = timezone.now() - timedelta(days=days)
        old = Job.objects.filter(state__in=Job.FINISHED_STATES, finished_at__lt=before)
        deleted = old.count()
        old.delete()
        self.stdout.write(f"Deleted {deleted} finished job(s) older than {days} days.")
