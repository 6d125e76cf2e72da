from django.contrib import admin

from evidence.models import Annotation, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["title", "pmid", "doi", "journal", "year", "design"]
    list_filter = ["design", "year"]
    search_fields = ["title", "pmid", "doi", "url", "journal", "authors"]


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["exact", "article", "verdict", "certainty", "status"]
    list_filter = ["status", "verdict", "certainty"]
