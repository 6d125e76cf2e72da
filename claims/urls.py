"""The editorial claim routes, included under /api/v1/ by `ketasite/api_urls.py`."""

from django.urls import path

from claims import api

editorial_claim_urls = [
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
]
