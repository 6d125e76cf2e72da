"""/claims/ and /claims/<slug>/: the public claim pages (namespace "claims")."""

from django.urls import path

from public import claim_views

app_name = "claims"

urlpatterns = [
    path("", claim_views.claim_list, name="list"),
    path("<slug:slug>/", claim_views.claim_detail, name="detail"),
]
