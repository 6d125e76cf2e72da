"""The editorial claim routes, under /api/v1/ in the "api" namespace (`ketasite.api_urls`)."""

from django.urls import path

from claims import api
from ketasite.api import never_cached

# Editorial answers are one person's view of unpublished work: no cache may keep them.
urlpatterns = never_cached([
    path("editorial/claims/", api.EditorialClaimListView.as_view(), name="editorial-claim-list"),
    path(
        "editorial/claims/<int:pk>/",
        api.EditorialClaimDetailView.as_view(),
        name="editorial-claim-detail",
    ),
    path(
        "editorial/annotations/<int:pk>/claim/",
        api.EditorialAnnotationClaimView.as_view(),
        name="editorial-annotation-claim",
    ),
    path(
        "editorial/annotations/<int:pk>/claim/confirm/",
        api.EditorialAnnotationClaimConfirmView.as_view(),
        name="editorial-annotation-claim-confirm",
    ),
])
