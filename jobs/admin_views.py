"""Admin pages of the jobs app: import files as a job, start a re-render, poll progress."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from articles.importing.admin_views import MultipleFileField, MultipleFileInput
from articles.permissions import PERM_EDIT
from jobs.archives import UploadRefused, unpack_uploads
from jobs.kinds import start_import, start_rerender, start_spotting
from jobs.models import Job, JobUnit

FAILURES_SHOWN = 200
IMPORT_PERMISSION = "articles.add_article"
RERENDER_PERMISSION = "articles.publish_article"
# Re-spotting every draft changes the suggestions editors see: editors (who may change
# articles) start it.
SPOTTING_PERMISSION = PERM_EDIT


def can_view_all_jobs(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm("jobs.view_job")


def can_view_own_jobs(user) -> bool:
    """Staff who may import see the jobs they started, even without the jobs permission."""
    return user.is_active and user.is_staff and (
        can_view_all_jobs(user) or user.has_perm(IMPORT_PERMISSION)
    )


def can_import(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(IMPORT_PERMISSION)


def can_rerender(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(RERENDER_PERMISSION)


def can_respot(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(SPOTTING_PERMISSION)


def visible_jobs(user):
    """The jobs `user` may see: all of them with jobs.view_job, else the ones they started."""
    if can_view_all_jobs(user):
        return Job.objects.all()
    if can_view_own_jobs(user):
        return Job.objects.filter(created_by=user)
    return Job.objects.none()


def failures(job, *, limit=FAILURES_SHOWN):
    return list(
        JobUnit.objects.filter(job=job, state__in=[JobUnit.State.FAILED, JobUnit.State.REFUSED])
        .order_by("position").values("name", "state", "reason")[:limit]
    )


def job_status(job, *, with_failures=False) -> dict:
    status = {
        "id": job.pk, "state": job.state, "state_label": job.get_state_display(),
        "done": job.done, "total": job.total, "failed": job.failed,
        "progress": job.progress_text, "finished": job.is_finished, "message": job.message,
    }
    if with_failures:
        status["failures"] = failures(job)
    return status


@require_GET
def progress_view(request):
    """JSON progress of the jobs named in ?ids=1,2,3 that the user may see; with
    &failures=1 and one id, also that job's failed and refused units (the job's page)."""
    if not can_view_own_jobs(request.user):
        raise PermissionDenied
    ids = [part for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()]
    jobs = visible_jobs(request.user).filter(pk__in=[int(part) for part in ids[:100]])
    with_failures = request.GET.get("failures") == "1" and len(ids) == 1
    # admin_view already marks it never to be cached (no-store, private).
    return JsonResponse({"jobs": [job_status(job, with_failures=with_failures) for job in jobs]})


class ImportJobForm(forms.Form):
    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ".htm,.html,.markdown,.md,.txt,.zip"}),
        help_text="Text, Markdown or HTML files, or zip archives of them; several at once.",
    )
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. adhd, depression."
    )

    def clean_tags(self):
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


def import_view(request):
    """Unpack and check the upload in the request; import it in a job, then show the job."""
    if not can_import(request.user):
        raise PermissionDenied("You may not import articles.")
    form = ImportJobForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                members = unpack_uploads(form.cleaned_data["files"])
            except UploadRefused as error:
                form.add_error("files", str(error))
            else:
                job = start_import(members=members, actor=request.user,
                                   tags=form.cleaned_data["tags"])
                messages.success(request, f"“{job.title}” is queued; this page shows its "
                                          "progress.")
                return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
        status = 400
    context = {
        **admin.site.each_context(request),
        "title": "Import files in the background",
        "opts": Job._meta,
        "form": form,
    }
    return TemplateResponse(request, "admin/jobs/import.html", context, status=status)


@require_POST
def rerender_view(request):
    if not can_rerender(request.user):
        raise PermissionDenied("You may not re-render the published pages.")
    job = start_rerender(actor=request.user, include_all=request.POST.get("all") == "on")
    messages.success(request, f"“{job.title}” is queued.")
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))


@require_POST
def spotting_view(request):
    if not can_respot(request.user):
        raise PermissionDenied("You may not re-run claim spotting.")
    job = start_spotting(actor=request.user)
    messages.success(request, f"“{job.title}” is queued.")
    return HttpResponseRedirect(reverse("admin:jobs_job_change", args=[job.pk]))
