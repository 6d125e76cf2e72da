"""Editorial API routes of claim spotting, included under /api/v1/ by ketasite/api_urls.py."""

from django.urls import path
from django.views.decorators.cache import never_cache

from spotting import api

# Editorial answers are one person's view of unpublished work: no cache may keep them.
urlpatterns = [
    path(
        "editorial/articles/<int:pk>/suggestions/",
        never_cache(api.EditorialSuggestionListView.as_view()),
        name="editorial-article-suggestions",
    ),
    path(
        "editorial/articles/<int:pk>/suggestions/<int:sid>/accept/",
        never_cache(api.EditorialSuggestionAcceptView.as_view()),
        name="editorial-suggestion-accept",
    ),
    path(
        "editorial/articles/<int:pk>/suggestions/<int:sid>/dismiss/",
        never_cache(api.EditorialSuggestionDismissView.as_view()),
        name="editorial-suggestion-dismiss",
    ),
]
