"""The evidence editorial API's routes, under /api/v1/ in the "api" namespace."""

from django.urls import path

from evidence import api as evidence_api
from ketasite.api import never_cached

# Editorial answers are one person's view of unpublished work: no cache may keep them.
urlpatterns = never_cached([
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
])
