"""/reviewers/: the published reviewer profiles (namespace "reviewers")."""

from django.urls import path

from public import reviewers as views

app_name = "reviewers"

urlpatterns = [
    path("", views.reviewer_list, name="list"),
    path("<slug:slug>/", views.reviewer_detail, name="detail"),
]
