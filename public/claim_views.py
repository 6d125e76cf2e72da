"""Public claim pages. Every read starts from public claims (`claims.public`): claims a live
publication shows, or whose page a publisher published; never draft links."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from articles.rendering import json_ld_script
from claims.public import claim_review, find_public_claim, public_claim_item, public_claims
from public.caching import cached_public_page

PAGE_SIZE = 20


@require_safe
@cached_public_page
def claim_list(request):
    """Every public claim, by statement, with its rating and how many articles make it."""
    page = Paginator(public_claims(), PAGE_SIZE).get_page(request.GET.get("page"))
    items = [public_claim_item(claim) for claim in page.object_list]
    return render(request, "claims/list.html", {"page": page, "claims": items})


@require_safe
@cached_public_page
def claim_detail(request, slug):
    """One claim: statement, rating, note, sources, history, the live articles that make it,
    and its ClaimReview JSON-LD. A claim merged into another redirects there."""
    claim, moved_to = find_public_claim(slug)
    if moved_to is not None:
        return HttpResponsePermanentRedirect(reverse("claims:detail", kwargs={"slug": moved_to}))
    if claim is None:
        raise Http404("No published claim here.")
    item = public_claim_item(claim)
    return render(request, "claims/detail.html", {
        "claim": item,
        "structured_data_script": json_ld_script(
            claim_review(item, site_name=settings.SITE_NAME)
        ),
    })
