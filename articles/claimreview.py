"""The schema.org people, ratings and claims in an article page's JSON-LD.

`ClaimReview` follows fact-check practice (schema.org, Google's ClaimReview guidelines, Full
Fact's markup): `itemReviewed` is the claim as it was made elsewhere, so its `appearance` is
the imported article's own address and its `author` the site that made it; an article
imported without a source URL has no `appearance` rather than one pointing at ketasite. The
review's `author` is the reviewer (a `Person` with their profile address) and the site is the
`publisher`. The verdict is also a number on a stated scale (`RATING_SCALE`), documented on
the how-we-rate page beside its name.
"""

from django.conf import settings

# The verdict as a rating from 1 (worst: the evidence shows the claim is wrong) to 5 (best:
# good studies back it). Misleading and unsupported share 2: neither is shown wrong, neither
# is backed as written.
BEST_RATING = 5
WORST_RATING = 1
RATING_SCALE = {
    "supported": 5,
    "mixed": 3,
    "unsupported": 2,
    "misleading": 2,
    "contradicted": 1,
}


def site_organisation(site_name: str) -> dict:
    return {"@type": "Organization", "name": site_name, "url": settings.SITE_URL + "/"}


def reviewer_person(credit: dict | None) -> dict | None:
    """Return the reviewer as a schema.org Person, or None when the page credits nobody."""
    if not credit:
        return None
    person = {"@type": "Person", "name": credit["name"]}
    if credit.get("url"):
        person["url"] = credit["url"]
    if credit.get("qualifications"):
        person["honorificSuffix"] = credit["qualifications"]
    return person


def claim_item(origin: dict | None) -> dict:
    """Return the `itemReviewed` Claim: where and by whom it was made, when known."""
    origin = origin or {}
    claim = {"@type": "Claim"}
    if origin.get("url"):
        claim["appearance"] = {"@type": "CreativeWork", "url": origin["url"]}
    if origin.get("site_name"):
        claim["author"] = {"@type": "Organization", "name": origin["site_name"]}
    if origin.get("date"):
        claim["datePublished"] = origin["date"]
    return claim


def review_rating(verdict: str, *, alternate_name: str, explanation: str) -> dict:
    return {
        "@type": "Rating",
        "ratingValue": RATING_SCALE[verdict],
        "bestRating": BEST_RATING,
        "worstRating": WORST_RATING,
        "alternateName": alternate_name,
        "ratingExplanation": explanation,
    }
