"""The Jobs page: each job's state and progress, refreshed in place by js/job_progress.js."""

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from jobs import admin_views
from jobs.models import Job
from jobs.registry import job_kind
from ketasite.admin_paging import LargeTableAdmin
from ketasite.admin_site import ReadOnlyAdmin


def live_field(job, field, text):
    """A span js/job_progress.js keeps current while the job is unfinished."""
    return format_html(
        '<span data-job-id="{}" data-job-field="{}" data-job-finished="{}" '
        'data-job-progress-url="{}">{}</span>',
        job.pk, field, "true" if job.is_finished else "false",
        reverse("admin:jobs_job_progress"), text,
    )


@admin.register(Job)
class JobAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = ["title", "kind_label", "state_live", "progress_live", "created_by",
                    "created_at", "finished_at"]
    list_filter = ["state", "kind"]
    list_select_related = ["created_by"]
    show_full_result_count = False
    list_per_page = 50

    class Media:
        js = ["js/job_progress.js"]

    @admin.display(description="kind")
    def kind_label(self, job):
        try:
            return job_kind(job.kind).label
        except LookupError:
            return job.kind

    @admin.display(description="state", ordering="state")
    def state_live(self, job):
        return live_field(job, "state", job.get_state_display())

    @admin.display(description="progress")
    def progress_live(self, job):
        return live_field(job, "progress", job.progress_text)

    def get_queryset(self, request):
        return admin_views.visible_jobs(request.user).select_related("created_by")

    def has_module_permission(self, request):
        return admin_views.can_view_own_jobs(request.user)

    def has_view_permission(self, request, obj=None):
        if obj is not None and not admin_views.can_view_all_jobs(request.user):
            return admin_views.can_view_own_jobs(request.user) and \
                obj.created_by_id == request.user.pk
        return admin_views.can_view_own_jobs(request.user)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_import": admin_views.can_import(request.user),
            "can_rerender": admin_views.can_rerender(request.user),
            "can_respot": admin_views.can_respot(request.user),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's page: state, progress and every failed or refused unit with its reason."""
        job = get_object_or_404(admin_views.visible_jobs(request.user), pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": job.title,
            "opts": self.model._meta,
            "job": job,
            "kind_label": self.kind_label(job),
            "state_live": self.state_live(job),
            "progress_live": self.progress_live(job),
            "failures": admin_views.failures(job),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/jobs/job_detail.html", context)

    def get_urls(self):
        extra = [
            path("progress/", self.admin_site.admin_view(admin_views.progress_view),
                 name="jobs_job_progress"),
            path("import/", self.admin_site.admin_view(admin_views.import_view),
                 name="jobs_job_import"),
            path("rerender/", self.admin_site.admin_view(admin_views.rerender_view),
                 name="jobs_job_rerender"),
            path("spotting/", self.admin_site.admin_view(admin_views.spotting_view),
                 name="jobs_job_spotting"),
        ]
        return extra + super().get_urls()
