"""The article page's JSON-LD: MedicalWebPage review fields and fact-check-ready ClaimReviews.

Validated with a JSON Schema of the fields the requirement names (schema.org, Google's
ClaimReview guidelines): `reviewedBy`, `lastReviewed`, a ClaimReview `author` that is a
`Person`, a `publisher` Organization, `itemReviewed` as the claim made elsewhere and a
`reviewRating` on a stated scale.
"""

import json
import re
from datetime import date

import jsonschema
import pytest

from reviewers import profiles
from reviewers.models import ReviewerProfile
from tests.reviews.conftest import live_article

pytestmark = pytest.mark.django_db

PERSON = {
    "type": "object",
    "required": ["@type", "name", "url"],
    "properties": {
        "@type": {"const": "Person"},
        "name": {"type": "string", "minLength": 1},
        "url": {"type": "string", "pattern": "^https?://.+/reviewers/[a-z0-9-]+/$"},
    },
}
ORGANIZATION = {
    "type": "object",
    "required": ["@type", "name"],
    "properties": {"@type": {"const": "Organization"}, "name": {"type": "string", "minLength": 1}},
}
MEDICAL_WEB_PAGE = {
    "type": "object",
    "required": ["@type", "lastReviewed", "reviewedBy", "publisher"],
    "properties": {
        "@type": {"const": "MedicalWebPage"},
        "lastReviewed": {"type": "string", "format": "date"},
        "reviewedBy": PERSON,
        "publisher": ORGANIZATION,
    },
}
CLAIM_REVIEW = {
    "type": "object",
    "required": ["@type", "url", "claimReviewed", "author", "publisher", "datePublished",
                 "itemReviewed", "reviewRating"],
    "properties": {
        "@type": {"const": "ClaimReview"},
        "claimReviewed": {"type": "string", "minLength": 1},
        "author": PERSON,
        "publisher": ORGANIZATION,
        "itemReviewed": {
            "type": "object",
            "required": ["@type"],
            "properties": {
                "@type": {"const": "Claim"},
                "appearance": {
                    "type": "object", "required": ["url"],
                    "properties": {"url": {"type": "string", "format": "uri"}},
                },
                "author": ORGANIZATION,
                "datePublished": {"type": "string", "format": "date"},
            },
        },
        "reviewRating": {
            "type": "object",
            "required": ["@type", "ratingValue", "bestRating", "worstRating", "alternateName"],
            "properties": {
                "@type": {"const": "Rating"},
                "ratingValue": {"type": "integer"},
                "bestRating": {"type": "integer"},
                "worstRating": {"type": "integer"},
                "alternateName": {"type": "string", "minLength": 1},
            },
        },
    },
}
PAGE_SCHEMA = {
    "type": "object",
    "required": ["@context", "@graph"],
    "properties": {
        "@graph": {
            "type": "array",
            "prefixItems": [MEDICAL_WEB_PAGE],
            "items": CLAIM_REVIEW,
            "minItems": 2,
        }
    },
}


def json_ld(client, article):
    article.refresh_from_db()
    html = client.get(f"/articles/{article.live.slug}/").content.decode()
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1)), html


def validate(data):
    jsonschema.validate(data, PAGE_SCHEMA, format_checker=jsonschema.FormatChecker())


def publish_profile_of(user, people):
    profile = ReviewerProfile.objects.create(
        user=user, name="Dr Rita Reviewer", slug="rita-reviewer", qualifications="MBBS",
        conflicts_of_interest="None",
    )
    profiles.submit_profile(profile, actor=user)
    profiles.publish_profile(profile, actor=people["publisher"])


def test_an_imported_article_reviews_the_claim_where_it_was_first_made(clock, client, people):
    publish_profile_of(people["reviewer"], people)
    article = live_article(
        people, source_url="https://clinic.example/ketamine-cures", site_name="Example Clinic",
        original_published_on=date(2024, 3, 1),
    )
    data, html = json_ld(client, article)
    validate(data)
    page, review = data["@graph"]
    assert page["lastReviewed"] == "2027-01-15"
    assert page["reviewedBy"]["name"] == "Dr Rita Reviewer"
    assert review["author"] == page["reviewedBy"]
    assert review["publisher"]["@type"] == "Organization"
    assert review["itemReviewed"] == {
        "@type": "Claim",
        "appearance": {"@type": "CreativeWork", "url": "https://clinic.example/ketamine-cures"},
        "author": {"@type": "Organization", "name": "Example Clinic"},
        "datePublished": "2024-03-01",
    }
    assert review["claimReviewed"] == "Ketamine may help"
    assert "First published by Example Clinic" in html


def test_without_a_source_url_there_is_no_appearance_and_the_page_says_so(
    clock, client, people
):
    publish_profile_of(people["reviewer"], people)
    article = live_article(people)
    data, html = json_ld(client, article)
    validate(data)
    claim = data["@graph"][1]["itemReviewed"]
    assert "appearance" not in claim
    assert article.live.slug not in json.dumps(claim)  # never ketasite's own page
    assert "imported without a source URL" in html


def test_the_rating_value_follows_the_verdict_on_the_scale_the_how_we_rate_page_states(
    clock, client, people
):
    publish_profile_of(people["reviewer"], people)
    data, _ = json_ld(client, live_article(people))
    rating = data["@graph"][1]["reviewRating"]
    assert rating["alternateName"] == "Mixed"
    # The how-we-rate page documents the scale: the same numbers, verdict by verdict.
    html = client.get("/how-we-rate-evidence/").content.decode()
    rows = dict(re.findall(r"</span> ([A-Za-z ]+)</th><td>(\d)</td>", html))
    assert int(rows["Mixed"]) == rating["ratingValue"]
    assert f"from {rating['worstRating']} (worst) to {rating['bestRating']} (best)" in html
    # The scale runs from contradicted (worst) to supported (best), and ranks the verdicts.
    assert int(rows["Contradicted"]) == rating["worstRating"]
    assert int(rows["Supported"]) == rating["bestRating"]
    assert (int(rows["Supported"]) > int(rows["Mixed"]) > int(rows["Unsupported"])
            > int(rows["Contradicted"]))
    assert int(rows["Misleading"]) > int(rows["Contradicted"])


def test_the_schema_rejects_a_reviewer_without_a_profile_to_link(clock, client, people):
    """The schema itself is checked: without a published profile the reviewer Person has no
    profile address, and the validation says so."""
    data, _ = json_ld(client, live_article(people))
    with pytest.raises(jsonschema.ValidationError):
        validate(data)
