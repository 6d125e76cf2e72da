"""The public site's routes. The namespace is still "articles", so every existing URL name
(`articles:detail`, `articles:tag`, …) keeps working."""

from django.conf import settings
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from public import views
from public.caching import cached_public_page
from public.feeds import LatestArticlesFeed
from public.sitemaps import SITEMAPS

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.article_detail, name="detail"),
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
    # Draft previews (editors' and share links) stay with the articles app, which alone may
    # read drafts; they share this namespace so their names (`articles:preview`,
    # `articles:shared_preview`) keep working.
    path("", include("articles.urls")),
]

if getattr(settings, "KETASITE_BENCH", False):
    # The yardstick for `make bench` only; never routed otherwise.
    urlpatterns.append(path("_bench/bare/", views.bench_bare, name="bench_bare"))
