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
