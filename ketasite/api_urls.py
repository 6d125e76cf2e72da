"""Routes under /api/: the OpenAPI schema, its offline docs, and version 1 of the API."""

from django.urls import include, path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView

from accounts.api import TokenView
from articles import api as articles_api
from claims.urls import editorial_claim_urls
from evidence import api as evidence_api
from ketasite.api_views import SwaggerDocsView
from public import claim_api

app_name = "api"

v1 = [
    path("auth/token/", TokenView.as_view(), name="token"),
    # Public: published content only.
    path("articles/", articles_api.public_article_list, name="article-list"),
    path("articles/<slug:slug>/", articles_api.public_article_detail, name="article-detail"),
    path(
        "articles/<slug:slug>/annotations/",
        evidence_api.public_article_annotations,
        name="article-annotations",
    ),
    path("annotations/<int:pk>/", evidence_api.public_annotation_detail, name="annotation-detail"),
    path("sources/", evidence_api.public_source_list, name="source-list"),
    path("sources/<int:pk>/", evidence_api.public_source_detail, name="source-detail"),
    path("tags/", articles_api.public_tag_list, name="tag-list"),
    path("claims/", claim_api.public_claim_list, name="claim-list"),
    path("claims/<slug:slug>/", claim_api.public_claim_detail, name="claim-detail"),
    # Editorial: authenticated, any state the user may see.
    path(
        "editorial/articles/",
        articles_api.EditorialArticleListView.as_view(),
        name="editorial-article-list",
    ),
    path(
        "editorial/articles/<int:pk>/",
        articles_api.EditorialArticleDetailView.as_view(),
        name="editorial-article-detail",
    ),
    path(
        "editorial/articles/<int:pk>/revisions/",
        articles_api.RevisionListView.as_view(),
        name="editorial-revision-list",
    ),
    path(
        "editorial/articles/<int:pk>/revisions/<int:number>/",
        articles_api.RevisionDetailView.as_view(),
        name="editorial-revision-detail",
    ),
    path(
        "editorial/articles/<int:pk>/diff/",
        articles_api.RevisionDiffView.as_view(),
        name="editorial-revision-diff",
    ),
    path(
        "editorial/articles/<int:pk>/reviewers/",
        articles_api.ReviewersView.as_view(),
        name="editorial-reviewers",
    ),
    path(
        "editorial/articles/<int:pk>/transitions/",
        articles_api.TransitionView.as_view(),
        name="editorial-transitions",
    ),
    path(
        "editorial/articles/<int:pk>/events/",
        articles_api.EventListView.as_view(),
        name="editorial-events",
    ),
    path(
        "editorial/articles/<int:pk>/annotations/",
        evidence_api.EditorialArticleAnnotationsView.as_view(),
        name="editorial-article-annotations",
    ),
    path(
        "editorial/annotations/<int:pk>/",
        evidence_api.EditorialAnnotationDetailView.as_view(),
        name="editorial-annotation-detail",
    ),
    path(
        "editorial/sources/",
        evidence_api.EditorialSourceListView.as_view(),
        name="editorial-source-list",
    ),
    path(
        "editorial/annotations/<int:pk>/comments/",
        evidence_api.EditorialCommentView.as_view(),
        name="editorial-annotation-comments",
    ),
    path(
        "editorial/comments/<int:pk>/resolve/",
        evidence_api.EditorialCommentResolveView.as_view(),
        name="editorial-comment-resolve",
    ),
    path(
        "editorial/comments/<int:pk>/reopen/",
        evidence_api.EditorialCommentReopenView.as_view(),
        name="editorial-comment-reopen",
    ),
    *editorial_claim_urls,
]

# Editorial answers are one person's view of unpublished work: no cache may keep them, even
# one that ignores Vary (`Cache-Control: private, no-store`).
for pattern in v1:
    if str(pattern.pattern).startswith(("editorial/", "auth/")):
        pattern.callback = never_cache(pattern.callback)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include(v1)),
]
