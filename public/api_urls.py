"""The public API's routes, under /api/v1/ in the "api" namespace (`ketasite.api_urls`)."""

from django.urls import path

from public import api

urlpatterns = [
    path("articles/", api.public_article_list, name="article-list"),
    path("articles/<slug:slug>/", api.public_article_detail, name="article-detail"),
    path(
        "articles/<slug:slug>/annotations/",
        api.public_article_annotations,
        name="article-annotations",
    ),
    path("annotations/<int:pk>/", api.public_annotation_detail, name="annotation-detail"),
    path("sources/", api.public_source_list, name="source-list"),
    path("sources/<int:pk>/", api.public_source_detail, name="source-detail"),
    path("tags/", api.public_tag_list, name="tag-list"),
]
