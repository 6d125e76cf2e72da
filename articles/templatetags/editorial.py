"""Template tags for the admin's editorial dashboard."""

from django import template

from articles.admin import editorial_dashboard

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_lists(context):
    """Return the dashboard lists for the request's user (see `editorial_dashboard`)."""
    request = context.get("request")
    return editorial_dashboard(request.user) if request is not None else []
