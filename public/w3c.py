"""The W3C Web Annotation form of published annotations (JSON-LD): what the public API sends
with `Accept: application/ld+json` or `?format=jsonld`, and what a site export writes beside
each annotation (registered with `articles.backup` by this app's AppConfig)."""

from django.conf import settings
from django.urls import reverse

from ketasite.api import W3C_ANNOTATION_PROFILE


def _w3c_time(value):
    """ISO 8601 as stored, with UTC written as Z (xsd:dateTime)."""
    if not value:
        return None
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def w3c_annotation(item, *, annotation_url, page_url, with_context=True):
    """Return one frozen public annotation as a W3C Web Annotation (JSON-LD).

    The body carries the reviewer note (assessing) and the verdict and certainty
    (classifying, `not_rated` when blank); the target is the public page, selected by quote
    and by position in the article's plain text.
    """
    body = []
    if item.get("note"):
        body.append(
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "format": "text/markdown",
                "value": item["note"],
            }
        )
    body.append(
        {
            "type": "TextualBody",
            "purpose": "classifying",
            "value": f"verdict:{item.get('verdict') or 'not_rated'}",
        }
    )
    body.append(
        {
            "type": "TextualBody",
            "purpose": "classifying",
            "value": f"certainty:{item.get('certainty') or 'not_rated'}",
        }
    )
    annotation = {}
    if with_context:
        annotation["@context"] = W3C_ANNOTATION_PROFILE
    annotation.update(
        {
            "id": annotation_url,
            "type": "Annotation",
            "motivation": "assessing",
            "body": body,
            "target": {
                "source": page_url,
                "selector": [
                    {
                        "type": "TextQuoteSelector",
                        "exact": item["exact"],
                        "prefix": item.get("prefix", ""),
                        "suffix": item.get("suffix", ""),
                    },
                    {
                        "type": "TextPositionSelector",
                        "start": item["position"]["start"],
                        "end": item["position"]["end"],
                    },
                ],
            },
        }
    )
    for name in ("created", "modified"):
        if item.get(name):
            annotation[name] = _w3c_time(item[name])
    return annotation


def w3c_collection(items, *, collection_url, label, annotation_url, page_url):
    """Return a W3C AnnotationCollection holding every item on its one embedded page."""
    collection = {
        "@context": W3C_ANNOTATION_PROFILE,
        "id": collection_url,
        "type": "AnnotationCollection",
        "label": label,
        "total": len(items),
    }
    if items:
        collection["first"] = {
            "id": f"{collection_url}#page1",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [
                w3c_annotation(
                    item, annotation_url=annotation_url(item), page_url=page_url,
                    with_context=False,
                )
                for item in items
            ],
        }
    return collection



def stored_annotation_w3c(item, *, annotation_id, page_path):
    """The W3C form of a stored annotation (draft or published) for a site export: `item` as
    `w3c_annotation` takes it, its id, and the address of its article's page."""
    return w3c_annotation(
        item,
        annotation_url=settings.SITE_URL + reverse(
            "api:annotation-detail", kwargs={"pk": annotation_id}
        ),
        page_url=settings.SITE_URL + page_path,
    )
