"""Admin for articles. State changes go through articles/workflow.py, never a form field.

The article change page edits the content through `save_revision` (a new revision, based on
the revision the form was loaded with) and the slug and tags on the article (a change of
either withdraws an approval; the public sees them from the next publish), shows the
workflow buttons the user may press (each a POST to an admin view calling
`workflow.perform`), the reviewers, the share links, the revision history with diffs, and
the read-only event log.
"""

import json
from datetime import datetime, time

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from taggit.models import Tag

from articles import preview, reviewdates, reviewing, workflow
from articles.blocks import BlockError, clean_blocks
from articles.diffing import diff_revisions
from articles.importing.admin_views import import_articles_view
from articles.models import (
    Article,
    ImportRecord,
    NotificationPreference,
    Publication,
    Revision,
    ShareLink,
    WorkflowEvent,
)
from articles.permissions import reviewers
from articles.reviewdates_admin import REVIEW_DATE_FIELDS, reviews_report_view
from ketasite.admin_paging import LargeTableAdmin, values_filter
from ketasite.admin_site import ReadOnlyAdmin, ReadOnlyInline


class ArticleContentForm(forms.ModelForm):
    """The article's own fields plus its content, which is saved as a new revision."""

    title = forms.CharField(max_length=300, required=False)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    blocks_json = forms.CharField(
        label="Blocks (JSON)",
        widget=forms.Textarea(attrs={"rows": 20, "class": "vLargeTextField"}),
        required=False,
        help_text="A list of blocks: see articles/blocks.py. Keep each block's id so "
        "annotations stay on their passage.",
    )
    message = forms.CharField(
        label="What changed", max_length=500, required=False,
        help_text="Saved with the revision, shown in the history.",
    )
    base_number = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = [
            "slug", "tags", "assigned_editor", "review_due", "source_url", "site_name",
            "original_filename", "original_published_on", "is_promotional",
            "review_interval_months",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict_revision = None
        draft = self.instance.draft if self.instance.pk else None
        if draft is not None:
            self.fields["title"].initial = draft.title
            self.fields["summary"].initial = draft.summary
            self.fields["blocks_json"].initial = json.dumps(
                draft.blocks, indent=2, ensure_ascii=False
            )
            self.fields["base_number"].initial = draft.number
        else:
            self.fields["base_number"].initial = 0
        self.fields["title"].required = draft is None
        if draft is not None and draft.title_is_provisional:
            self.fields["title"].help_text = (
                "The importer guessed this title; saving the form confirms it."
            )

    def clean_slug(self):
        slug = self.cleaned_data.get("slug")
        holder = workflow.live_article_at(slug, exclude=self.instance) if slug else None
        if holder is not None:
            raise forms.ValidationError(
                f"/articles/{slug}/ is the live page of “{holder}”; choose another slug."
            )
        return slug

    def clean_blocks_json(self):
        raw = self.cleaned_data.get("blocks_json") or ""
        if not raw.strip():
            return None if self.instance.pk and self.instance.draft_id else []
        try:
            blocks = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not valid JSON (line {error.lineno}, column {error.colno}): "
                f"{error.msg}."
            )
        try:
            return clean_blocks(blocks)
        except BlockError as error:
            raise forms.ValidationError(error.errors)

    def clean(self):
        cleaned = super().clean()
        draft = self.instance.draft if self.instance.pk else None
        current = draft.number if draft else 0
        base = cleaned.get("base_number")
        if base is None:
            base = current
            cleaned["base_number"] = base
        if base != current:
            # Keep the user's text in the form, show the other version, and let them merge.
            self.conflict_revision = draft
            data = self.data.copy()
            data[self.add_prefix("base_number")] = current
            self.data = data
            raise forms.ValidationError(
                f"Someone saved revision {current} after you opened revision {base}. Your "
                "text is kept below; their version is shown above the form. Merge the two "
                "and save again."
            )
        return cleaned


def _parse_when(value):
    """Parse a date-time from a form (site time zone when none is given); None if blank."""
    value = (value or "").strip()
    if not value:
        return None
    when = parse_datetime(value)
    if when is None:
        day = parse_date(value)
        if day is None:
            raise workflow.InvalidInput(
                f"{value[:40]!r} is not a date and time (use YYYY-MM-DD HH:MM)."
            )
        when = datetime.combine(day, time(9, 0))
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


class WorkflowEventInline(ReadOnlyInline):
    model = WorkflowEvent
    fields = ["created_at", "action", "from_state", "to_state", "actor", "revision", "comment"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]
    verbose_name = "workflow event"
    verbose_name_plural = "Event log"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "revision")


LIST_DEFERRED_REVISION = ("blocks", "summary")
LIST_DEFERRED_PUBLICATION = tuple(
    field.name for field in Publication._meta.concrete_fields
    if field.name not in ("id", "article", "revision", "slug", "title", "number")
)


class TagFilter(admin.SimpleListFilter):
    """Articles with a tag (`ArticleQuerySet.tagged_with`), as a subquery: a join to the tags
    would make the changelist add DISTINCT, which sorts every matching article before
    showing the first hundred."""

    title = "tags"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return list(Tag.objects.order_by("name").values_list("slug", "name"))

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.tagged_with(Tag.objects.filter(slug=self.value()))


@admin.register(Article)
class ArticleAdmin(LargeTableAdmin):
    form = ArticleContentForm
    list_display = ["title_column", "state", "live_column", "tag_list", "updated_at"]
    list_filter = ["state", TagFilter]
    # Orderings each served by an index (docs/scale.md): the default (Meta: -updated_at) and
    # by updated_at either way. Not by title: the draft's title is in another table, and the
    # changelist's outer join and id tie-break leave PostgreSQL no index to read it in order.
    sortable_by = ["updated_at"]
    search_fields = ["slug", "draft__title", "draft__summary", "source_url", "original_filename"]
    readonly_fields = [
        "uuid", "state", "live_column", "publish_at", "unpublish_at", "first_published_at",
        "last_published_at", "approved_by", "approved_at", "origin_key", "origin_sha256",
        "created_at", "updated_at", "last_reviewed_on", "last_reviewed_by",
    ]
    list_select_related = ["draft", "live"]
    inlines = [WorkflowEventInline]
    fieldsets = [
        ("Content", {"fields": ["title", "summary", "blocks_json", "message", "base_number"]}),
        ("Article", {"fields": ["slug", "tags", "assigned_editor", "review_due"]}),
        ("Review dates", {"fields": REVIEW_DATE_FIELDS}),
        (
            "Workflow",
            {
                "fields": [
                    "state", "live_column", "approved_by", "approved_at", "publish_at",
                    "unpublish_at", "first_published_at", "last_published_at",
                ]
            },
        ),
        (
            "Origin",
            {
                "classes": ["collapse"],
                "fields": [
                    "source_url", "site_name", "original_filename", "original_published_on",
                    "is_promotional", "origin_key", "origin_sha256", "uuid", "created_at",
                    "updated_at",
                ],
            },
        ),
    ]

    # The list ------------------------------------------------------------------------------

    def get_queryset(self, request):
        # The list shows the draft's title and the live publication's address: the rest of
        # those rows (a whole article's blocks, its frozen page and API documents) stays in
        # the database, read only if a page asks for it.
        return super().get_queryset(request).prefetch_related("tags").defer(
            *(f"draft__{name}" for name in LIST_DEFERRED_REVISION),
            *(f"live__{name}" for name in LIST_DEFERRED_PUBLICATION),
        )

    @admin.display(description="title", ordering="draft__title")
    def title_column(self, obj):
        return obj.title or obj.slug

    @admin.display(description="public page")
    def live_column(self, obj):
        if obj is None or not obj.live_id:
            return "not live"
        shown = "live"
        if obj.draft_id and obj.live.revision_id != obj.draft_id:
            shown += " · draft has unpublished changes"
        if obj.live.slug and obj.live.slug != obj.slug:
            shown += f" · at /articles/{obj.live.slug}/ until the next publish"
        return shown

    @admin.display(description="tags")
    def tag_list(self, obj):
        return ", ".join(sorted(tag.name for tag in obj.tags.all()))

    # Editing -------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        if not self.has_change_permission(request, obj) and obj is not None:
            return [(None, {"fields": ["slug", "state", "live_column", "review_due"]})]
        return self.fieldsets

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        details = {
            name: data[name] for name in workflow.ARTICLE_DETAIL_FIELDS
            if name in form.changed_data and name in data
        }
        tags = data.get("tags") if "tags" in form.changed_data else None
        try:
            if change:
                # `obj` holds the form's values; the service compares with the stored row.
                obj.refresh_from_db()
                workflow.update_article_details(obj, actor=request.user, tags=tags, **details)
            else:
                created = workflow.create_article(actor=request.user, tags=tags, **details)
                obj.pk = created.pk
                obj.refresh_from_db()
            # A new interval goes through its own service (event, new due date, live page).
            if "review_interval_months" in form.changed_data:
                reviewing.set_review_interval(
                    obj, actor=request.user, months=data.get("review_interval_months"))
        except workflow.WorkflowError as error:
            messages.error(request, f"The article was not saved: {error.message}")
            return
        form.instance = obj
        blocks = data.get("blocks_json")
        try:
            workflow.save_revision(
                obj,
                actor=request.user,
                base_number=data.get("base_number") or 0,
                title=data.get("title") or None,
                summary=data.get("summary"),
                blocks=blocks,
                message=data.get("message", ""),
            )
        except workflow.WorkflowError as error:
            messages.error(request, f"The content was not saved: {error.message}")

    def save_related(self, request, form, formsets, change):
        """Tags were saved by `update_article_details` / `create_article` (the form's
        many-to-many data is not saved around them); the read-only inlines save nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    # Workflow views ------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view

        def post(view):
            # These views change things: POST only (405 otherwise).
            return wrap(require_POST(view))

        custom = [
            path(
                "import/",
                wrap(import_articles_view),
                name="articles_article_import",
            ),
            path("reviews/", wrap(reviews_report_view), name="articles_article_reviews"),
            path("<int:pk>/transition/", post(self.transition_view),
                 name="articles_article_transition"),
            path("<int:pk>/reviewers/", post(self.reviewers_view),
                 name="articles_article_reviewers"),
            path("<int:pk>/revisions/", wrap(self.revisions_view),
                 name="articles_article_revisions"),
            path("<int:pk>/revisions/diff/", wrap(self.diff_view),
                 name="articles_article_diff"),
            path("<int:pk>/revisions/<int:number>/restore/", post(self.restore_view),
                 name="articles_article_restore_revision"),
            path("<int:pk>/share/", post(self.share_view), name="articles_article_share"),
            path("<int:pk>/share/<int:link_id>/revoke/", post(self.revoke_share_view),
                 name="articles_article_revoke_share"),
        ]
        return custom + super().get_urls()

    def _article(self, request, pk):
        article = get_object_or_404(Article.objects.select_related("draft", "live"), pk=pk)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        return article

    def _back(self, article):
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def _can_read_history(self, request, article):
        return self.has_change_permission(request, article) or request.user.has_perm(
            workflow.PERM_REVIEW
        )

    def transition_view(self, request, pk):
        article = self._article(request, pk)
        action = request.POST.get("action", "")
        try:
            workflow.perform(
                article,
                action=action,
                actor=request.user,
                comment=request.POST.get("comment", "").strip(),
                when=_parse_when(request.POST.get("publish_at")),
            )
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
        else:
            label = workflow.ACTION_LABELS.get(action, action)
            messages.success(
                request, f"{label}: done. The article is now {article.get_state_display()}."
            )
        return self._back(article)

    def reviewers_view(self, request, pk):
        article = self._article(request, pk)
        due = None
        raw_due = request.POST.get("due", "").strip()
        try:
            if raw_due:
                due = parse_date(raw_due)
                if due is None:
                    raise workflow.InvalidInput(f"{raw_due[:20]!r} is not a date (YYYY-MM-DD).")
            workflow.assign_reviewers(
                article, actor=request.user, reviewers=request.POST.getlist("reviewers"),
                due=due,
            )
        except (workflow.WorkflowError, ValueError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        else:
            messages.success(request, "Reviewers assigned.")
        return self._back(article)

    def revisions_view(self, request, pk):
        article = self._article(request, pk)
        if not self._can_read_history(request, article):
            raise PermissionDenied
        revisions = article.revisions.select_related("author").order_by("-number")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "article": article,
            "revisions": revisions,
            "title": f"Revisions of “{article.title}”",
            "can_restore": self.has_change_permission(request, article),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def diff_view(self, request, pk):
        article = self._article(request, pk)
        if not self._can_read_history(request, article):
            raise PermissionDenied
        numbers = {}
        for key, default in (("from", None), ("to", article.draft.number if article.draft else 0)):
            value = request.GET.get(key, "")
            try:
                numbers[key] = int(value) if value else default
            except ValueError:
                numbers[key] = None
        if numbers["from"] is None and numbers["to"]:
            numbers["from"] = max(1, numbers["to"] - 1)
        old = article.revisions.filter(number=numbers["from"]).select_related("author").first()
        new = article.revisions.filter(number=numbers["to"]).select_related("author").first()
        if old is None or new is None:
            raise Http404("No such revision of this article.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "article": article,
            "old": old,
            "new": new,
            "diff": diff_revisions(old, new),
            "title": f"Changes from revision {old.number} to {new.number}",
        }
        return TemplateResponse(request, "admin/articles/article/diff.html", context)

    def restore_view(self, request, pk, number):
        article = self._article(request, pk)
        if not self.has_change_permission(request, article):
            raise PermissionDenied
        try:
            revision = workflow.restore_revision(article, actor=request.user, number=number)
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, f"Revision {number} restored as revision {revision.number}."
            )
        return self._back(article)

    def share_view(self, request, pk):
        article = self._article(request, pk)
        try:
            _, token = preview.create_share_link(
                article, actor=request.user, note=request.POST.get("note", "")
            )
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                format_html(
                    "Share link created (copy it now, it is shown only once): <code>{}</code>",
                    preview.share_url(token),
                ),
            )
        return self._back(article)

    def revoke_share_view(self, request, pk, link_id):
        article = self._article(request, pk)
        link = get_object_or_404(ShareLink, pk=link_id, article=article)
        try:
            preview.revoke_share_link(link, actor=request.user)
        except workflow.WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Share link revoked.")
        return self._back(article)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        article = self.get_object(request, object_id)
        if article is not None:
            user = request.user
            extra_context.update(
                {
                    "article": article,
                    "workflow_actions": [
                        (name, workflow.ACTION_LABELS[name])
                        for name in workflow.allowed_actions(article, user)
                    ],
                    "assignments": article.review_assignments.select_related("reviewer"),
                    "can_assign": user.has_perm(workflow.PERM_ASSIGN),
                    "reviewer_choices": reviewers(),
                    "can_preview": preview.can_preview(user),
                    "can_share": preview.can_share(user),
                    "share_links": ShareLink.objects.valid().filter(article=article),
                    "can_read_history": self._can_read_history(request, article),
                    "submit_failures": workflow.submit_gate(article)
                    if article.state in (Article.State.DRAFT, Article.State.CHANGES_REQUESTED)
                    else [],
                    "approve_failures": workflow.approve_gate(article)
                    if article.state in (Article.State.IN_REVIEW, Article.State.APPROVED)
                    else [],
                }
            )
        return super().change_view(request, object_id, form_url, extra_context=extra_context)

    def render_change_form(self, request, context, *args, **kwargs):
        form = context.get("adminform").form if context.get("adminform") else None
        context["conflict_revision"] = getattr(form, "conflict_revision", None)
        return super().render_change_form(request, context, *args, **kwargs)


def editorial_dashboard(user, *, limit=10):
    """Return the editor's dashboard lists for `user`: each a (title, articles, total)."""
    if not (user.is_authenticated and user.has_perm("articles.view_article")):
        return []
    base = Article.objects.select_related("draft")
    lists = [
        ("Awaiting my review", base.awaiting_review_by(user)),
        ("Changes requested on my articles", base.changes_requested_for(user)),
        ("Approved, ready to publish", base.ready_to_publish()),
        ("Overdue", base.overdue()),
        ("Overdue for review", reviewdates.overdue_for_review().select_related("draft")),
        ("Due for review this month", reviewdates.due_this_month().select_related("draft")),
        ("Scheduled", base.scheduled()),
    ]
    result = []
    # No DISTINCT: no list joins a table that could repeat an article (each filters by
    # subqueries), and a DISTINCT over every column sorted every match to show ten.
    for title, queryset in lists:
        items = list(queryset.order_by("updated_at")[:limit])
        total = len(items) if len(items) < limit else queryset.count()
        result.append({"title": title, "articles": items, "total": total})
    return result


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
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["title", "article", "number", "published_at"]
    exclude = ["body_html", "public_json", "search_text"]


@admin.register(WorkflowEvent)
class WorkflowEventAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = ["article", "action", "from_state", "to_state", "actor", "created_at"]
    list_filter = [values_filter("action")]
    # Newest first, by the created_at index; the action filter by `workflowevent_action`.
    ordering = ["-created_at", "-pk"]
    sortable_by = ["created_at"]
    list_select_related = ["article__draft", "actor"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """Each staff user sees and edits only their own preference."""

    fields = ["email_enabled"]
    list_display = ["user", "email_enabled"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user=request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (
            obj is None or obj.user_id == request.user.pk
        )

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self.has_module_permission(request) and not NotificationPreference.objects.filter(
            user=request.user
        ).exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.user = request.user
        obj.save()


@admin.register(ShareLink)
class ShareLinkAdmin(ReadOnlyAdmin):
    """Listed only: a link is created from the article page, which shows the token once."""

    list_display = ["article", "note", "created_by", "expires_at", "revoked_at"]
    list_select_related = ["article__draft", "created_by"]

    def has_module_permission(self, request):
        return preview.can_share(request.user)

    def has_view_permission(self, request, obj=None):
        return preview.can_share(request.user)

