"""`manage.py load_demo`: demo accounts and the demo articles in demo/. Safe to run again."""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from articles.demo import publish_demo_articles
from articles.importing import import_paths

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
# username → group (None: the superuser).
DEMO_ACCOUNTS = {
    "editor": "Editors",
    "reviewer": "Reviewers",
    "publisher": "Publishers",
    "admin": None,
}
DEMO_TAGS = ("demo",)


def ensure_demo_accounts(*, password_for):
    """Create the demo accounts that are missing; return {username: password or None}.

    Existing accounts keep their password (None in the result); `password_for(username)`
    gives the password of a new one. Each account is put in its group again, in case it left.
    """
    User = get_user_model()
    created = {}
    for username, group_name in DEMO_ACCOUNTS.items():
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = password_for(username)
            email = f"{username}@example.org"
            if group_name is None:
                user = User.objects.create_superuser(username, email, password)
            else:
                user = User.objects.create_user(username, email, password, is_staff=True)
        if group_name is not None:
            group, _ = Group.objects.get_or_create(name=group_name)
            user.groups.add(group)
        created[username] = password
    return created


def load_demo_articles(*, actor=None):
    """Import demo/ through the importer; return the ImportOutcomes (unchanged on re-runs)."""
    return import_paths([DEMO_DIR], tags=DEMO_TAGS, actor=actor)


class Command(BaseCommand):
    help = (
        "Create the demo accounts (editor, reviewer, publisher, admin) and import the demo "
        "articles. Passwords are printed only when DEBUG is on; set KETASITE_DEMO_PASSWORD to "
        "choose one password for all of them. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        fixed = os.environ.get("KETASITE_DEMO_PASSWORD", "")

        def password_for(_username):
            return fixed or secrets.token_urlsafe(12)

        with transaction.atomic():
            accounts = ensure_demo_accounts(password_for=password_for)
        editor = get_user_model().objects.get(username="editor")
        outcomes = load_demo_articles(actor=editor)
        User = get_user_model()
        # The demo's own review steps would otherwise mail every demo account.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            published = publish_demo_articles(
                editor=editor,
                reviewer=User.objects.get(username="reviewer"),
                publisher=User.objects.get(username="publisher"),
            )
        self._report_accounts(accounts)
        for outcome in outcomes:
            line = f"{outcome.result_label:>13}  {outcome.filename}"
            if outcome.failed:
                line += f": {outcome.error}"
            self.stdout.write(line)
        failed = [o for o in outcomes if o.failed]
        if failed:
            self.stderr.write(f"{len(failed)} demo article(s) failed to import.")
        for article in published:
            self.stdout.write(f"    published  {article.slug}")

    def _report_accounts(self, accounts):
        new = {name: pw for name, pw in accounts.items() if pw is not None}
        if not new:
            self.stdout.write("Demo accounts already exist: " + ", ".join(accounts) + ".")
            return
        if not settings.DEBUG:
            self.stdout.write(
                "Created demo accounts " + ", ".join(new) + ". Passwords are not shown when "
                "DEBUG is off; set them with `manage.py changepassword`."
            )
            return
        self.stdout.write("Demo accounts (shown because DEBUG is on):")
        for name, password in new.items():
            self.stdout.write(f"  {name:<10} {password}")
