"""Admin for articles. State changes go through articles/workflow.py, never a form field."""

from django.contrib import admin
from django.urls import path

from articles.models import Article, ImportRecord, Publication, Revision, WorkflowEvent


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "state", "updated_at"]
    list_filter = ["state", "tags"]
    search_fields = ["slug", "draft__title", "draft__summary", "source_url", "original_filename"]
    readonly_fields = ["uuid", "state", "origin_key", "origin_sha256", "created_at", "updated_at"]
    list_select_related = ["draft"]

    def get_urls(self):
        from articles.importing.admin_views import import_articles_view

        custom = [
            path(
                "import/",
                self.admin_site.admin_view(import_articles_view),
                name="articles_article_import",
            ),
        ]
        return custom + super().get_urls()


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "title", "author", "created_at"]
    search_fields = ["title", "article__slug"]
    list_select_related = ["article", "author"]

    def has_change_permission(self, request, obj=None):
        return False  # revisions are immutable

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    list_display = ["filename", "result", "format", "encoding", "size", "created_at"]
    list_filter = ["result", "format"]
    search_fields = ["filename", "source_url", "sha256"]
    exclude = ["raw"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Publication)
class PublicationAdmin(admin.ModelAdmin):
    list_display = ["title", "article", "number", "published_at"]
    exclude = ["body_html", "public_json", "search_text"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkflowEvent)
class WorkflowEventAdmin(admin.ModelAdmin):
    list_display = ["article", "action", "from_state", "to_state", "actor", "created_at"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
