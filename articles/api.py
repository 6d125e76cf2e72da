"""The articles API's editorial endpoints. They call the workflow and importing services,
whose refusals the API's exception handler answers (`ketasite.api.refusal_error`); no rule is
written here. The public article and tag endpoints
are in `public.api`.
"""

import hashlib

import django_filters
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from taggit.models import Tag

from articles import workflow
from articles.access import VIEW_PERMISSION, get_visible_article
from articles.blocks import plain_text
from articles.diffing import diff_revisions
from articles.importing import import_bytes
from articles.importing.decoding import max_import_bytes
from articles.models import (
    Article,
    ImportRecord,
    Publication,
    ReviewAssignment,
    Revision,
    WorkflowEvent,
)
from articles.publishing import page_url
from ketasite.api import (
    EDITORIAL_DETAIL_ERRORS,
    EDITORIAL_PATCH_ERRORS,
    EDITORIAL_READ_ERRORS,
    EDITORIAL_WRITE_ERRORS,
    DomainError,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    SafeJSONParser,
    StrictSerializer,
    declared_length,
    error_responses,
    if_match_state,
    validated,
)

# ---------------------------------------------------------------------------------------------
# Editorial: who sees what



class CanViewArticles(IsAuthenticated):
    """Signed in, and allowed to see articles in any state (Editors, Reviewers,
    Publishers)."""

    message = "Only editors, reviewers and publishers may use the editorial API."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(VIEW_PERMISSION)


def editorial_articles():
    return (
        Article.objects.select_related("draft").defer("draft__blocks")
        # A subquery, not a join: the list's count then drops it and counts the articles alone.
        .annotate(live_slug=Subquery(
            Publication.objects.filter(pk=OuterRef("live_id")).values("slug")[:1]
        ))
    )


def article_etag(article, tag_names):
    """The article's version as the editorial API sees it: draft revision, state, tags."""
    number = article.draft.number if article.draft_id else 0
    tags = ",".join(sorted(tag_names))
    digest = hashlib.blake2b(tags.encode("utf-8"), digest_size=4).hexdigest()
    return f'"article-{article.pk}-r{number}-{article.state}-{digest}"'


# ---------------------------------------------------------------------------------------------
# Editorial: representations


class ReviewerSerializer(serializers.Serializer):
    username = serializers.CharField()
    due = serializers.DateField(allow_null=True)


class EditorialArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.SlugField()
    state = serializers.ChoiceField(choices=Article.State.choices)
    title = serializers.CharField(allow_blank=True)
    title_is_provisional = serializers.BooleanField()
    summary = serializers.CharField(allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField())
    revision = serializers.IntegerField(allow_null=True, help_text="The draft's number.")
    reviewers = ReviewerSerializer(many=True)
    is_live = serializers.BooleanField()
    last_published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.URLField(help_text="This resource in the editorial API.")
    public_url = serializers.URLField(allow_null=True, help_text="The public page, when live.")


class EditorialArticleDetailSerializer(EditorialArticleSerializer):
    blocks = serializers.ListField(child=serializers.DictField())
    source_url = serializers.CharField(allow_blank=True)
    site_name = serializers.CharField(allow_blank=True)
    original_filename = serializers.CharField(allow_blank=True)
    etag = serializers.CharField(help_text="Send it back in If-Match to edit.")
    allowed_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(workflow.ACTIONS))
    )


def reviewer_item(assignment):
    return {
        "username": assignment.reviewer.get_username(),
        "due": assignment.due.isoformat() if assignment.due else None,
    }


def live_slug(article):
    """The slug the live publication of `article` is served at (annotated, else read)."""
    slug = getattr(article, "live_slug", None)
    return slug if slug is not None else article.live.slug


def editorial_item(request, article, *, tag_names, assignments):
    draft = article.draft if article.draft_id else None
    return {
        "id": article.pk,
        "slug": article.slug,
        "state": article.state,
        "title": draft.title if draft else "",
        "title_is_provisional": bool(draft and draft.title_is_provisional),
        "summary": draft.summary if draft else "",
        "tags": sorted(tag_names),
        "revision": draft.number if draft else None,
        "reviewers": [reviewer_item(a) for a in assignments],
        "is_live": article.live_id is not None,
        "last_published_at": (
            article.last_published_at.isoformat() if article.last_published_at else None
        ),
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "url": request.build_absolute_uri(
            reverse("api:editorial-article-detail", kwargs={"pk": article.pk})
        ),
        # The address the public sees: the live publication's, frozen at its publish.
        "public_url": page_url(live_slug(article)) if article.live_id else None,
    }


def editorial_detail(request, article):
    """Return the draft of `article` as the editorial API shows it, and its ETag."""
    tag_names = list(article.tags.names())
    assignments = list(article.review_assignments.select_related("reviewer").order_by("pk"))
    item = editorial_item(request, article, tag_names=tag_names, assignments=assignments)
    draft = article.draft if article.draft_id else None
    etag = article_etag(article, tag_names)
    item.update(
        {
            "blocks": draft.blocks if draft else [],
            "source_url": article.source_url,
            "site_name": article.site_name,
            "original_filename": article.original_filename,
            "etag": etag,
            "allowed_actions": workflow.allowed_actions(article, request.user),
        }
    )
    return item, etag


def detail_response(request, article, status_code=status.HTTP_200_OK, extra=None):
    item, etag = editorial_detail(request, article)
    if extra:
        item = {**item, **extra}
    return Response(item, status=status_code, headers={"ETag": etag})


STATE_REFUSED = "The state changes only through /transitions/ (e.g. {\"action\": \"publish\"})."
# Fields a client might send to change the state, refused with a pointer to /transitions/.
STATE_FIELDS_REFUSED = dict.fromkeys(("state", "publish", "publish_at"), STATE_REFUSED)


# ---------------------------------------------------------------------------------------------
# Editorial: filters


class EditorialArticleFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Article.State.choices)
    tag = django_filters.CharFilter(method="filter_tag", max_length=100, help_text="A tag name.")
    q = django_filters.CharFilter(
        method="filter_q", max_length=200, help_text="Words in the title or slug."
    )
    assigned_to_me = django_filters.BooleanFilter(
        method="filter_assigned_to_me", help_text="Only articles you are assigned to review."
    )

    class Meta:
        model = Article
        fields = []

    def filter_tag(self, queryset, name, value):
        return queryset.tagged_with(Tag.objects.filter(name__iexact=value))

    def filter_q(self, queryset, name, value):
        for word in value.split()[:10]:
            queryset = queryset.filter(
                Q(draft__title__icontains=word)
                | Q(slug__icontains=word)
            )
        return queryset

    def filter_assigned_to_me(self, queryset, name, value):
        mine = ReviewAssignment.objects.filter(reviewer=self.request.user).values("article_id")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


# ---------------------------------------------------------------------------------------------
# Editorial: articles


class ImportJSONSerializer(StrictSerializer):
    format = serializers.ChoiceField(choices=["text", "html", "markdown"])
    content = serializers.CharField(trim_whitespace=False)
    source_url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    refused_fields = STATE_FIELDS_REFUSED


class ImportReportSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=ImportRecord.Result.choices)
    title = serializers.CharField(allow_blank=True)
    blocks = serializers.IntegerField()
    sources = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    dropped = serializers.ListField(child=serializers.DictField())
    error = serializers.CharField(allow_blank=True, allow_null=True)


class ImportResponseSerializer(EditorialArticleDetailSerializer):
    import_report = ImportReportSerializer()


class EditorialArticleListView(generics.ListAPIView):
    """Every article you may see, in any state, most recently changed first; POST imports
    one (a file, or JSON text)."""

    permission_classes = [CanViewArticles]
    filterset_class = EditorialArticleFilter
    parser_classes = [SafeJSONParser, MultiPartParser]

    def get_queryset(self):
        return (
            editorial_articles()
            .prefetch_related(
                "tags",
                Prefetch(
                    "review_assignments",
                    queryset=ReviewAssignment.objects.select_related("reviewer").order_by("pk"),
                ),
            )
            .order_by("-updated_at", "-pk")
        )

    @extend_schema(
        operation_id="editorial_articles_list",
        responses={
            200: EditorialArticleSerializer(many=True),
            **error_responses(*EDITORIAL_READ_ERRORS),
        },
        tags=["editorial"],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(
            [
                editorial_item(
                    request,
                    article,
                    tag_names=[t.name for t in article.tags.all()],
                    assignments=list(article.review_assignments.all()),
                )
                for article in page
            ]
        )

    @extend_schema(
        operation_id="editorial_articles_import",
        description=(
            "Import one article: multipart with a `file`, or JSON `{format, content, "
            "source_url?, tags?}`. The same importer as the admin and the command; the "
            "response holds the article and the import report. Nothing here changes a state."
        ),
        request={
            "application/json": ImportJSONSerializer,
            "multipart/form-data": inline_serializer(
                "ImportUpload",
                {
                    "file": serializers.FileField(),
                    "source_url": serializers.URLField(required=False),
                    "tags": serializers.CharField(required=False, help_text="Comma-separated."),
                },
            ),
        },
        responses={
            201: ImportResponseSerializer,
            200: OpenApiResponse(ImportResponseSerializer, description="Unchanged re-import."),
            **error_responses(400, 401, 403, 413, 415, 429),
        },
        tags=["editorial"],
    )
    def post(self, request, *args, **kwargs):
        # The permission and the size limit are import_bytes's (run_import maps its refusals
        # to 403 and 413). This guard is about the request: a multipart body declared far
        # larger than any importable file is refused before it is read at all.
        if request.content_type.startswith("multipart/"):
            if declared_length(request) > max_import_bytes() + 65536:
                raise PayloadTooLarge("The request body is larger than any import may be.")
            data, options = self._from_upload(request)
        else:
            values = validated(request, ImportJSONSerializer)
            data = values["content"].encode("utf-8")
            options = {
                "filename": "",
                "format": values["format"],
                "source_url": values.get("source_url", ""),
                "tags": values.get("tags", ()),
            }
        return run_import(request, data, options)

    def _from_upload(self, request):
        unknown = [key for key in request.data if key not in ("file", "source_url", "tags")]
        if unknown:
            raise exceptions.ValidationError(
                {key: [STATE_FIELDS_REFUSED.get(key, "Unknown field.")] for key in unknown}
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": ["Attach the file to import as `file`."]})
        fields = serializers.Serializer()
        url_field = serializers.URLField(max_length=2000, allow_blank=True)
        url_field.bind("source_url", fields)
        source_url = request.data.get("source_url", "")
        try:
            source_url = url_field.run_validation(source_url)
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({"source_url": error.detail})
        tags = [t.strip() for t in str(request.data.get("tags", "")).split(",") if t.strip()]
        if any(len(t) > 100 for t in tags):
            raise exceptions.ValidationError({"tags": ["A tag has at most 100 characters."]})
        return upload, {
            "filename": (upload.name or "")[:255],
            "format": None,
            "source_url": source_url,
            "tags": tags,
        }


def run_import(request, data, options):
    """Import `data` (bytes or an upload) through the importer and answer with the article
    and the report."""
    outcome = import_bytes(
        data,
        filename=options["filename"],
        source_url=options["source_url"],
        tags=tuple(options["tags"]),
        actor=request.user,
        format=options["format"],
    )
    report = {
        "result": outcome.result,
        "title": outcome.title or "",
        "blocks": outcome.blocks or 0,
        "sources": outcome.sources or 0,
        "warnings": list(outcome.warnings or ()),
        "dropped": list(outcome.dropped or ()),
        "error": outcome.error or None,
    }
    if outcome.too_large:
        raise PayloadTooLarge(outcome.error)
    if outcome.result == "failed" or outcome.article is None:
        field = "file" if options["filename"] else "content"
        unsupported = outcome.unsupported
        raise DomainError(
            status_code=415 if unsupported else 400,
            detail=outcome.error or "The import failed.",
            code="unsupported_format" if unsupported else "import_failed",
            errors={field: [outcome.error or "The import failed."]},
        )
    article = Article.objects.select_related("draft").get(pk=outcome.article.pk)
    code = status.HTTP_200_OK if outcome.result == "unchanged" else status.HTTP_201_CREATED
    return detail_response(request, article, code, extra={"import_report": report})


class ArticlePatchSerializer(StrictSerializer):
    title = serializers.CharField(max_length=300, required=False)
    summary = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    blocks = serializers.ListField(
        child=serializers.JSONField(), required=False,
        help_text="Typed blocks [{id?, type, text | items | question/answer, level?}].",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    message = serializers.CharField(
        max_length=500, required=False, allow_blank=True, help_text="What changed, and why."
    )
    refused_fields = STATE_FIELDS_REFUSED


IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="The ETag you read. Required: missing gives 428, stale gives 412.",
)


class EditorialArticleDetailView(APIView):
    """The draft of one article; PATCH saves an edit as a new revision."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_articles_retrieve",
        responses={
            200: EditorialArticleDetailSerializer, **error_responses(*EDITORIAL_DETAIL_ERRORS)
        },
        tags=["editorial"],
    )
    def get(self, request, pk):
        return detail_response(request, get_visible_article(request, pk))

    @extend_schema(
        operation_id="editorial_articles_partial_update",
        parameters=[IF_MATCH],
        request=ArticlePatchSerializer,
        responses={
            200: EditorialArticleDetailSerializer,
            **error_responses(*EDITORIAL_PATCH_ERRORS),
        },
        tags=["editorial"],
    )
    def patch(self, request, pk):
        article = get_visible_article(request, pk)
        precondition = if_match_state(request, article_etag(article, article.tags.names()))
        if precondition == "missing":
            raise PreconditionRequired()
        if precondition == "stale":
            raise PreconditionFailed()
        changes = validated(request, ArticlePatchSerializer)
        workflow.save_revision(
            article,
            actor=request.user,
            base_number=article.draft.number if article.draft_id else 0,
            title=changes.get("title"),
            summary=changes.get("summary"),
            blocks=changes.get("blocks"),
            tags=changes.get("tags"),
            message=changes.get("message", ""),
        )
        return detail_response(request, get_visible_article(request, pk))


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class RevisionDetailSerializer(RevisionSerializer):
    summary = serializers.CharField(allow_blank=True)
    blocks = serializers.ListField(child=serializers.DictField())
    plain_text = serializers.CharField(allow_blank=True)


def revision_item(revision, *, full=False):
    item = {
        "number": revision.number,
        "parent": revision.parent.number if revision.parent_id else None,
        "title": revision.title,
        "author": revision.author.get_username() if revision.author_id else None,
        "message": revision.message,
        "created_at": revision.created_at.isoformat(),
    }
    if full:
        item.update(
            {
                "summary": revision.summary,
                "blocks": revision.blocks,
                "plain_text": plain_text(revision.blocks),
            }
        )
    return item


class RevisionListView(generics.GenericAPIView):
    """The revision history of one article, newest first."""

    permission_classes = [IsAuthenticated]
    queryset = Revision.objects.none()

    @extend_schema(
        operation_id="editorial_revisions_list",
        responses={200: RevisionSerializer(many=True), **error_responses(*EDITORIAL_DETAIL_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        article = get_visible_article(request, pk)
        revisions = (
            article.revisions.select_related("author", "parent")
            .only("number", "title", "message", "created_at", "author__username",
                  "parent__number", "article_id")
            .order_by("-number")
        )
        page = self.paginate_queryset(revisions)
        return self.get_paginated_response([revision_item(r) for r in page])


class RevisionDetailView(APIView):
    """One revision of an article, with its blocks."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_revisions_retrieve",
        responses={
            200: RevisionDetailSerializer, **error_responses(*EDITORIAL_DETAIL_ERRORS)
        },
        tags=["editorial"],
    )
    def get(self, request, pk, number):
        article = get_visible_article(request, pk)
        revision = article.revisions.select_related("author", "parent").filter(
            number=number
        ).first()
        if revision is None:
            raise exceptions.NotFound(f"This article has no revision {number}.")
        return Response(revision_item(revision, full=True))


class DiffQuerySerializer(serializers.Serializer):
    from_ = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    to = serializers.IntegerField(min_value=1, max_value=2_147_483_647)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


DIFF_STATUSES = ["same", "changed", "added", "removed"]
WORKFLOW_ACTIONS = list(workflow.ACTIONS)


class DiffEntrySerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=DIFF_STATUSES)
    html = serializers.CharField(allow_blank=True, help_text="Escaped, with <ins> and <del>.")


class DiffSerializer(serializers.Serializer):
    from_revision = serializers.IntegerField()
    to_revision = serializers.IntegerField()
    title = DiffEntrySerializer()
    summary = DiffEntrySerializer()
    blocks = DiffEntrySerializer(many=True)
    changed = serializers.IntegerField()


class RevisionDiffView(APIView):
    """A word diff between two revisions, block by block."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_revisions_diff",
        parameters=[
            OpenApiParameter("from", int, required=True, description="Revision number.",
                             examples=[OpenApiExample("The first revision", value=1)]),
            OpenApiParameter("to", int, required=True, description="Revision number.",
                             examples=[OpenApiExample("The second revision", value=2)]),
        ],
        responses={200: DiffSerializer, **error_responses(*EDITORIAL_DETAIL_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        article = get_visible_article(request, pk)
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        numbers = (query.validated_data["from"], query.validated_data["to"])
        revisions = {r.number: r for r in article.revisions.filter(number__in=numbers)}
        missing = [n for n in numbers if n not in revisions]
        if missing:
            raise exceptions.NotFound(f"This article has no revision {missing[0]}.")
        diff = diff_revisions(revisions[numbers[0]], revisions[numbers[1]])
        return Response({"from_revision": numbers[0], "to_revision": numbers[1], **diff})


class ReviewersInputSerializer(StrictSerializer):
    reviewers = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=50,
        help_text="Usernames of Reviewers.",
    )
    due = serializers.DateField(required=False, allow_null=True)


class ReviewersView(APIView):
    """Assign the article's reviewers (replacing the previous set); no new revision."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_reviewers_update",
        request=ReviewersInputSerializer,
        examples=[
            OpenApiExample(
                "Assign a reviewer", value={"reviewers": ["rhea"], "due": "2030-06-30"},
                request_only=True,
            ),
        ],
        responses={
            200: inline_serializer("Reviewers", {"reviewers": ReviewerSerializer(many=True)}),
            **error_responses(*EDITORIAL_WRITE_ERRORS),
        },
        tags=["editorial"],
    )
    def put(self, request, pk):
        article = get_visible_article(request, pk)
        values = validated(request, ReviewersInputSerializer)
        assignments = workflow.assign_reviewers(
            article, actor=request.user, reviewers=values["reviewers"], due=values.get("due")
        )
        return Response({"reviewers": [reviewer_item(a) for a in assignments]})


class TransitionInputSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=list(workflow.ACTIONS))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    publish_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="For a scheduled publish."
    )


class TransitionView(APIView):
    """Move the article through the workflow: the same functions as the admin."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="editorial_transitions_create",
        request=TransitionInputSerializer,
        responses={
            200: EditorialArticleDetailSerializer,
            **error_responses(*EDITORIAL_WRITE_ERRORS),
        },
        tags=["editorial"],
    )
    def post(self, request, pk):
        article = get_visible_article(request, pk)
        values = validated(request, TransitionInputSerializer)
        workflow.perform(
            article,
            action=values["action"],
            actor=request.user,
            comment=values.get("comment", ""),
            when=values.get("publish_at"),
        )
        return detail_response(request, get_visible_article(request, pk))


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    from_state = serializers.CharField(allow_blank=True)
    to_state = serializers.CharField(allow_blank=True)
    actor = serializers.CharField(allow_null=True)
    revision = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class EventListView(generics.GenericAPIView):
    """The audit log of one article, oldest first."""

    permission_classes = [IsAuthenticated]
    queryset = WorkflowEvent.objects.none()

    @extend_schema(
        operation_id="editorial_events_list",
        responses={200: EventSerializer(many=True), **error_responses(*EDITORIAL_DETAIL_ERRORS)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        article = get_visible_article(request, pk)
        events = (
            WorkflowEvent.objects.filter(article=article)
            .select_related("actor", "revision")
            .only("action", "from_state", "to_state", "comment", "created_at",
                  "actor__username", "revision__number", "article_id")
            .order_by("created_at", "pk")
        )
        page = self.paginate_queryset(events)
        return self.get_paginated_response(
            [
                {
                    "id": event.pk,
                    "action": event.action,
                    "from_state": event.from_state,
                    "to_state": event.to_state,
                    "actor": event.actor.get_username() if event.actor_id else None,
                    "revision": event.revision.number if event.revision_id else None,
                    "comment": event.comment,
                    "created_at": event.created_at.isoformat(),
                }
                for event in page
            ]
        )
