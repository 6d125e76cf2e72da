from django.conf import settings
from django.contrib.sitemaps.views import sitemap
from django.urls import path

from articles import preview, views
from articles.caching import cached_public_page
from articles.feeds import LatestArticlesFeed
from articles.sitemaps import SITEMAPS
from public.claim_history import claim_history_view

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
    path(
        "articles/<slug:slug>/claims/<int:annotation_id>/", claim_history_view,
        name="claim_history",
    ),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
    path("search/", views.search, name="search"),
    path("how-we-rate-evidence/", views.how_we_rate, name="how_we_rate"),
    path("feed/", cached_public_page(LatestArticlesFeed()), name="feed"),
    path(
        "sitemap.xml",
        cached_public_page(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("preview/<int:pk>/", preview.preview_article, name="preview"),
    path("shared/<str:token>/", preview.shared_preview, name="shared_preview"),
]

if getattr(settings, "KETASITE_BENCH", False):
    # The yardstick for `make bench` only; never routed otherwise.
    urlpatterns.append(path("_bench/bare/", views.bench_bare, name="bench_bare"))
