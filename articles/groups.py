"""The editorial groups and their permissions.

Migration 0002 created them; `ensure_editorial_groups` puts back any that are missing (a test
database flushed between transactional tests, or a site restored from an export).
"""

import importlib

from django.apps import apps as global_apps

GROUP_NAMES = ("Editors", "Reviewers", "Publishers")


def ensure_editorial_groups():
    """Create the editorial groups with their permissions if any is missing."""
    from django.contrib.auth.models import Group

    if Group.objects.filter(name__in=GROUP_NAMES).count() == len(GROUP_NAMES):
        return
    migration = importlib.import_module("articles.migrations.0002_groups")
    migration.create_groups(global_apps, None)
