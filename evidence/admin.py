"""Admin for sources and annotations. Saves go through the service functions, never around them."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from evidence.annotations import (
    AnnotationError,
    AnnotationNotAllowed,
    StaleAnnotation,
    add_comment,
    can_comment,
    delete_annotation,
    reopen_comment,
    resolve_annotation,
    resolve_comment,
    review_threads,
)
from evidence.annotator import annotator_view
from evidence.forms import AnnotationForm, SourceForm
from evidence.models import Annotation, RatingChange, ReviewComment, Source
from ketasite.admin_paging import LargeTableAdmin, values_filter
from ketasite.admin_site import ReadOnlyInline


class AnnotationRefused(Exception):
    """A save the service refused after the form had passed (a change made meanwhile)."""


# A comment refused in the admin is kept here, in the session, and put back in its form.
COMMENT_DRAFT_KEY = "evidence-comment-draft"


@admin.register(Source)
class SourceAdmin(LargeTableAdmin):
    form = SourceForm
    list_display = ["__str__", "pmid", "doi", "journal", "year", "design"]
    list_filter = ["design", values_filter("year")]
    # By title (Meta), as each filter's index reads it (docs/scale.md).
    sortable_by = []
    search_fields = ["title", "pmid", "doi", "url", "journal", "authors"]
    readonly_fields = ["created_at", "updated_at"]


class RatingChangeInline(ReadOnlyInline):
    model = RatingChange
    fields = ["created_at", "actor", "field", "old_value", "new_value"]
    readonly_fields = fields
    verbose_name_plural = "rating history"


@admin.register(Annotation)
class AnnotationAdmin(LargeTableAdmin):
    form = AnnotationForm
    list_display = ["quote", "article", "verdict", "certainty", "status", "version", "modified_at"]
    list_filter = ["status", "verdict", "certainty"]
    # Newest change first, by an index for the list and for each filter (docs/scale.md).
    ordering = ["-modified_at", "-pk"]
    sortable_by = ["modified_at"]
    search_fields = ["exact", "note", "article__slug"]
    list_select_related = ["article__draft"]
    # The list names each annotation's article by its draft's title: not the draft's blocks.
    list_deferred = ("article__draft__blocks", "article__draft__summary")
    readonly_fields = [
        "revision", "exact", "prefix", "suffix", "rendered_note", "status", "author", "version",
        "first_published_at", "created_at", "modified_at",
    ]
    autocomplete_fields = ["sources"]
    # The review thread is shown below the form (templates/admin/evidence/annotation/
    # change_form.html) with its own POST forms: forms cannot nest inside the change form.
    inlines = [RatingChangeInline]
    actions = ["resolve_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*self.list_deferred)

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
        """Save through the service. The form checked the change while validating; what
        changed in the moment since (another save) is refused here, and nothing is saved."""
        try:
            form.instance = form.save_through_service()
        except (AnnotationError, AnnotationNotAllowed, StaleAnnotation) as error:
            raise AnnotationRefused(str(error)) from error

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AnnotationRefused as error:
            # The admin's transaction was rolled back: tell the user, and show the form again.
            self.message_user(request, f"Nothing was saved: {error}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change):
        """Sources were set by the service; the read-only inlines save nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self):
        # The annotator page (evidence/annotator.py): /admin/evidence/annotation/annotate/<id>/.
        wrap = self.admin_site.admin_view

        def post(view):
            # These views change things: POST only (405 otherwise).
            return wrap(require_POST(view))

        custom = [
            path(
                "annotate/<int:article_id>/",
                wrap(annotator_view),
                {"admin_site": self.admin_site},
                name="evidence_annotation_annotate",
            ),
            path("<int:pk>/comments/", post(self.comment_view),
                 name="evidence_annotation_comment"),
            path("comments/<int:comment_id>/resolve/", post(self.resolve_comment_view),
                 name="evidence_annotation_comment_resolve"),
            path("comments/<int:comment_id>/reopen/", post(self.reopen_comment_view),
                 name="evidence_annotation_comment_reopen"),
        ]
        return custom + super().get_urls()

    # The review thread -----------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if str(object_id).isdigit():
            threads = review_threads([int(object_id)], viewer=request.user).get(
                int(object_id), []
            )
            draft = request.session.pop(COMMENT_DRAFT_KEY, None)
            if not (isinstance(draft, dict) and draft.get("annotation") == int(object_id)):
                draft = None
            elif draft.get("reply_to") not in {t.comment.pk for t in threads if not t.is_resolved}:
                # That thread has no reply form now: the text goes back in the new-comment one.
                draft["reply_to"] = None
            extra_context.update(
                show_review_thread=True,
                review_threads=threads,
                open_threads=sum(1 for t in threads if not t.is_resolved),
                can_comment=can_comment(request.user),
                comment_draft=draft,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _visible(self, request, annotation):
        if not self.has_view_permission(request, annotation):
            raise PermissionDenied
        return annotation

    def _thread_url(self, annotation_id, anchor="review-thread"):
        url = reverse("admin:evidence_annotation_change", args=[annotation_id])
        return HttpResponseRedirect(f"{url}#{anchor}")

    def comment_view(self, request, pk):
        """Start a thread, or reply in one (`reply_to`), through `add_comment`."""
        annotation = self._visible(
            request, get_object_or_404(Annotation.objects.select_related("article"), pk=pk)
        )
        body = request.POST.get("body", "")
        reply_to = request.POST.get("reply_to", "").strip()
        if reply_to.isdigit():
            reply_to = int(reply_to)
        try:
            comment = add_comment(
                annotation, actor=request.user, body=body, reply_to=reply_to or None
            )
        except (AnnotationError, AnnotationNotAllowed) as error:
            request.session[COMMENT_DRAFT_KEY] = {
                "annotation": annotation.pk, "reply_to": reply_to or None, "body": body,
            }
            messages.error(request, f"The comment was not added: {error}")
            return self._thread_url(annotation.pk)
        messages.success(request, "Reply added." if comment.parent_id else "Comment added.")
        return self._thread_url(annotation.pk, f"comment-{comment.pk}")

    def _change_thread(self, request, comment_id, change, done):
        comment = get_object_or_404(
            ReviewComment.objects.select_related("annotation__article"), pk=comment_id
        )
        self._visible(request, comment.annotation)
        try:
            change(comment, actor=request.user)
        except AnnotationNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Comment {comment.pk}'s thread {done}.")
        return self._thread_url(comment.annotation_id, f"comment-{comment.parent_id or comment.pk}")

    def resolve_comment_view(self, request, comment_id):
        return self._change_thread(request, comment_id, resolve_comment, "resolved")

    def reopen_comment_view(self, request, comment_id):
        return self._change_thread(request, comment_id, reopen_comment, "reopened")

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


# Dual review's admin registers itself on import (its own module keeps this one small).
from evidence import dualreview_admin  # noqa: E402, F401
