from django.urls import path

from reviewers import views

app_name = "reviewers"

urlpatterns = [
    path("", views.reviewer_list, name="list"),
    path("<slug:slug>/", views.reviewer_detail, name="detail"),
]
