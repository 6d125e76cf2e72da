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
    create_annotation,
    update_annotation,
)
from evidence.models import Annotation, Source
from evidence.sources import (
    SourceError,
    find_duplicate,
    ids_from_url,
    normalize_doi,
    normalize_pmid,
    normalize_url,
)


def duplicate_message(source):
    """Return the error naming an existing source, with a link to its admin page."""
    url = reverse("admin:evidence_source_change", args=[source.pk])
    return format_html('This work is already a source: <a href="{}">{}</a>.', url, str(source))


class SourceForm(forms.ModelForm):
    """A source with normalised identifiers; a duplicate is refused with a link to the original."""

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

    def _normalised(self, field, normalize):
        try:
            return normalize(self.cleaned_data.get(field, ""))
        except SourceError as error:
            raise forms.ValidationError(str(error))

    def clean_pmid(self):
        return self._normalised("pmid", normalize_pmid)

    def clean_doi(self):
        return self._normalised("doi", normalize_doi)

    def clean_url(self):
        return self._normalised("url", normalize_url)

    def clean(self):
        cleaned = super().clean()
        url = cleaned.get("url", "")
        if url:
            url_pmid, url_doi = ids_from_url(url)
            if not cleaned.get("pmid") and "pmid" not in self.errors:
                cleaned["pmid"] = url_pmid
            if not cleaned.get("doi") and "doi" not in self.errors:
                cleaned["doi"] = url_doi
        if self.errors:
            return cleaned
        if not any(cleaned.get(f) for f in ("pmid", "doi", "url", "title", "citation_text")):
            raise forms.ValidationError("A source needs a PMID, a DOI, a URL or at least a title.")
        duplicate = find_duplicate(
            pmid=cleaned.get("pmid", ""), doi=cleaned.get("doi", ""), url=url,
            exclude_pk=self.instance.pk,
        )
        if duplicate is not None:
            raise forms.ValidationError(duplicate_message(duplicate), code="duplicate")
        self.instance.url_key = url
        return cleaned


class AnnotationForm(forms.ModelForm):
    """Add or change an annotation through `create_annotation` / `update_annotation`.

    The service call happens during validation so that a refusal (a bad range, a missing
    permission, a stale version) is shown on the form instead of failing the request; the
    admin's view runs it inside its transaction. `actor` is set by the admin.
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
        self.saved_annotation = None
        if self.instance.pk:
            self.fields.pop("article", None)
            self.fields["expected_version"].initial = self.instance.version
        if "sources" in self.fields:
            self.fields["sources"].required = False

    def _service_changes(self, cleaned):
        return {
            "block_id": cleaned.get("block_id"),
            "start": cleaned.get("start"),
            "end": cleaned.get("end"),
            "certainty": cleaned.get("certainty") or "",
            "verdict": cleaned.get("verdict") or "",
            "note": cleaned.get("note") or "",
            "sources": [source.pk for source in cleaned.get("sources") or []],
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        changes = self._service_changes(cleaned)
        exact = cleaned.get("exact_check") or None
        try:
            if self.instance.pk:
                if exact is not None:
                    changes["exact"] = exact
                self.saved_annotation = update_annotation(
                    self.instance,
                    actor=self.actor,
                    expected_version=cleaned.get("expected_version"),
                    **changes,
                )
            else:
                self.saved_annotation = create_annotation(
                    article=cleaned["article"], actor=self.actor, exact=exact, **changes
                )
        except AnnotationError as error:
            for field, messages in error.errors.items():
                target = {"block": "block_id", "exact": "exact_check", "version": None}.get(
                    field, field
                )
                for message in messages:
                    self.add_error(target if target in self.fields else None, message)
        except (AnnotationNotAllowed, StaleAnnotation) as error:
            self.add_error(None, str(error))
        return cleaned

    def save(self, commit=True):
        """Return the annotation the service saved during validation."""
        return self.saved_annotation

    def save_m2m(self):
        """Sources were saved by the service."""
