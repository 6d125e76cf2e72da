"""Who holds which editorial right: the permission names and the one way to test them.

A role is a permission, never a group name: groups (Editors, Reviewers, Publishers) are only
bundles of these permissions, so a user given a permission directly has the role too.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

PERM_SUBMIT = "articles.submit_article"
PERM_REVIEW = "articles.review_article"
PERM_PUBLISH = "articles.publish_article"
PERM_EDIT = "articles.change_article"
PERM_ASSIGN = "articles.add_reviewassignment"
PERM_ADD = "articles.add_article"  # create an article: in the admin or by importing



def has_permission(user: Any, permission: str) -> bool:
    """Return whether `user` is an active, signed-in account holding `permission`."""
    return bool(
        user is not None and user.is_authenticated and user.is_active
        and user.has_perm(permission)
    )


def is_reviewer(user: Any) -> bool:
    """Return whether `user` may review: rate evidence, request changes, approve."""
    return has_permission(user, PERM_REVIEW)


def reviewers() -> QuerySet[Any]:
    """Return the active users who hold the review permission (directly, through a group,
    or as superusers), by username: the people an article can be assigned to."""
    app_label, codename = PERM_REVIEW.split(".")
    permission = Permission.objects.filter(
        content_type__app_label=app_label, codename=codename
    )
    return (
        get_user_model().objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("username")
    )
