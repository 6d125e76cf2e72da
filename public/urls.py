"""The public site's routes. The namespace is still "articles", so every existing URL name
(`articles:detail`, `articles:tag`, …) keeps working."""

from django.conf import settings
from django.contrib.sitemaps.views import index as sitemap_index
from django.urls import include, path

from public import views
from public.caching import cached_public_page
from public.claim_history import claim_history_view
from public.feeds import LatestArticlesFeed
from public.sitemaps import SITEMAPS, sitemap_file

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
    # An index of sitemap files, each of at most 2,000 addresses (public/sitemaps.py).
    path(
        "sitemap.xml",
        cached_public_page(sitemap_index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "articles:sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_public_page(sitemap_file),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    # Draft previews (editors' and share links) stay with the articles app, which alone may
    # read drafts; they share this namespace so their names (`articles:preview`,
    # `articles:shared_preview`) keep working.
    path("", include("articles.urls")),
]

if getattr(settings, "KETASITE_BENCH", False):
    # The yardstick for `make bench` only; never routed otherwise.
    urlpatterns.append(path("_bench/bare/", views.bench_bare, name="bench_bare"))
