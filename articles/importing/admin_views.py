"""The admin import page (several files at once), showing the same report as the command."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from articles.importing.decoding import EXTENSION_FORMATS
from articles.importing.importer import can_import, import_bytes
from articles.models import Article
from articles.workflow import NotAllowed


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        # An empty file is reported by the importer, next to the files that did import.
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": ",".join(sorted(EXTENSION_FORMATS)),
        }))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ImportForm(forms.Form):
    files = MultipleFileField(
        help_text="Text (.txt), Markdown (.md) or HTML (.html, .htm) files; several at once.",
    )
    tags = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. adhd, depression."
    )
    source_url = forms.URLField(
        required=False, max_length=2000, assume_scheme="https",
        help_text="The web page the text was taken from (only when importing one file).",
    )
    dry_run = forms.BooleanField(
        required=False, help_text="Show the report without writing anything."
    )

    def clean_tags(self):
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source_url") and len(cleaned.get("files") or []) > 1:
            self.add_error("source_url", "A source URL names one page: import one file with it.")
        return cleaned


def import_articles_view(request):
    """Import uploaded files; show one report row per file.

    `import_bytes` applies the permission and the size limit to each file; the page itself
    is shown only to those it would let import (`can_import`), so nobody fills in a form
    that cannot work.
    """
    if not can_import(request.user):
        raise PermissionDenied("You may not import articles.")
    outcomes = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcomes = [
                    import_bytes(upload, filename=upload.name or "upload",
                                 source_url=data["source_url"], tags=data["tags"],
                                 actor=request.user, dry_run=data["dry_run"])
                    for upload in data["files"]
                ]
            except NotAllowed as error:
                raise PermissionDenied(error.message)
    else:
        form = ImportForm()
    context = {
        **admin.site.each_context(request),
        "title": "Import articles",
        "opts": Article._meta,
        "form": form,
        "outcomes": outcomes,
        "failed": sum(1 for o in outcomes or () if o.failed),
        "dry_run": bool(outcomes and outcomes[0].dry_run),
    }
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return TemplateResponse(request, "admin/articles/import.html", context, status=status)
