"""Dashboard panel of dual review: the annotations whose two ratings conflict."""

from django import template

from evidence.dualreview import open_conflicts

register = template.Library()


@register.simple_tag(takes_context=True)
def rating_conflicts(context):
    """Return the open conflicts the request's user may see (editors and reviewers)."""
    request = context.get("request")
    if request is None:
        return []
    user = request.user
    if not (user.has_perm("articles.review_article") or user.has_perm(
            "evidence.change_annotation")):
        return []
    return open_conflicts()
