"""The admin as ketasite's editorial admin: its name in the header and the browser tab.

`EditorialAdminConfig` replaces `django.contrib.admin` in INSTALLED_APPS, so `admin.site` (and
every `@admin.register`) is this site.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class EditorialAdminSite(admin.AdminSite):
    site_header = "ketasite editorial admin"
    # The browser tab reads "<page> | ketasite editorial admin".
    site_title = "ketasite editorial admin"
    index_title = "Dashboard"


class EditorialAdminConfig(AdminConfig):
    default_site = "ketasite.admin_site.EditorialAdminSite"


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that lists and shows its rows but never adds, changes or deletes one (they
    change only through the apps' services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown under an object, never added, changed or deleted there."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
