"""The evidence API's editorial endpoints: annotations, review comments and sources. They
call `evidence.annotations`, whose refusals the API's exception handler answers
(`ketasite.api.refusal_error`). The public annotation and
source endpoints (and the W3C form) are in `public.api`.
"""

from django.db.models import Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.access import VIEW_PERMISSION, get_visible_article
from articles.models import Article
from evidence import annotations as annotation_rules
from evidence import sources as source_ids
from evidence.dualreview import dual_review_item, dual_states
from evidence.models import Annotation, DualReviewPolicy, ReviewComment, Source
from ketasite.api import (
    EDITORIAL_ACTION_ERRORS,
    EDITORIAL_DETAIL_ERRORS,
    EDITORIAL_PATCH_ERRORS,
    EDITORIAL_WRITE_ERRORS,
    InvalidRequest,
    StrictSerializer,
    error_responses,
    expected_version,
    validated,
    version_etag,
    visible_or_404,
)

# ---------------------------------------------------------------------------------------------
# Editorial


def annotation_etag(annotation):
    return version_etag("annotation", annotation.pk, annotation.version)


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    annotation = serializers.IntegerField()
    reply_to = serializers.IntegerField(
        allow_null=True,
        help_text="The first comment of the thread this one replies to; null when it starts "
        "a thread.",
    )
    author = serializers.CharField(allow_null=True)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the thread was resolved (set on a thread's first comment only); null "
        "while it is open. An open thread holds back approval.",
    )
    resolved_by = serializers.CharField(allow_null=True)


class ReviewerRatingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reviewer = serializers.CharField()
    reviewer_name = serializers.CharField()
    certainty = serializers.ChoiceField(choices=Annotation.Certainty.choices)
    verdict = serializers.ChoiceField(choices=Annotation.Verdict.choices)
    note = serializers.CharField(allow_blank=True)
    note_html = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class ConsensusSerializer(serializers.Serializer):
    certainty = serializers.ChoiceField(choices=Annotation.Certainty.choices)
    verdict = serializers.ChoiceField(choices=Annotation.Verdict.choices)
    note = serializers.CharField()
    note_html = serializers.CharField()
    resolution = serializers.CharField()
    settled_by = serializers.CharField()
    created_at = serializers.DateTimeField()


class DualReviewSerializer(serializers.Serializer):
    ratings_count = serializers.IntegerField()
    ratings_required = serializers.IntegerField()
    rated_by_you = serializers.BooleanField()
    ratings = ReviewerRatingSerializer(many=True)
    in_conflict = serializers.BooleanField()
    consensus = ConsensusSerializer(allow_null=True)


class EditorialAnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    article = serializers.IntegerField()
    revision = serializers.IntegerField(help_text="The revision's number.")
    block = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    exact = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    certainty = serializers.CharField(allow_blank=True)
    verdict = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    note_html = serializers.CharField(allow_blank=True)
    sources = serializers.ListField(child=serializers.IntegerField())
    status = serializers.ChoiceField(choices=Annotation.Status.choices)
    version = serializers.IntegerField()
    is_published = serializers.BooleanField()
    author = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    modified_at = serializers.DateTimeField()
    etag = serializers.CharField(help_text="Send it back in If-Match to change it.")
    dual_review = DualReviewSerializer(
        allow_null=True,
        help_text="Null unless the article needs two independent ratings. Blind: each "
        "reviewer sees only their own rating until both have rated.",
    )


class EditorialAnnotationDetailSerializer(EditorialAnnotationSerializer):
    comments = CommentSerializer(many=True)


def comment_item(comment):
    """Return one review comment for the editorial API (author and resolver loaded)."""
    return {
        "id": comment.pk,
        "annotation": comment.annotation_id,
        "reply_to": comment.parent_id,
        "author": comment.author.get_username() if comment.author_id else None,
        "body": comment.body,
        "created_at": comment.created_at.isoformat(),
        "resolved_at": comment.resolved_at.isoformat() if comment.resolved_at else None,
        "resolved_by": comment.resolved_by.get_username() if comment.resolved_by_id else None,
    }


def review_comments():
    """Review comments with what `comment_item` reads, in thread order."""
    return ReviewComment.objects.select_related("author", "resolved_by").in_thread_order()


def editorial_annotation_item(annotation, *, comments=None, dual=None):
    """One annotation for the editorial API; `dual` (a dualreview.DualState, blind for the
    viewer) adds its independent ratings and consensus."""
    item = {
        "id": annotation.pk,
        "article": annotation.article_id,
        "revision": annotation.revision.number,
        "block": annotation.block_id,
        "start": annotation.start,
        "end": annotation.end,
        "exact": annotation.exact,
        "prefix": annotation.prefix,
        "suffix": annotation.suffix,
        "certainty": annotation.certainty,
        "verdict": annotation.verdict,
        "note": annotation.note,
        "note_html": annotation.note_html,
        "sources": sorted(source.pk for source in annotation.sources.all()),
        "status": annotation.status,
        "version": annotation.version,
        "is_published": annotation.first_published_at is not None,
        "author": annotation.author.get_username() if annotation.author_id else None,
        "created_at": annotation.created_at.isoformat(),
        "modified_at": annotation.modified_at.isoformat(),
        "etag": annotation_etag(annotation),
    }
    if comments is not None:
        item["comments"] = [comment_item(c) for c in comments]
    item["dual_review"] = dual_review_item(dual) if dual is not None else None
    return item


def editorial_annotations():
    return Annotation.objects.select_related("revision", "author").prefetch_related(
        Prefetch("sources", queryset=Source.objects.only("pk"))
    )


def get_visible_annotation(request, pk):
    return visible_or_404(
        editorial_annotations(), pk, allowed=request.user.has_perm(VIEW_PERMISSION),
        name="annotation",
    )


def _dual_states(request, article_id, annotations):
    """The blind dual review state of each annotation, or {} when the article has none."""
    if not DualReviewPolicy.objects.requires_two_ratings(Article(pk=article_id)):
        return {}
    return dual_states(annotations, viewer=request.user)


def annotation_detail_response(request, annotation, status_code=status.HTTP_200_OK):
    comments = review_comments().filter(annotation=annotation)
    dual = _dual_states(request, annotation.article_id, [annotation]).get(annotation.pk)
    return Response(
        editorial_annotation_item(annotation, comments=list(comments), dual=dual),
        status=status_code,
        headers={"ETag": annotation_etag(annotation)},
    )


class AnnotationCreateSerializer(StrictSerializer):
    block = serializers.CharField(max_length=64)
    start = serializers.IntegerField(min_value=0, max_value=10_000_000)
    end = serializers.IntegerField(min_value=0, max_value=10_000_000)
    exact = serializers.CharField(required=False, trim_whitespace=False, max_length=200_000)
    certainty = serializers.CharField(required=False, allow_blank=True, max_length=20)
    verdict = serializers.CharField(required=False, allow_blank=True, max_length=20)
    note = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=50_000
    )
    sources = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), required=False,
        max_length=200,
    )


STATUS_CHANGES = [Annotation.Status.OPEN.value, Annotation.Status.RESOLVED.value]


class AnnotationPatchSerializer(AnnotationCreateSerializer):
    block = serializers.CharField(max_length=64, required=False)
    start = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    end = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False)
    status = serializers.ChoiceField(
        choices=STATUS_CHANGES, required=False,
        help_text="resolved to resolve it (a published annotation cannot be deleted), open to "
        "reopen it.",
    )
    version = serializers.IntegerField(
        required=False, min_value=0, max_value=2**31,
        help_text="The version you read, when you do not send If-Match.",
    )


class EditorialArticleAnnotationsView(generics.GenericAPIView):
    """The annotations on an article's draft (and its orphaned ones); POST marks a passage."""

    permission_classes = [IsAuthenticated]
    queryset = Annotation.objects.none()

    @extend_schema(
        operation_id="editorial_article_annotations_list",
        responses={
            200: EditorialAnnotationSerializer(many=True),
            **error_responses(*EDITORIAL_DETAIL_ERRORS),
        },
        tags=["editorial"],
    )
    def get(self, request, pk):
        article = get_visible_article(request, pk)
        annotations = (
            editorial_annotations()
            .filter(article=article)
            .filter(Q(revision_id=article.draft_id) | Q(status=Annotation.Status.ORPHANED))
            .order_by("block_id", "start", "pk")
        )
        page = self.paginate_queryset(annotations)
        dual = _dual_states(request, article.pk, page)
        return self.get_paginated_response(
            [editorial_annotation_item(a, dual=dual.get(a.pk)) for a in page]
        )

    @extend_schema(
        operation_id="editorial_article_annotations_create",
        request=AnnotationCreateSerializer,
        examples=[
            OpenApiExample(
                "Mark a passage",
                description="The first word of block p1, rated, with a note.",
                value={"block": "p1", "start": 0, "end": 8, "exact": "Ketamine",
                       "certainty": "low", "verdict": "unsupported",
                       "note": "No trial supports this."},
                request_only=True,
            ),
        ],
        responses={
            201: EditorialAnnotationDetailSerializer,
            **error_responses(*EDITORIAL_WRITE_ERRORS),
        },
        tags=["editorial"],
    )
    def post(self, request, pk):
        article = get_visible_article(request, pk)
        values = validated(request, AnnotationCreateSerializer)
        annotation = annotation_rules.create_annotation(
            article=article,
            actor=request.user,
            block_id=values["block"],
            start=values["start"],
            end=values["end"],
            exact=values.get("exact"),
            certainty=values.get("certainty", ""),
            verdict=values.get("verdict", ""),
            note=values.get("note", ""),
            sources=values.get("sources", ()),
        )
        return annotation_detail_response(
            request, editorial_annotations().get(pk=annotation.pk), status.HTTP_201_CREATED
        )


IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="The ETag you read (or send `version` in the body): stale gives 412, "
    "neither gives 428; `*` changes the annotation as it is.",
)


def annotation_version(request, annotation):
    """Return the version the client's change is based on, from If-Match or the body."""
    return expected_version(
        request, kind="annotation", pk=annotation.pk, current=annotation.version,
        missing="Send the ETag you read in If-Match (or the version in the body), so no "
        "change is overwritten.",
    )


class EditorialAnnotationDetailView(APIView):
    """One annotation with its review thread; PATCH changes it, DELETE removes it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_annotations_retrieve",
        responses={
            200: EditorialAnnotationDetailSerializer, **error_responses(*EDITORIAL_DETAIL_ERRORS)
        },
        tags=["editorial"],
    )
    def get(self, request, pk):
        return annotation_detail_response(request, get_visible_annotation(request, pk))

    @extend_schema(
        operation_id="editorial_annotations_partial_update",
        parameters=[IF_MATCH],
        request=AnnotationPatchSerializer,
        responses={
            200: EditorialAnnotationDetailSerializer,
            **error_responses(*EDITORIAL_PATCH_ERRORS),
        },
        tags=["editorial"],
    )
    def patch(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        version = annotation_version(request, annotation)
        changes = dict(validated(request, AnnotationPatchSerializer))
        changes.pop("version", None)
        annotation_rules.update_annotation(
            annotation, actor=request.user, expected_version=version, **changes
        )
        return annotation_detail_response(request, editorial_annotations().get(pk=pk))

    @extend_schema(
        operation_id="editorial_annotations_destroy",
        responses={204: None, **error_responses(400, 401, 403, 404, 409, 412, 429)},
        tags=["editorial"],
    )
    def delete(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        # If-Match is optional here; when sent, the service compares it under the lock.
        sent_if_match = bool(request.META.get("HTTP_IF_MATCH"))
        version = annotation_version(request, annotation) if sent_if_match else None
        annotation_rules.delete_annotation(
            annotation, actor=request.user, expected_version=version
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentInputSerializer(StrictSerializer):
    body = serializers.CharField(max_length=10_000, trim_whitespace=False)
    reply_to = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62,
        help_text="A comment of this annotation to reply to; the reply joins its thread. "
        "Leave it out to start a thread.",
    )


class EditorialCommentView(generics.GenericAPIView):
    """The internal review thread of an annotation (never public); POST adds a comment or a
    reply."""

    permission_classes = [IsAuthenticated]
    queryset = ReviewComment.objects.none()

    @extend_schema(
        operation_id="editorial_annotation_comments_list",
        description="Every review comment of the annotation, resolved ones too, in thread "
        "order: each thread's first comment, then its replies.",
        responses={200: CommentSerializer(many=True), **error_responses(*EDITORIAL_DETAIL_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        page = self.paginate_queryset(review_comments().filter(annotation=annotation))
        return self.get_paginated_response([comment_item(c) for c in page])

    @extend_schema(
        operation_id="editorial_annotation_comments_create",
        description="Start a thread, or reply in one with `reply_to`. Editors and reviewers "
        "may; a resolved thread takes no reply until it is reopened (409).",
        request=CommentInputSerializer,
        responses={
            201: CommentSerializer,
            **error_responses(*EDITORIAL_WRITE_ERRORS),
        },
        tags=["editorial"],
    )
    def post(self, request, pk):
        annotation = get_visible_annotation(request, pk)
        values = validated(request, CommentInputSerializer)
        comment = annotation_rules.add_comment(
            annotation, actor=request.user, body=values["body"],
            reply_to=values.get("reply_to"),
        )
        return Response(
            comment_item(review_comments().get(pk=comment.pk)), status=status.HTTP_201_CREATED
        )


def get_visible_comment(request, pk):
    return visible_or_404(
        review_comments().select_related("annotation"), pk,
        allowed=request.user.has_perm(VIEW_PERMISSION), name="review comment",
    )


class EditorialCommentThreadView(APIView):
    """Resolve or reopen the review thread a comment starts (POST, no body)."""

    permission_classes = [IsAuthenticated]
    change = None  # the service, set per route

    def post(self, request, pk):
        comment = get_visible_comment(request, pk)
        self.change(comment, actor=request.user)
        return Response(comment_item(review_comments().get(pk=comment.pk)))


class EditorialCommentResolveView(EditorialCommentThreadView):
    change = staticmethod(annotation_rules.resolve_comment)

    @extend_schema(
        operation_id="editorial_comments_resolve",
        description="Resolve the thread this comment starts: a reviewer or the comment's "
        "author may (403 otherwise). 409 for a reply (resolve its thread) or a thread already "
        "resolved. The thread stays readable, marked resolved.",
        request=None,
        responses={200: CommentSerializer, **error_responses(*EDITORIAL_ACTION_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request, pk):
        return super().post(request, pk)


class EditorialCommentReopenView(EditorialCommentThreadView):
    change = staticmethod(annotation_rules.reopen_comment)

    @extend_schema(
        operation_id="editorial_comments_reopen",
        description="Open a resolved thread again: a reviewer or the comment's author may "
        "(403 otherwise). 409 for a reply or a thread that is open.",
        request=None,
        responses={200: CommentSerializer, **error_responses(*EDITORIAL_ACTION_ERRORS)},
        tags=["editorial"],
    )
    def post(self, request, pk):
        return super().post(request, pk)


# ---------------------------------------------------------------------------------------------
# Editorial sources: find a source to cite, or add one (used by the annotator)

SOURCE_SEARCH_LIMIT = 200


class EditorialSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "authors", "journal", "year", "pmid", "doi", "url", "design"]
        ref_name = "EditorialSource"


class SourceCreateSerializer(StrictSerializer):
    pmid = serializers.CharField(required=False, allow_blank=True, max_length=200)
    doi = serializers.CharField(required=False, allow_blank=True, max_length=500)
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    authors = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    journal = serializers.CharField(required=False, allow_blank=True, max_length=300)
    year = serializers.IntegerField(required=False, allow_null=True, min_value=1000,
                                    max_value=2999)
    design = serializers.ChoiceField(
        choices=Source.Design.choices, required=False, allow_blank=True
    )


def source_search(query):
    """Return the sources matching `query` by title, journal, PMID or DOI (any when blank)."""
    query = " ".join(str(query or "").split())[:SOURCE_SEARCH_LIMIT]
    sources = Source.objects.order_by("title", "pk")
    if not query:
        return sources
    condition = Q(title__icontains=query) | Q(journal__icontains=query)
    condition |= Q(doi__icontains=query.lower()) | Q(url__icontains=query)
    for field in ("pmid", "doi"):
        try:
            value = getattr(source_ids.normalize_identifiers(**{field: query}), field)
        except source_ids.SourceError:
            continue
        if value:
            condition |= Q(**{field: value})
    return sources.filter(condition)


class EditorialSourceListView(generics.GenericAPIView):
    """Find sources by title, journal, PMID or DOI (`q`); POST adds one, or returns the
    existing source for the same PMID, DOI or URL (no duplicates)."""

    permission_classes = [IsAuthenticated]
    serializer_class = EditorialSourceSerializer
    queryset = Source.objects.none()

    @extend_schema(
        operation_id="editorial_sources_list",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="Title, PMID or DOI.")],
        responses={
            200: EditorialSourceSerializer(many=True), **error_responses(400, 401, 403, 404, 429)
        },
        tags=["editorial"],
    )
    def get(self, request):
        if not request.user.has_perm("evidence.view_source"):
            raise exceptions.PermissionDenied("Only editors and reviewers may search sources.")
        page = self.paginate_queryset(source_search(request.query_params.get("q", "")))
        return self.get_paginated_response(EditorialSourceSerializer(page, many=True).data)

    @extend_schema(
        operation_id="editorial_sources_create",
        request=SourceCreateSerializer,
        responses={
            200: EditorialSourceSerializer,
            201: EditorialSourceSerializer,
            **error_responses(400, 401, 403, 413, 415, 429),
        },
        tags=["editorial"],
    )
    def post(self, request):
        if not request.user.has_perm("evidence.add_source"):
            raise exceptions.PermissionDenied("Only editors and reviewers may add sources.")
        values = {
            k: v for k, v in validated(request, SourceCreateSerializer).items()
            if v not in (None, "")
        }
        try:
            source, created = source_ids.get_or_create_source(**values)
        except source_ids.SourceError as error:
            if error.errors:
                raise InvalidRequest(
                    error.errors, detail="The source was not added: check its identifiers."
                )
            raise InvalidRequest({"non_field_errors": [str(error)]}, detail=str(error))
        return Response(
            EditorialSourceSerializer(source).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
