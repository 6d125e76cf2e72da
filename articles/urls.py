"""Draft previews: an editor's preview and an outside expert's share link. Included by the
public site's URLconf (`public.urls`) under its "articles" namespace; these read drafts, so
they live here with the rest of the editorial side, never in `public`."""

from django.urls import path

from articles import preview

urlpatterns = [
    path("preview/<int:pk>/", preview.preview_article, name="preview"),
    path("shared/<str:token>/", preview.shared_preview, name="shared_preview"),
]
