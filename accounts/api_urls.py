"""API sign-in routes, under /api/v1/ in the "api" namespace."""

from django.urls import path

from accounts.api import TokenView
from ketasite.api import never_cached

# A token is a secret: no cache may keep the answer.
urlpatterns = never_cached([
    path("auth/token/", TokenView.as_view(), name="token"),
])
