"""Public pages. Every view starts from published-only data (publications)."""

from django.http import Http404
from django.shortcuts import render

from articles.models import Article


def home(request):
    articles = Article.objects.published().select_related("live")[:20]
    return render(request, "articles/home.html", {"articles": articles})


def article_detail(request, slug):
    article = Article.objects.published().select_related("live").filter(slug=slug).first()
    if article is None:
        raise Http404("No published article here.")
    context = {"article": article, "publication": article.live}
    return render(request, "articles/detail.html", context)
