"""Editorial API routes of claim spotting, included under /api/v1/ by ketasite/api_urls.py."""

from django.urls import path

from ketasite.api import never_cached
from spotting import api

# Editorial answers are one person's view of unpublished work: no cache may keep them.
urlpatterns = never_cached([
    path(
        "editorial/articles/<int:pk>/suggestions/",
        api.EditorialSuggestionListView.as_view(),
        name="editorial-article-suggestions",
    ),
    path(
        "editorial/articles/<int:pk>/suggestions/<int:sid>/accept/",
        api.EditorialSuggestionAcceptView.as_view(),
        name="editorial-suggestion-accept",
    ),
    path(
        "editorial/articles/<int:pk>/suggestions/<int:sid>/dismiss/",
        api.EditorialSuggestionDismissView.as_view(),
        name="editorial-suggestion-dismiss",
    ),
])
