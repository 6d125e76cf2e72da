"""Create the three editorial groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "Editors": [
        ("articles", "add_article"), ("articles", "change_article"), ("articles", "view_article"),
        ("articles", "submit_article"), ("articles", "view_revision"),
        ("articles", "add_importrecord"), ("articles", "view_importrecord"),
        ("articles", "view_workflowevent"), ("articles", "view_reviewassignment"),
        ("articles", "add_reviewassignment"), ("articles", "change_reviewassignment"),
        ("articles", "delete_reviewassignment"),
        ("evidence", "add_annotation"), ("evidence", "change_annotation"),
        ("evidence", "view_annotation"), ("evidence", "delete_annotation"),
        ("evidence", "add_source"), ("evidence", "change_source"), ("evidence", "view_source"),
        ("evidence", "add_reviewcomment"), ("evidence", "view_reviewcomment"),
        ("evidence", "view_citation"),
    ],
    "Reviewers": [
        ("articles", "view_article"), ("articles", "review_article"),
        ("articles", "view_revision"), ("articles", "view_workflowevent"),
        ("articles", "view_reviewassignment"), ("articles", "view_importrecord"),
        ("evidence", "add_annotation"), ("evidence", "change_annotation"),
        ("evidence", "view_annotation"),
        ("evidence", "add_source"), ("evidence", "change_source"), ("evidence", "view_source"),
        ("evidence", "add_reviewcomment"), ("evidence", "change_reviewcomment"),
        ("evidence", "view_reviewcomment"), ("evidence", "view_citation"),
        ("evidence", "view_ratingchange"),
    ],
    "Publishers": [
        ("articles", "view_article"), ("articles", "publish_article"),
        ("articles", "view_revision"), ("articles", "view_publication"),
        ("articles", "view_workflowevent"), ("articles", "view_reviewassignment"),
        ("articles", "add_reviewassignment"), ("articles", "change_reviewassignment"),
        ("evidence", "view_annotation"), ("evidence", "view_source"),
        ("evidence", "view_reviewcomment"), ("evidence", "view_citation"),
    ],
}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in codenames:
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("evidence", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
