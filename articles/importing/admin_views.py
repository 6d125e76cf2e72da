"""The admin import page (several files at once), showing the same report as the command."""

from django.http import HttpResponse


def import_articles_view(request):  # replaced by the importing work
    return HttpResponse("Import is not available yet.", status=501)
