"""The annotator: an admin page where editors and reviewers mark and rate passages of a draft.

The page shows the draft as the public page will read (`articles.rendering.render_body`), every
open and resolved annotation highlighted, and lists the annotations beside the text (orphaned
ones apart). `static/js/annotator.js` turns a text selection into block offsets and saves
through the editorial API (`/api/v1/editorial/...`), so every rule lives in
`evidence/annotations.py` and is applied once, there. Without JavaScript the page still lists
each annotation with a link to its admin form.

Under each listed annotation is its internal review thread (`review_threads`), open and
resolved, with the count of open threads; the script adds comments and replies and resolves
or reopens threads through the same API. The count on a highlight is added by the script,
never by `render_body`, which is the public page's renderer.

The view only reads: it never changes an annotation or a comment.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse

from articles.blocks import block_text
from articles.models import Article
from articles.rendering import (
    CERTAINTY_ICONS,
    VERDICT_ICONS,
    certainty_label,
    render_body,
    verdict_label,
)
from evidence.annotations import can_comment, review_threads
from evidence.api import annotation_etag
from evidence.models import Annotation, Citation, Source

# Marking passages needs the annotation permission editors and reviewers both hold; rating
# them (certainty, verdict) is a reviewer's job, and evidence/annotations.py enforces it.
PERM_ANNOTATE = "evidence.change_annotation"
PERM_RATE = "articles.review_article"
SHOWN_ON_TEXT = (Annotation.Status.OPEN, Annotation.Status.RESOLVED)
SOURCE_FIELDS = ("id", "title", "pmid", "doi", "url", "journal", "year")


def can_annotate(user):
    return bool(user.is_active and user.is_staff and user.has_perm(PERM_ANNOTATE))


def annotations_for_annotator(article):
    """Return the article's annotations the annotator shows, sources prefetched.

    Those on the draft revision that are open or resolved (highlighted in the text), and
    every orphaned one, whatever revision it was left on (listed apart).
    """
    return (
        Annotation.objects.filter(article=article)
        .filter(
            Q(revision_id=article.draft_id, status__in=SHOWN_ON_TEXT)
            | Q(status=Annotation.Status.ORPHANED)
        )
        .prefetch_related(Prefetch("sources", queryset=Source.objects.order_by("pk")))
        .order_by("pk")
    )


def _source_data(source):
    return {name: getattr(source, name) for name in SOURCE_FIELDS}


def annotation_data(annotation, *, open_comments=0):
    """Return what the annotator's script needs to know of one annotation."""
    return {
        "openComments": open_comments,
        "id": annotation.pk,
        "block": annotation.block_id,
        "start": annotation.start,
        "end": annotation.end,
        "exact": annotation.exact,
        "certainty": annotation.certainty,
        "verdict": annotation.verdict,
        "note": annotation.note,
        "status": annotation.status,
        "version": annotation.version,
        "etag": annotation_etag(annotation),
        "sources": [_source_data(source) for source in annotation.sources.all()],
    }


def _fits(annotation, lengths):
    length = lengths.get(annotation.block_id)
    return length is not None and 0 <= annotation.start < annotation.end <= length


def _body_annotation(annotation):
    return {
        "id": annotation.pk,
        "block": annotation.block_id,
        "start": annotation.start,
        "end": annotation.end,
        "exact": annotation.exact,
        "verdict": annotation.verdict,
        "certainty": annotation.certainty,
        "note_html": annotation.note_html,
        "sources": [source.pk for source in annotation.sources.all()],
    }


def _citations(revision):
    rows = Citation.objects.filter(revision=revision).select_related("source")
    return [
        {"number": row.number, "id": row.source_id, "title": row.source.title}
        for row in rows.order_by("number", "pk")
    ]


def _admin_change_url(annotation):
    try:
        return reverse("admin:evidence_annotation_change", args=[annotation.pk])
    except NoReverseMatch:
        return ""


def _open_count(threads):
    return sum(1 for thread in threads if not thread.is_resolved)


def _list_item(annotation, *, on_text, threads):
    verdict = annotation.verdict or ""
    certainty = annotation.certainty or ""
    return {
        "annotation": annotation,
        "on_text": on_text,
        "threads": threads,
        "open_comments": _open_count(threads),
        "verdict_class": verdict or "unrated",
        "verdict_icon": VERDICT_ICONS.get(verdict, VERDICT_ICONS[""]),
        "verdict_label": verdict_label(verdict),
        "certainty_icon": CERTAINTY_ICONS.get(certainty, CERTAINTY_ICONS[""]),
        "certainty_label": certainty_label(certainty),
        "admin_url": _admin_change_url(annotation),
    }


_SENTINEL_ID = 918273645


def _id_prefix(viewname):
    """The address of `viewname` up to its `pk`, for a script to complete with an id."""
    url = reverse(viewname, kwargs={"pk": _SENTINEL_ID})
    return url[: url.index(f"/{_SENTINEL_ID}/") + 1]


def annotator_context(article, *, user):
    """Return the template context of the annotator page for `article`'s draft."""
    revision = article.draft
    blocks = revision.blocks
    lengths = {block["id"]: len(block_text(block)) for block in blocks}
    annotations = list(annotations_for_annotator(article))
    on_text = [
        a for a in annotations
        if a.revision_id == revision.pk and a.status in SHOWN_ON_TEXT and _fits(a, lengths)
    ]
    on_text_ids = {a.pk for a in on_text}
    # Orphans, and any annotation whose offsets no longer fit its block, are listed apart:
    # they cannot be shown on the text, and must not be silently hidden either.
    apart = [a for a in annotations if a.pk not in on_text_ids]
    reading_order = {block["id"]: index for index, block in enumerate(blocks)}
    on_text.sort(key=lambda a: (reading_order.get(a.block_id, 0), a.start, a.end, a.pk))

    body_html = render_body(blocks, [_body_annotation(a) for a in on_text], _citations(revision))
    # The review threads are internal: listed here beside each annotation, never rendered
    # into the text (render_body is the public page's renderer).
    threads = review_threads([a.pk for a in annotations], viewer=user)
    data = {
        "article": article.pk,
        "revision": revision.number,
        "canRate": user.has_perm(PERM_RATE),
        "blocks": [{"id": block["id"], "text": block_text(block)} for block in blocks],
        "annotations": [
            annotation_data(a, open_comments=_open_count(threads.get(a.pk, ())))
            for a in annotations
        ],
        "urls": {
            "annotations": reverse(
                "api:editorial-article-annotations", kwargs={"pk": article.pk}
            ),
            # Prefixes: the script adds an annotation's or comment's id (and an action).
            "annotation": _id_prefix("api:editorial-annotation-detail"),
            "comment": _id_prefix("api:editorial-comment-resolve"),
            "sources": reverse("api:editorial-source-list"),
        },
    }
    return {
        "article": article,
        "revision": revision,
        "body_html": body_html,
        "on_text": [_list_item(a, on_text=True, threads=threads.get(a.pk, [])) for a in on_text],
        "apart": [_list_item(a, on_text=False, threads=threads.get(a.pk, [])) for a in apart],
        "can_comment": can_comment(user),
        "annotator_data": data,
        "can_rate": data["canRate"],
        "certainty_choices": Annotation.Certainty.choices,
        "verdict_choices": Annotation.Verdict.choices,
        "design_choices": Source.Design.choices,
    }


def annotator_view(request, article_id, *, admin_site):
    """Show the annotator for the article's draft; editors and reviewers only.

    Wrapped in `admin_site.admin_view` (see evidence/admin.py), which sends anyone signed out
    to the admin login; a signed-in user without the annotation permission gets 403.
    """
    if not can_annotate(request.user):
        raise PermissionDenied("Only editors and reviewers may annotate articles.")
    article = get_object_or_404(Article.objects.select_related("draft"), pk=article_id)
    if article.draft is None:
        raise Http404("This article has no text to annotate yet.")
    context = annotator_context(article, user=request.user)
    context.update(
        admin_site.each_context(request),
        title=f"Annotate: {article.title}",
        opts=Article._meta,
    )
    return render(request, "admin/evidence/annotator.html", context)
