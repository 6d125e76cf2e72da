"""The public API: published articles, tags, annotations (also as W3C Web Annotations) and
sources, read only from live publications.

Anonymous GETs go through the public page cache (`public.caching`) after the anonymous
throttle, and the article list and detail are answered from the documents serialised at
publish (`articles.frozen`) without DRF rendering; signed-in clients get the same bytes from
DRF. Nothing here writes.
"""

import datetime
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import partial

import django_filters
from django.core.paginator import InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from articles.models import Publication
from articles.publishing import moved_address, page_url
from evidence.models import Annotation, Source
from ketasite.api import (
    PUBLIC_ERRORS,
    ApiJSONRenderer,
    ApiPagination,
    ConditionalGetMixin,
    JSONLDRenderer,
    content_etag,
    error_responses,
    frozen_json_response,
    public_endpoint,
    wants_jsonld,
)
from public.caching import cached_public_page
from public.frozen import accepts_gzip, gzip_etag, live_count, live_page, live_rows
from public.search import SearchQueryError, clean_query
from public.search import search_publications as site_search
from public.w3c import w3c_annotation, w3c_collection


def public_view(view_class, *, frozen=None):
    """The view of a public API class: anonymous GETs through the public page cache."""
    return public_endpoint(view_class, frozen=frozen, page_cache=cached_public_page)


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


def search_publications(queryset, query):
    """Narrow `queryset` to the publications the public site's search finds for `query`."""
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
        return Publication.objects.live().newest_first()

    def get_queryset(self):
        return self.base_queryset().only("api_item_json")

    @extend_schema(
        operation_id="articles_list",
        parameters=[OpenApiParameter(
            "cursor", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
            description="A position in the unfiltered list, from a `next` or `previous` link: "
            "pages far from both ends are reached this way (page numbers serve the first "
            "and last pages). Not with `page` or a filter.",
        )],
        responses={200: PublicArticleSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, *args, **kwargs):
        if UNFILTERED_LIST_PARAMETERS.issuperset(request.GET):
            page = live_list_page(request)
            return Response({
                "count": page.count, "next": page.next_url, "previous": page.previous_url,
                "results": [json.loads(item) for item in page.items],
            })
        if "cursor" in request.GET:
            raise exceptions.ValidationError({"cursor": [
                "A cursor pages the unfiltered list only; filtered lists take `page`."
            ]})
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        # Each item as stored at publish (`articles.frozen.publication_item`), so every client
        # gets the same bytes (a jsonb column does not keep the order of keys).
        return self.get_paginated_response(
            [json.loads(bytes(publication.api_item_json)) for publication in page]
        )


class PublicArticleDetailView(PublicAPIView):
    """The live publication of one article, as frozen when it was published."""

    @extend_schema(
        operation_id="articles_retrieve",
        responses={200: PublicArticleDetailSerializer, **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, slug):
        publication = (
            Publication.objects.live().only("api_detail_json", "published_at")
            .filter(slug=slug).first()
        )
        if publication is None:
            return moved_or_not_found(request, "api:article-detail", slug)
        self.last_modified = publication.published_at
        # The document as stored at publish, so that every client gets the same bytes (a
        # jsonb column does not keep the order of keys).
        return Response(json.loads(bytes(publication.api_detail_json)))


class PublicTagListView(PublicAPIView):
    """Tags of published articles, with how many published articles carry each."""

    @extend_schema(
        operation_id="tags_list",
        responses={200: TagCountSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request):
        counts = Counter()
        for tags in Publication.objects.live().values_list("tags", flat=True):
            counts.update(set(tags or ()))
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))
        return Response([{"name": name, "count": count} for name, count in ordered])


def frozen_article_detail(request, slug):
    """The anonymous detail: the document serialised at publish, as it is (one query).

    Returns None, for DRF to answer, when there is a query parameter or no such live
    publication.
    """
    if request.GET:
        return None
    gzip_ok = accepts_gzip(request)
    body_field = "api_detail_gzip" if gzip_ok else "api_detail_json"
    rows = live_rows((body_field, "api_detail_etag", "published_at"), slug=slug)
    if not rows:
        return None
    body, etag, published_at = rows[0]
    return frozen_json_response(
        request, bytes(body), etag=gzip_etag(etag) if gzip_ok else etag,
        last_modified=published_at, encoding="gzip" if gzip_ok else "",
    )


FROZEN_LIST_PARAMETERS = frozenset(("page", "page_size", "tag", "verdict", "certainty", "q",
                                    "ordering", "cursor"))


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


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
    unknown or invalid or the page does not exist. The envelope and links are those of
    `ApiPagination`.
    """
    if not FROZEN_LIST_PARAMETERS.issuperset(request.GET):
        return None
    if UNFILTERED_LIST_PARAMETERS.issuperset(request.GET):
        try:
            page = live_list_page(request)
        except exceptions.APIException:
            return None  # DRF answers the error, through the same function
        return _page_response(request, page)
    if "cursor" in request.GET:
        return None
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


# The unfiltered list, newest first, a page at a time at the cost of one page at any size:
# page N is read from whichever end of the list is nearer (the last page costs what the first
# does), and pages deeper than PAGE_NUMBER_DEPTH rows from both ends are reached by cursor
# (`?cursor=`, in the `next`/`previous` links), which walks the index from a position.
PAGE_NUMBER_DEPTH = 10_000
UNFILTERED_LIST_PARAMETERS = frozenset(("page", "page_size", "cursor"))
_CURSOR = re.compile(r"([np])(\d{1,19})_(\d{1,19})")


@dataclass
class ListPage:
    items: list  # the stored list items (bytes), in order
    count: int
    next_url: str | None
    previous_url: str | None


def _cursor_token(direction, row):
    published_at, pk = row[-2], row[-1]
    micros = (published_at - EPOCH) // datetime.timedelta(microseconds=1)
    return f"{direction}{micros}_{pk}"


def _parse_cursor(value):
    match = _CURSOR.fullmatch(value)
    if match is None:
        raise exceptions.ValidationError(
            {"cursor": ["Not a cursor of this list: use the `next` and `previous` links."]}
        )
    direction, micros, pk = match.groups()
    try:
        published_at = EPOCH + datetime.timedelta(microseconds=int(micros))
    except OverflowError:
        raise exceptions.ValidationError({"cursor": ["Not a cursor of this list."]})
    return direction, (published_at, int(pk))


def live_list_page(request):
    """The page of the unfiltered live list that `request` asks for (`page` or `cursor`,
    and `page_size`), with its `count` and links; raises NotFound for a page that does not
    exist and ValidationError for a bad cursor or a page number too deep (use the cursor).

    Both the anonymous (stored bytes) and the signed-in (DRF) answers are built from it, so
    they are the same document.
    """
    size = _page_size(request)
    url = request.build_absolute_uri()
    fields = ("api_item_json",)
    if "cursor" in request.GET:
        if "page" in request.GET:
            raise exceptions.ValidationError(
                {"cursor": ["Give either page or cursor, not both."]}
            )
        direction, position = _parse_cursor(request.GET["cursor"])
        newest_first = direction == "n"
        rows = live_page(fields, size=size + 1, newest_first=newest_first, after=position,
                         with_count=True)
        more = len(rows) > size
        rows = rows[:size]
        if not newest_first:
            rows.reverse()
        count = rows[0][-1] if rows else live_count()
        rows = [row[:-1] for row in rows]
        # The rows on the far side of the cursor: those it was made from, unless they are gone.
        behind = bool(live_page((), size=1, newest_first=not newest_first,
                                after=_nudged(position, newest_first)))
        has_next, has_previous = (more, behind) if newest_first else (behind, more)
        page_url = partial(replace_query_param, remove_query_param(url, "page"), "cursor")
        return ListPage(
            [row[0] for row in rows], count,
            page_url(_cursor_token("n", rows[-1])) if has_next and rows else None,
            page_url(_cursor_token("p", rows[0])) if has_previous and rows else None,
        )
    number = request.GET.get("page", 1)
    count = None
    if number in ApiPagination.last_page_strings:
        count = live_count()
        number = max(1, -(-count // size))
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise exceptions.NotFound(ApiPagination.invalid_page_message.format(
            page_number=request.GET.get("page")))
    start = (number - 1) * size
    if count is None and start > PAGE_NUMBER_DEPTH:
        count = live_count()  # to read a deep page from the other end
    if count is not None and count - start < start:
        # Nearer the end: read it oldest first (the last page costs what the first does).
        end = min(start + size, count)
        if start >= count and number > 1:
            raise exceptions.NotFound(
                ApiPagination.invalid_page_message.format(page_number=number))
        depth = count - end
        _check_depth(depth)
        rows = live_page(fields, size=end - start, offset=depth, newest_first=False)
        rows.reverse()
    else:
        _check_depth(start)
        rows = live_page(fields, size=size, offset=start, with_count=True)
        if rows:
            count = rows[0][-1]
            rows = [row[:-1] for row in rows]
        elif number > 1:
            raise exceptions.NotFound(
                ApiPagination.invalid_page_message.format(page_number=number))
        else:
            count = live_count()
    pages = max(1, -(-count // size))

    def link(target, row, direction):
        if min((target - 1) * size, count - min(target * size, count)) <= PAGE_NUMBER_DEPTH:
            if target == 1:
                return remove_query_param(url, "page")
            return replace_query_param(url, "page", target)
        return replace_query_param(remove_query_param(url, "page"), "cursor",
                                   _cursor_token(direction, row))

    return ListPage(
        [row[0] for row in rows], count,
        link(number + 1, rows[-1], "n") if number < pages and rows else None,
        link(number - 1, rows[0], "p") if number > 1 and rows else None,
    )


def _nudged(position, newest_first):
    """The position itself included on the far side: rows at or beyond it."""
    published_at, pk = position
    return (published_at, pk - 1) if newest_first else (published_at, pk + 1)


def _check_depth(depth):
    if depth > PAGE_NUMBER_DEPTH:
        raise exceptions.ValidationError({"page": [
            f"Pages more than {PAGE_NUMBER_DEPTH} articles from both ends of the list are "
            "reached by following the `next` and `previous` links (a cursor)."
        ]})


def _page_response(request, page):
    body = b"".join((
        b'{"count":', str(page.count).encode(), b',"next":', _json_value(page.next_url),
        b',"previous":', _json_value(page.previous_url), b',"results":[', b",".join(page.items),
        b"]}",
    ))
    return frozen_json_response(request, body, etag=content_etag(body))


def _list_response(request, items, *, count, number, has_next):
    """The pagination envelope of ApiPagination around serialised `items`."""
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


public_article_list = public_view(PublicArticleListView, frozen=frozen_article_list)
public_article_detail = public_view(PublicArticleDetailView, frozen=frozen_article_detail)
public_tag_list = public_view(PublicTagListView)


# ---------------------------------------------------------------------------------------------
# Public: annotations and sources


def annotation_api_url(request, annotation_id):
    return request.build_absolute_uri(
        reverse("api:annotation-detail", kwargs={"pk": annotation_id})
    )


class PublicArticleAnnotationsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PublicAnnotationSerializer(many=True)


W3C_NOTE = (
    " With `Accept: application/ld+json` or `?format=jsonld` the response is a W3C Web "
    "Annotation (JSON-LD, profile http://www.w3.org/ns/anno.jsonld)."
)


class PublicW3CView(ConditionalGetMixin, APIView):
    permission_classes = [AllowAny]
    renderer_classes = [ApiJSONRenderer, JSONLDRenderer]


class PublicArticleAnnotationsView(PublicW3CView):
    """The published annotations of one article, in reading order."""

    @extend_schema(
        operation_id="articles_annotations_list",
        description="Every published annotation of the article, on one page." + W3C_NOTE,
        responses={
            (200, "application/json"): PublicArticleAnnotationsSerializer,
            (200, "application/ld+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="A W3C AnnotationCollection."
            ),
            **error_responses(*PUBLIC_ERRORS),
        },
        tags=["public"],
    )
    def get(self, request, slug):
        publication = (
            Publication.objects.live().only("annotations", "published_at").filter(slug=slug).first()
        )
        if publication is None:
            return moved_or_not_found(request, "api:article-annotations", slug)
        self.last_modified = publication.published_at
        items = publication.annotations
        if wants_jsonld(request):
            return Response(
                w3c_collection(
                    items,
                    collection_url=request.build_absolute_uri(request.path),
                    label=f"Rated claims in {slug}",
                    annotation_url=lambda item: annotation_api_url(request, item["id"]),
                    page_url=page_url(slug),
                )
            )
        return Response({"count": len(items), "next": None, "previous": None, "results": items})


class PublicAnnotationDetailView(PublicW3CView):
    """One published annotation, as it is in its article's live publication."""

    @extend_schema(
        operation_id="annotations_retrieve",
        description="One published annotation." + W3C_NOTE,
        responses={
            (200, "application/json"): PublicAnnotationSerializer,
            (200, "application/ld+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="A W3C Annotation."
            ),
            **error_responses(*PUBLIC_ERRORS),
        },
        tags=["public"],
    )
    def get(self, request, pk):
        # The live publication of the annotation's article, found in one query.
        publication = (
            Publication.objects.live()
            .filter(article__annotations__pk=pk)
            .only("annotations", "published_at", "slug")
            .first()
        )
        item = next(
            (a for a in (publication.annotations if publication else ()) if a["id"] == pk), None
        )
        if item is None:
            raise exceptions.NotFound("No published annotation has this id.")
        self.last_modified = publication.published_at
        slug = publication.slug
        if wants_jsonld(request):
            return Response(
                w3c_annotation(
                    item,
                    annotation_url=request.build_absolute_uri(request.path),
                    page_url=page_url(slug),
                )
            )
        return Response({**item, "article": slug})


PUBLIC_SOURCE_FIELDS = (
    "id", "title", "authors", "journal", "year", "pmid", "doi", "url", "design", "text",
)


def public_source(reference):
    """Return a frozen numbered reference as the public source API shows it."""
    item = {name: reference.get(name, "") for name in PUBLIC_SOURCE_FIELDS}
    item["year"] = reference.get("year")
    if "text" not in reference:
        # Frozen before the reference text was: the title is what those pages showed.
        item["text"] = reference.get("title", "")
    return item


def frozen_sources():
    """Return {source id: public dict} of the sources in live publications' references.

    Each as the newest live publication citing it froze it, never the Source row: an edit
    of a source reaches the public only with the next publish of an article citing it.
    """
    frozen = {}
    references_lists = (
        Publication.objects.live().newest_first().values_list("sources", flat=True)
    )
    for references in references_lists:
        for reference in references or ():
            if isinstance(reference, dict) and reference.get("id") not in frozen:
                frozen[reference.get("id")] = public_source(reference)
    frozen.pop(None, None)
    return frozen


class PublicSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(allow_blank=True)
    authors = serializers.CharField(allow_blank=True)
    journal = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    pmid = serializers.CharField(allow_blank=True)
    doi = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    design = serializers.ChoiceField(choices=Source.Design.choices, allow_blank=True)
    text = serializers.CharField(
        allow_blank=True,
        help_text="The reference as readers see it (authors, title, journal, year); blank "
        "when only a link is known.",
    )

    class Meta:
        ref_name = "PublicSource"


class PublicSourceListView(ConditionalGetMixin, generics.ListAPIView):
    """Sources cited by published articles, by title, as their publications froze them."""

    permission_classes = [AllowAny]
    serializer_class = PublicSourceSerializer
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Source.objects.none()
        return sorted(frozen_sources().values(), key=lambda s: (s["title"], s["id"]))

    @extend_schema(
        operation_id="sources_list",
        responses={200: PublicSourceSerializer(many=True), **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(page)


class PublicSourceDetailView(ConditionalGetMixin, APIView):
    """One source cited by a published article, as the newest such publication froze it."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="sources_retrieve",
        responses={200: PublicSourceSerializer, **error_responses(*PUBLIC_ERRORS)},
        tags=["public"],
    )
    def get(self, request, pk):
        # A cheap first cut (the quoted key and number in the stored JSON), then the exact
        # match in Python: the newest live publication whose references hold source `pk`.
        candidates = (
            Publication.objects.live().filter(sources__icontains=f'"id": {pk},')
            .newest_first().values_list("sources", flat=True)
        )
        for references in candidates:
            for reference in references or ():
                if isinstance(reference, dict) and reference.get("id") == pk:
                    return Response(public_source(reference))
        raise exceptions.NotFound()


public_article_annotations = public_view(PublicArticleAnnotationsView)
public_annotation_detail = public_view(PublicAnnotationDetailView)
public_source_list = public_view(PublicSourceListView)
public_source_detail = public_view(PublicSourceDetailView)


