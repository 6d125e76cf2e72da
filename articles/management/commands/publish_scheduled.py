"""Publish the approved articles whose scheduled time has come, and take down those due to go.

Safe to run every minute from cron, and from several machines at once: each article is locked
while it is handled (rows another run holds are skipped) and its schedule is checked again
under the lock, so nothing is published twice.

It also re-renders the few live pages whose "due for review" notice must appear or go today
(`articles.reviewing.refresh_overdue_notices`): the page is frozen at publish, and this
keeps the notice right within a minute of the date changing, at no cost per request.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from articles.reviewing import refresh_overdue_notices
from articles.workflow import publish_due


class Command(BaseCommand):
    help = "Publish scheduled articles that are due and take down those due to be unpublished."

    def handle(self, *args, **options):
        report = publish_due(now=timezone.now())
        for article in report["published"]:
            self.stdout.write(f"published {article.slug}")
        for article in report["unpublished"]:
            self.stdout.write(f"unpublished {article.slug}")
        for article, message in report["failed"]:
            self.stderr.write(f"not published {article.slug}: {message}")
        notices = refresh_overdue_notices(today=timezone.localdate())
        if notices:
            self.stdout.write(f"review notices changed on {notices} page(s)")
        if options["verbosity"] > 1 and not any(report.values()) and not notices:
            self.stdout.write("nothing due")
