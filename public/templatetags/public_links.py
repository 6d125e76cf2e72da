"""Links of the public list pages, made without a `reverse()` per link.

A list page (home, a tag, the search) links every card to its article and to each of its
tags: `{% url %}` resolved those one by one (with an `{% include %}` per card, about 1 ms of
a tag page of 12 cards). The address of each kind is reversed once per script prefix, with a
stand-in for the slug, and the slug (a slug already: `SlugField`, `slugify`) is quoted in.
"""

from functools import lru_cache
from urllib.parse import quote

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.text import slugify

register = template.Library()

_STAND_IN = "slug-stand-in"


@lru_cache(maxsize=64)
def _address_parts(viewname, script_prefix):
    # The prefix is part of the key: reverse() builds the address under the request's prefix.
    before, _, after = reverse(viewname, args=[_STAND_IN]).partition(_STAND_IN)
    return before, after


def _address(viewname, slug):
    before, after = _address_parts(viewname, get_script_prefix())
    return f"{before}{quote(str(slug), safe='')}{after}"


@register.filter
def article_url(slug):
    """The public address of the article at `slug`: `{% url 'articles:detail' slug %}`."""
    return _address("articles:detail", slug)


@register.filter
def tag_url(tag):
    """The public address of the tag named `tag`: `{% url 'articles:tag' tag|slugify %}`."""
    return _address("articles:tag", slugify(tag))
