"""The articles editorial API's routes, under /api/v1/ in the "api" namespace."""

from django.urls import path

from articles import api as articles_api
from ketasite.api import never_cached

# Editorial answers are one person's view of unpublished work: no cache may keep them.
urlpatterns = never_cached([
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
])
