"""Forms for sources and annotations in the admin: the non-JavaScript way to edit evidence.

The forms only translate between HTML fields and the service functions in
`evidence/sources.py` and `evidence/annotations.py`; the rules live there.
"""

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from evidence.annotations import (
    AnnotationError,
    AnnotationNotAllowed,
    StaleAnnotation,
    check_annotation_update,
    check_new_annotation,
    create_annotation,
    update_annotation,
)
from evidence.models import Annotation, Source
from evidence.sources import SourceError, find_duplicate, normalize_identifiers


def duplicate_message(source):
    """Return the error naming an existing source, with a link to its admin page."""
    url = reverse("admin:evidence_source_change", args=[source.pk])
    return format_html('This work is already a source: <a href="{}">{}</a>.', url, str(source))


class SourceForm(forms.ModelForm):
    """A source with normalised identifiers; a duplicate is refused with a link to the original."""

    # Raw input may be longer than the stored form ("https://doi.org/…", "PMID: …"):
    # `normalize_identifiers` shortens it, and the model's own limits apply after that.
    pmid = forms.CharField(label="PMID", max_length=2000, required=False,
                           help_text="PubMed id, digits only.")
    doi = forms.CharField(label="DOI", max_length=2000, required=False)
    url = forms.CharField(
        label="URL", max_length=2000, required=False,
        help_text="Tracking parameters and fragments are removed.",
    )

    class Meta:
        model = Source
        fields = [
            "pmid", "doi", "url", "title", "authors", "journal", "year", "design",
            "citation_text",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            ids = normalize_identifiers(
                pmid=cleaned.get("pmid", ""), doi=cleaned.get("doi", ""),
                url=cleaned.get("url", ""),
            )
        except SourceError as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field, message)
            return cleaned
        cleaned.update(pmid=ids.pmid, doi=ids.doi, url=ids.url)
        if not any(cleaned.get(f) for f in ("pmid", "doi", "url", "title", "citation_text")):
            raise forms.ValidationError("A source needs a PMID, a DOI, a URL or at least a title.")
        duplicate = find_duplicate(
            pmid=ids.pmid, doi=ids.doi, url=ids.url, exclude_pk=self.instance.pk
        )
        if duplicate is not None:
            raise forms.ValidationError(duplicate_message(duplicate), code="duplicate")
        self.instance.url_key = ids.url
        return cleaned


class AnnotationForm(forms.ModelForm):
    """Add or change an annotation through `create_annotation` / `update_annotation`.

    `clean` asks the services' own checks (`check_new_annotation`, `check_annotation_update`)
    so that a refusal (a bad range, a missing permission, a stale version) is shown on the
    form, and writes nothing. `save_through_service` saves, called by the admin's
    `save_model`; the service checks again under its locks. `actor` is set by the admin.
    """

    actor = None
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    exact_check = forms.CharField(
        label="Quote check",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: the words you mean to mark; saving fails if the range reads "
        "differently.",
    )

    class Meta:
        model = Annotation
        fields = ["article", "block_id", "start", "end", "certainty", "verdict", "note", "sources"]
        labels = {"block_id": "Block"}
        help_texts = {
            "block_id": "The id of the block (paragraph, heading…) in the draft.",
            "start": "Offset of the first character in the block's text.",
            "end": "Offset just after the last character.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields.pop("article", None)
            self.fields["expected_version"].initial = self.instance.version
        if "sources" in self.fields:
            self.fields["sources"].required = False

    def _service_arguments(self, cleaned):
        arguments = {
            "block_id": cleaned.get("block_id"),
            "start": cleaned.get("start"),
            "end": cleaned.get("end"),
            "certainty": cleaned.get("certainty") or "",
            "verdict": cleaned.get("verdict") or "",
            "note": cleaned.get("note") or "",
            "sources": [source.pk for source in cleaned.get("sources") or []],
        }
        exact = cleaned.get("exact_check") or None
        if self.instance.pk:
            if exact is not None:
                arguments["exact"] = exact
            arguments["expected_version"] = cleaned.get("expected_version")
        else:
            arguments["article"] = cleaned["article"]
            arguments["exact"] = exact
        return arguments

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        arguments = self._service_arguments(cleaned)
        try:
            if self.instance.pk:
                check_annotation_update(self.instance, actor=self.actor, **arguments)
            else:
                check_new_annotation(actor=self.actor, **arguments)
        except RULE_ERRORS as error:
            self.add_refusal(error)
        return cleaned

    def add_refusal(self, error):
        """Show a service's refusal on the form, each field's message beside its field."""
        if isinstance(error, AnnotationError):
            for field, messages in error.errors.items():
                target = {"block": "block_id", "exact": "exact_check", "version": None}.get(
                    field, field
                )
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)
        else:
            self.add_error(None, str(error))

    def save_through_service(self):
        """Save the validated form through the service and return the annotation."""
        arguments = self._service_arguments(self.cleaned_data)
        if self.instance.pk:
            return update_annotation(self.instance, actor=self.actor, **arguments)
        return create_annotation(actor=self.actor, **arguments)

    def save(self, commit=True):
        """Save through the service when `commit` (never a bare model save); without it,
        return the unsaved instance, as the admin asks before its `save_model`."""
        if commit:
            self.instance = self.save_through_service()
        return self.instance

    def save_m2m(self):
        """Sources are saved by the service."""


RULE_ERRORS = (AnnotationError, AnnotationNotAllowed, StaleAnnotation)
