"""The admin dashboard's list of live articles needing re-review after a claim's rating
changed."""

from django import template

from claims.services import can_view_claims, needing_rereview

register = template.Library()
SHOWN = 20


@register.simple_tag(takes_context=True)
def rereview_list(context):
    """Return {"rows", "total"} of open re-reviews for the request's user, or None."""
    request = context.get("request")
    if request is None or not can_view_claims(request.user):
        return None
    rows = list(needing_rereview()[:SHOWN + 1])
    return {"rows": rows[:SHOWN], "more": len(rows) > SHOWN}
