"""Admin for sources and annotations. Saves go through the service functions, never around them."""

from django.contrib import admin, messages
from django.urls import path
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from evidence.annotations import (
    AnnotationNotAllowed,
    StaleAnnotation,
    delete_annotation,
    resolve_annotation,
)
from evidence.forms import AnnotationForm, SourceForm
from evidence.models import Annotation, RatingChange, ReviewComment, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ["__str__", "pmid", "doi", "journal", "year", "design"]
    list_filter = ["design", "year"]
    search_fields = ["title", "pmid", "doi", "url", "journal", "authors"]
    readonly_fields = ["created_at", "updated_at"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReviewCommentInline(ReadOnlyInline):
    """The internal review thread; written through the editorial API, read here."""

    model = ReviewComment
    fields = ["author", "body", "created_at", "resolved_at", "resolved_by"]
    readonly_fields = fields


class RatingChangeInline(ReadOnlyInline):
    model = RatingChange
    fields = ["created_at", "actor", "field", "old_value", "new_value"]
    readonly_fields = fields
    verbose_name_plural = "rating history"


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    form = AnnotationForm
    list_display = ["quote", "article", "verdict", "certainty", "status", "version", "modified_at"]
    list_filter = ["status", "verdict", "certainty"]
    search_fields = ["exact", "note", "article__slug"]
    list_select_related = ["article__draft"]
    readonly_fields = [
        "revision", "exact", "prefix", "suffix", "rendered_note", "status", "author", "version",
        "first_published_at", "created_at", "modified_at",
    ]
    autocomplete_fields = ["sources"]
    inlines = [ReviewCommentInline, RatingChangeInline]
    actions = ["resolve_selected"]

    @admin.display(description="quote", ordering="exact")
    def quote(self, annotation):
        text = " ".join(annotation.exact.split())
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description="note as readers see it")
    def rendered_note(self, annotation):
        # note_html was sanitised by ketasite.sanitize when the note was saved.
        return mark_safe(annotation.note_html) if annotation.note_html else "—"  # noqa: S308

    def get_fields(self, request, obj=None):
        editable = ["block_id", "start", "end", "exact_check", "certainty", "verdict", "note",
                    "sources", "expected_version"]
        if obj is None:
            return ["article", *editable]
        return [*editable, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [
            f for f in self.get_fields(request, obj)
            if f not in self.get_readonly_fields(request, obj)
            and f not in ("exact_check", "expected_version")
        ]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        """The form saved the annotation through the service while validating."""
        form.instance = form.saved_annotation

    def save_related(self, request, form, formsets, change):
        """Sources were set by the service; the read-only inlines save nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self):
        # The annotator page (evidence/annotator.py): /admin/evidence/annotation/annotate/<id>/.
        from evidence.annotator import annotator_view

        custom = [
            path(
                "annotate/<int:article_id>/",
                self.admin_site.admin_view(annotator_view),
                {"admin_site": self.admin_site},
                name="evidence_annotation_annotate",
            ),
        ]
        return custom + super().get_urls()

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.first_published_at is not None:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        try:
            delete_annotation(obj, actor=request.user)
        except AnnotationNotAllowed as error:
            self.message_user(request, str(error), messages.ERROR)

    @admin.action(description="Resolve the selected annotations")
    def resolve_selected(self, request, queryset):
        done = 0
        for annotation in queryset:
            try:
                resolve_annotation(
                    annotation, actor=request.user, expected_version=annotation.version
                )
                done += 1
            except (AnnotationNotAllowed, StaleAnnotation) as error:
                self.message_user(
                    request, format_html("{}: {}", self.quote(annotation), str(error)),
                    messages.ERROR,
                )
        if done:
            self.message_user(request, f"{done} annotation(s) resolved.", messages.SUCCESS)
