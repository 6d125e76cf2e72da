"""The articles API: published articles and tags (public), and the editorial endpoints.

Public endpoints read only live Publication rows. Editorial endpoints call the workflow and
importing services and map their errors to responses; no rule is written here.
"""

import hashlib
import json
from collections import Counter

import django_filters
from django.conf import settings
from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, F, Prefetch, Q, Window
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
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from articles import workflow
from articles.blocks import plain_text
from articles.frozen import accepts_gzip, gzip_etag, prepared_rows
from articles.models import (
    Article,
    ImportRecord,
    Publication,
    ReviewAssignment,
    Revision,
    WorkflowEvent,
)
from articles.publishing import moved_address
from evidence.models import Annotation
from ketasite.api import (
    EDITORIAL_DETAIL_ERRORS,
    EDITORIAL_PATCH_ERRORS,
    EDITORIAL_READ_ERRORS,
    EDITORIAL_WRITE_ERRORS,
    PUBLIC_ERRORS,
    ApiPagination,
    ConditionalGetMixin,
    DomainError,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    SafeJSONParser,
    StrictSerializer,
    content_etag,
    declared_length,
    error_responses,
    frozen_json_response,
    if_match_state,
    public_endpoint,
)

# ---------------------------------------------------------------------------------------------
# Public: documentation serializers (the data itself is frozen at publish)


class EvidenceSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    rated = serializers.IntegerField()
    unrated = serializers.IntegerField()
    by_verdict = serializers.DictField(child=serializers.IntegerField())
    by_certainty = serializers.DictField(child=serializers.IntegerField())
    by_verdict_and_certainty = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()), required=False,
        help_text="Rated claims by verdict, then certainty (every level, zeros included): "
        "the figures of the page's evidence chart. Absent on publications made before it.",
    )
    text = serializers.CharField()


class PublicArticleSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField())
    published_at = serializers.DateTimeField()
    last_reviewed_at = serializers.DateTimeField(allow_null=True)
    evidence_summary = EvidenceSummarySerializer()
    url = serializers.URLField(help_text="The public page.")


class PublicBlockSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(
        choices=["heading", "paragraph", "list", "quote", "faq", "caption"]
    )
    text = serializers.CharField(allow_blank=True)
    level = serializers.IntegerField(required=False)
    items = serializers.ListField(child=serializers.DictField(), required=False)


class PositionSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class PublicAnnotationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    block = serializers.CharField()
    start = serializers.IntegerField(help_text="Offset in the block's text.")
    end = serializers.IntegerField()
    exact = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    position = PositionSerializer(help_text="Offsets in the article's plain text.")
    certainty = serializers.CharField(allow_blank=True)
    verdict = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True, help_text="Markdown.")
    note_html = serializers.CharField(allow_blank=True, help_text="Sanitised HTML.")
    sources = serializers.ListField(child=serializers.IntegerField())
    created = serializers.DateTimeField(allow_null=True)
    modified = serializers.DateTimeField(allow_null=True)


class NumberedSourceSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    authors = serializers.CharField(allow_blank=True, required=False)
    journal = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    pmid = serializers.CharField(allow_blank=True)
    doi = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    design = serializers.CharField(allow_blank=True)
    text = serializers.CharField(
        allow_blank=True, required=False,
        help_text="The reference as readers see it (authors, title, journal, year); blank "
        "when only a link is known. Absent from publications made before it was frozen.",
    )


class PublicArticleDetailSerializer(PublicArticleSerializer):
    revision = serializers.IntegerField()
    blocks = PublicBlockSerializer(many=True)
    body_html = serializers.CharField()
    annotations = PublicAnnotationSerializer(many=True)
    sources = NumberedSourceSerializer(many=True)
    reviewed_by = serializers.ListField(child=serializers.CharField())
    rated_independently = serializers.BooleanField(
        required=False,
        help_text="Every rated claim rests on two independent, blind ratings (dual review); "
        "each published rating is their agreement or the recorded consensus. Absent from "
        "publications made before dual review.",
    )


class TagCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


# ---------------------------------------------------------------------------------------------
# Public: reading


def public_url(slug):
    return settings.SITE_URL + reverse("articles:detail", kwargs={"slug": slug})


def moved_or_not_found(request, viewname, slug):
    """Return a 301 to the same resource at the article's current address when the article
    was published at `slug` before and is live elsewhere now; else raise NotFound."""
    moved_to = moved_address(slug)
    if moved_to is None:
        raise exceptions.NotFound()
    location = reverse(viewname, kwargs={"slug": moved_to})
    if request.META.get("QUERY_STRING"):
        location = f"{location}?{request.META['QUERY_STRING']}"
    return Response(
        {"detail": f"This article has moved to {location}.", "code": "moved_permanently"},
        status=status.HTTP_301_MOVED_PERMANENTLY, headers={"Location": location},
    )


def live_publications():
    """Every public read starts here: current publications of published articles."""
    return Publication.objects.live()


def search_publications(queryset, query):
    """Narrow `queryset` to the publications the public site's search finds for `query`."""
    from articles.search import SearchQueryError, clean_query
    from articles.search import search_publications as site_search

    try:
        query = clean_query(query)
    except SearchQueryError as error:
        raise exceptions.ValidationError({"q": [str(error)]})
    if not query:
        return queryset
    return queryset.filter(pk__in=site_search(query).values("pk"))


class PublicArticleFilter(django_filters.FilterSet):
    tag = django_filters.CharFilter(method="filter_tag", max_length=100, help_text="A tag name.")
    verdict = django_filters.ChoiceFilter(
        choices=Annotation.Verdict.choices,
        method="filter_verdict",
        help_text="Articles with at least one claim given this verdict.",
    )
    certainty = django_filters.ChoiceFilter(
        choices=Annotation.Certainty.choices,
        method="filter_certainty",
        help_text="Articles with at least one claim rated at this certainty.",
    )
    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text="Full-text search.")
    ordering = django_filters.OrderingFilter(
        fields=(("published_at", "published_at"), ("title", "title")),
        help_text="published_at or title, with - for descending (default -published_at).",
    )

    class Meta:
        model = Publication
        fields = []

    def filter_tag(self, queryset, name, value):
        return queryset.tagged(value)

    def filter_verdict(self, queryset, name, value):
        return queryset.filter(**{f"evidence_summary__by_verdict__{value}__gt": 0})

    def filter_certainty(self, queryset, name, value):
        return queryset.filter(**{f"evidence_summary__by_certainty__{value}__gt": 0})

    def filter_q(self, queryset, name, value):
        return search_publications(queryset, value) if value.strip() else queryset


def public_article_item(publication):
    """The list item of `publication`: as stored at publish, so that every client gets the
    same bytes (a jsonb column does not keep the order of keys); built for older ones."""
    stored = bytes(publication.api_item_json or b"")
    if stored:
        return json.loads(stored)
    return {
        "slug": publication.slug,
        "title": publication.title,
        "summary": publication.summary,
        "tags": publication.tags,
        "published_at": publication.published_at.isoformat(),
        "last_reviewed_at": (
            publication.reviewed_at.isoformat() if publication.reviewed_at else None
        ),
        "evidence_summary": publication.evidence_summary,
        "url": public_url(publication.slug),
    }


class PublicAPIView(ConditionalGetMixin, APIView):
    authentication_classes = APIView.authentication_classes
    permission_classes = [AllowAny]


class PublicArticleListView(ConditionalGetMixin, generics.ListAPIView):
    """Published articles, newest first. Filter by tag, verdict, certainty or `q`."""

    permission_classes = [AllowAny]
    filterset_class = PublicArticleFilter
    serializer_class = PublicArticleSerializer

    @staticmethod
    def base_queryset():
        """The live publications, newest first, before filters."""
        return live_publications().order_by("-published_at", "-pk")

    def get_queryset(self):
        return self.base_queryset().only(
            "slug", "title", "summary", "tags", "published_at", "reviewed_at",
            "evidence_summary", "api_item_json",
        )

    @extend_schema(
        operation_id="articles_list",
        responses={200: PublicArticleSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([public_article_item(p) for p in page])


class PublicArticleDetailView(PublicAPIView):
    """The live publication of one article, as frozen when it was published."""

    @extend_schema(
        operation_id="articles_retrieve",
        responses={200: PublicArticleDetailSerializer, **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, slug):
        publication = (
            live_publications().only("api_detail_json", "published_at").filter(slug=slug).first()
        )
        if publication is None:
            return moved_or_not_found(request, "api:article-detail", slug)
        self.last_modified = publication.published_at
        stored = bytes(publication.api_detail_json or b"")
        # The document as stored at publish, so that every client gets the same bytes (a
        # jsonb column does not keep the order of keys); older publications read public_json.
        return Response(json.loads(stored) if stored else publication.public_json)


class PublicTagListView(PublicAPIView):
    """Tags of published articles, with how many published articles carry each."""

    @extend_schema(
        operation_id="tags_list",
        responses={200: TagCountSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request):
        counts = Counter()
        for tags in live_publications().values_list("tags", flat=True):
            counts.update(set(tags or ()))
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
        return Response([{"name": name, "count": count} for name, count in ordered])


def frozen_article_detail(request, slug):
    """The anonymous detail: the document serialised at publish, as it is (one query).

    Returns None, for DRF to answer, when there is a query parameter or no such live
    publication (or one frozen before its document was stored).
    """
    if request.GET:
        return None
    gzip_ok = accepts_gzip(request)
    body_field = "api_detail_gzip" if gzip_ok else "api_detail_json"
    rows = prepared_rows(
        lambda value: live_publications().filter(slug=value)
        .values_list(body_field, "api_detail_etag", "published_at")[:1],
        key=("api-detail", body_field), value=slug,
    )
    if not rows or not rows[0][1]:
        return None
    body, etag, published_at = rows[0]
    return frozen_json_response(
        request, bytes(body), etag=gzip_etag(etag) if gzip_ok else etag,
        last_modified=published_at, encoding="gzip" if gzip_ok else "",
    )


FROZEN_LIST_PARAMETERS = frozenset(("page", "page_size", "tag", "verdict", "certainty", "q",
                                    "ordering"))


def _page_size(request):
    """The page size as ApiPagination reads it: a positive number, at most the maximum."""
    try:
        size = int(request.GET["page_size"])
    except (KeyError, ValueError):
        return ApiPagination.page_size
    if size <= 0:
        return ApiPagination.page_size
    return min(size, ApiPagination.max_page_size)


def _json_value(value):
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def frozen_article_list(request):
    """The anonymous list: the page's list items serialised at publish, joined into the
    pagination envelope (a count query and one query for the page).

    Returns None, for DRF to answer with the error or the rendering, when a parameter is
    unknown or invalid, the page does not exist, or an item was frozen before list items
    were stored. The envelope and links are those of `ApiPagination`.
    """
    if not FROZEN_LIST_PARAMETERS.issuperset(request.GET):
        return None
    if set(request.GET) <= {"page", "page_size"}:
        return _frozen_unfiltered_list(request)
    filterset = PublicArticleFilter(
        request.GET, queryset=PublicArticleListView.base_queryset(), request=request
    )
    if not filterset.is_valid():
        return None
    try:
        queryset = filterset.qs.values_list("api_item_json", flat=True)
        paginator = DjangoPaginator(queryset, _page_size(request))
        number = request.GET.get("page", 1)
        if number in ApiPagination.last_page_strings:
            number = paginator.num_pages
        page = paginator.page(number)
    except (InvalidPage, exceptions.ValidationError):
        return None
    return _list_response(
        request, [bytes(item) for item in page.object_list], count=paginator.count,
        number=page.number, has_next=page.has_next(),
    )


def _frozen_unfiltered_list(request):
    """The list without filters: the page's items and the count in one prepared query."""
    size = _page_size(request)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        return None
    if number < 1:
        return None
    offset = (number - 1) * size
    rows = prepared_rows(
        lambda: PublicArticleListView.base_queryset()
        .annotate(total=Window(Count("pk")))
        .values_list("api_item_json", "total")[offset:offset + size],
        key=("api-list", offset, size),
    )
    if not rows:
        return None  # past the end, or nothing published: DRF answers
    count = rows[0][1]
    return _list_response(
        request, [bytes(item) for item, _ in rows], count=count, number=number,
        has_next=offset + size < count,
    )


def _list_response(request, items, *, count, number, has_next):
    """The pagination envelope of ApiPagination around serialised `items` (None if one is
    missing: a publication frozen before list items were stored)."""
    if not all(items):
        return None
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", number + 1) if has_next else None
    previous_url = None
    if number > 1:
        previous_url = (
            remove_query_param(url, "page") if number == 2
            else replace_query_param(url, "page", number - 1)
        )
    body = b"".join((
        b'{"count":', str(count).encode(), b',"next":', _json_value(next_url),
        b',"previous":', _json_value(previous_url), b',"results":[', b",".join(items), b"]}",
    ))
    return frozen_json_response(request, body, etag=content_etag(body))


public_article_list = public_endpoint(PublicArticleListView, frozen=frozen_article_list)
public_article_detail = public_endpoint(PublicArticleDetailView, frozen=frozen_article_detail)
public_tag_list = public_endpoint(PublicTagListView)


# ---------------------------------------------------------------------------------------------
# Editorial: who sees what

VIEW_PERMISSION = "articles.view_article"
IMPORT_PERMISSION = "articles.add_article"


class CanViewArticles(IsAuthenticated):
    """Signed in, and allowed to see articles in any state (Editors, Reviewers,
    Publishers)."""

    message = "Only editors, reviewers and publishers may use the editorial API."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(VIEW_PERMISSION)


class EditorialPermission(IsAuthenticated):
    """Signed in. Detail endpoints answer 404 (not 403) to a user who may not see articles,
    so that an id reveals nothing; list endpoints answer 403."""


def editorial_articles():
    return (
        Article.objects.select_related("draft").defer("draft__blocks")
        .annotate(live_slug=F("live__slug"))
    )


def get_visible_article(request, pk):
    """Return article `pk` if the user may see it; 404 otherwise (unknown or not visible)."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise exceptions.NotFound("No article with this id is visible to you.")
    try:
        return (
            Article.objects.select_related("draft").annotate(live_slug=F("live__slug")).get(pk=pk)
        )
    except Article.DoesNotExist:
        raise exceptions.NotFound("No article with this id is visible to you.")


def workflow_error(error):
    """Return the API exception for a workflow refusal, keeping its message and code."""
    errors = getattr(error, "errors", None) or None
    if isinstance(error, workflow.GateFailed):
        errors = {"failures": error.failures}
    if isinstance(error, workflow.StaleRevision):
        return PreconditionFailed(str(error))
    return DomainError(
        status_code=error.http_status, detail=str(error), code=error.code, errors=errors
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
        "public_url": public_url(live_slug(article)) if article.live_id else None,
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
        return queryset.filter(pk__in=Article.objects.filter(tags__name__iexact=value).values("pk"))

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
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise exceptions.PermissionDenied("Only editors may import articles.")
        limit = settings.KETASITE_IMPORT_MAX_BYTES
        too_large = PayloadTooLarge(f"An import may be at most {limit} bytes.")
        if request.content_type.startswith("multipart/"):
            if declared_length(request) > limit + 65536:
                raise too_large
            data, options = self._from_upload(request, limit, too_large)
        else:
            incoming = ImportJSONSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            values = incoming.validated_data
            data = values["content"].encode("utf-8")
            if len(data) > limit:
                raise too_large
            options = {
                "filename": "",
                "format": values["format"],
                "source_url": values.get("source_url", ""),
                "tags": values.get("tags", ()),
            }
        return run_import(request, data, options)

    def _from_upload(self, request, limit, too_large):
        unknown = [key for key in request.data if key not in ("file", "source_url", "tags")]
        if unknown:
            raise exceptions.ValidationError(
                {key: [STATE_FIELDS_REFUSED.get(key, "Unknown field.")] for key in unknown}
            )
        upload = request.FILES.get("file")
        if upload is None:
            raise exceptions.ValidationError({"file": ["Attach the file to import as `file`."]})
        if upload.size > limit:
            raise too_large
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
        return upload.read(), {
            "filename": (upload.name or "")[:255],
            "format": None,
            "source_url": source_url,
            "tags": tags,
        }


def run_import(request, data, options):
    """Import `data` through the importer and answer with the article and the report."""
    from articles.importing import import_bytes

    try:
        outcome = import_bytes(
            data,
            filename=options["filename"],
            source_url=options["source_url"],
            tags=tuple(options["tags"]),
            actor=request.user,
            format=options["format"],
        )
    except workflow.WorkflowError as error:
        raise workflow_error(error)
    report = {
        "result": outcome.result,
        "title": outcome.title or "",
        "blocks": outcome.blocks or 0,
        "sources": outcome.sources or 0,
        "warnings": list(outcome.warnings or ()),
        "dropped": list(outcome.dropped or ()),
        "error": outcome.error or None,
    }
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

    permission_classes = [EditorialPermission]

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
        incoming = ArticlePatchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        changes = incoming.validated_data
        try:
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
        except workflow.WorkflowError as error:
            raise workflow_error(error)
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

    permission_classes = [EditorialPermission]
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

    permission_classes = [EditorialPermission]

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

    permission_classes = [EditorialPermission]

    @extend_schema(
        operation_id="editorial_revisions_diff",
        parameters=[
            OpenApiParameter("from", int, required=True, description="Revision number.",
                             examples=[OpenApiExample("The first revision", value=1)]),
            OpenApiParameter("to", int, required=True, description="Revision number.",
                             examples=[OpenApiExample("The second revision", value=2)]),
        ],
        responses={200: DiffSerializer, **error_responses(400, 401, 404, 429)},
        tags=["editorial"],
    )
    def get(self, request, pk):
        from articles.diffing import diff_revisions

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

    permission_classes = [EditorialPermission]

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
        incoming = ReviewersInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            assignments = workflow.assign_reviewers(
                article,
                actor=request.user,
                reviewers=incoming.validated_data["reviewers"],
                due=incoming.validated_data.get("due"),
            )
        except workflow.WorkflowError as error:
            raise workflow_error(error)
        return Response({"reviewers": [reviewer_item(a) for a in assignments]})


class TransitionInputSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=list(workflow.ACTIONS))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    publish_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="For a scheduled publish."
    )


class TransitionView(APIView):
    """Move the article through the workflow: the same functions as the admin."""

    permission_classes = [EditorialPermission]

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
        incoming = TransitionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        values = incoming.validated_data
        try:
            workflow.perform(
                article,
                action=values["action"],
                actor=request.user,
                comment=values.get("comment", ""),
                publish_at=values.get("publish_at"),
            )
        except workflow.WorkflowError as error:
            raise workflow_error(error)
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

    permission_classes = [EditorialPermission]
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
